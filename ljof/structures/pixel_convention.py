"""LJOF's pixel-index coordinates and detectron2's continuous ones: the offset and the resize matrix.

LJOF keeps keypoints, boxes and crops in the pixel-index convention of the COCO annotation files (pixel
``i`` is centred on ``i``); detectron2's ``load_coco_json`` adds 0.5 to keypoint x, y (its continuous
convention, pixel ``i`` covers ``[i, i + 1)``) and its ``instances_to_coco_json`` subtracts it again
(``detectron2/data/datasets/coco.py``, ``detectron2/evaluation/coco_evaluation.py``).
"""

import numpy as np

__all__ = ["D2_KEYPOINT_OFFSET", "pixel_index_scale_matrix"]

# detectron2's continuous coordinate = pixel index + this
D2_KEYPOINT_OFFSET = 0.5


def pixel_index_scale_matrix(sx: float, sy: float) -> np.ndarray:
    """(2, 3) float64 affine from the pixel-index px of an image to those of the same image resized by
    ``(sx, sy)``: continuous coordinates scale, ``x + 0.5 -> sx (x + 0.5)``, so
    ``x' = sx x + 0.5 sx - 0.5`` (pixel centres stay pixel centres)."""
    sx, sy = float(sx), float(sy)
    return np.array(
        [
            [sx, 0.0, D2_KEYPOINT_OFFSET * sx - D2_KEYPOINT_OFFSET],
            [0.0, sy, D2_KEYPOINT_OFFSET * sy - D2_KEYPOINT_OFFSET],
        ]
    )

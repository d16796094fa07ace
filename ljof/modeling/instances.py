"""One builder of the detectron2 ``Instances`` that LJOF's models return (Keypoint R-CNN's fields)."""

from typing import Sequence, Tuple

import numpy as np
import torch
from detectron2.structures import Boxes, BoxMode, Instances

from ljof.structures import D2_KEYPOINT_OFFSET

__all__ = ["keypoint_instances"]


def keypoint_instances(
    image_size: Tuple[int, int], boxes_xywh, scores: Sequence[float], keypoints: torch.Tensor
) -> Instances:
    """Person instances as detectron2's Keypoint R-CNN returns them.

    Args:
        image_size: (height, width) of the original image.
        boxes_xywh: (N, 4) person boxes, XYWH original-image px.
        scores: (N,) instance scores.
        keypoints: (N, K, 3) float tensor, x, y in LJOF's pixel-index convention and the keypoint score.

    Returns:
        ``Instances`` with ``pred_boxes`` (XYXY), ``scores``, ``pred_classes`` (0, "person") and
        ``pred_keypoints`` (N, K, 3) with x, y + 0.5 (detectron2's continuous convention, as
        ``COCOEvaluator`` and ``Visualizer`` expect).
    """
    xywh = np.asarray(boxes_xywh, np.float64).reshape(-1, 4)
    xyxy = BoxMode.convert(xywh, BoxMode.XYWH_ABS, BoxMode.XYXY_ABS)
    inst = Instances((int(image_size[0]), int(image_size[1])))
    inst.pred_boxes = Boxes(torch.as_tensor(xyxy, dtype=torch.float32))
    inst.scores = torch.as_tensor(np.asarray(scores, np.float64), dtype=torch.float32).reshape(-1)
    inst.pred_classes = torch.zeros(len(xywh), dtype=torch.int64)
    kp = keypoints.detach().float().clone()
    kp[..., :2] += D2_KEYPOINT_OFFSET  # pixel-index -> detectron2's continuous coordinates
    inst.pred_keypoints = kp
    return inst

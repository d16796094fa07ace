"""The test-mode person sample that every top-down model input is (docs/interfaces.md, "Mapper samples").

One builder for ``TopDownDatasetMapper`` and ``ljof.modeling.DetectorPoseModel``, so a crop cut from a
dataset record and one cut from a detector's box are the same dict.
"""

from typing import Dict, Sequence

import numpy as np
import torch

__all__ = ["topdown_test_sample", "window_area"]


def window_area(scale: Sequence[float]) -> float:
    """``w x h`` of the crop window (original px^2): the OKS scale ``bbox_area`` of a top-down person."""
    return float(scale[0]) * float(scale[1])


def topdown_test_sample(
    crop: np.ndarray,
    *,
    center: Sequence[float],
    scale: Sequence[float],
    bbox: Sequence[float],
    bbox_score: float = 1.0,
    **fields,
) -> Dict:
    """
    Args:
        crop: (H, W, C) or (H, W) uint8 crop in the model's input channel order.
        center, scale: the crop window in original-image px (pixel-index convention).
        bbox: the person box ``[x, y, w, h]`` it was cut for (original px).
        bbox_score: the box's score (1 for ground truth).
        fields: passed through unchanged (``image_id``, ``height``, ``width``, ``file_name``, ...).

    Returns:
        ``{"image": (C, H, W) uint8 tensor, "center", "scale": float32 (2,) tensors, "bbox": list of 4
        floats, "bbox_score": float, "bbox_area": window_area(scale), **fields}``.
    """
    if crop.ndim == 2:
        crop = crop[:, :, None]
    return {
        "image": torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))),
        "center": torch.from_numpy(np.array(center, np.float32)),
        "scale": torch.from_numpy(np.array(scale, np.float32)),
        "bbox": [float(v) for v in bbox],  # a copy: the caller's box is never shared
        "bbox_score": float(bbox_score),
        "bbox_area": window_area(scale),
        **fields,
    }

"""Occlusion augmentations that LJA competes with, in LJA's mapper slot (``TopDownDatasetMapper(lja=...)``).

Each is a detectron2 ``Augmentation`` acting on the crop (:class:`~ljof.data.augmentations.CropAugInput`,
after the warp, before the targets); ``get_transform`` draws from numpy's global RNG (the one detectron2
seeds per worker, so ``train.seed`` fixes the draws) and returns a deterministic
:class:`~ljof.data.lja.BlockFillTransform`, whose blocks the mapper records as ``lja_blocks``. Targets are
never changed.

* :class:`CoarseDropout`: holes placed uniformly in the crop, independent of the person.
  MMPose's HRNet-W32 recipe (``td-hm_hrnet-w32_coarsedropout-8xb64-210e_coco-256x192.py``: albumentations
  ``CoarseDropout``, 1-8 holes of 10-40 px at 256x192, p = 0.5) is
  ``CoarseDropout(num_holes=(1, 8), hole_height=(10/256, 40/256), hole_width=(10/192, 40/192), prob=0.5)``;
  RTMPose's single large hole (``rtmpose-m_8xb256-420e_coco-256x192.py``: one hole of 0.2-0.4 of the crop
  side, p = 1 in its first stage) is ``CoarseDropout(num_holes=(1, 1), hole_height=(0.2, 0.4),
  hole_width=(0.2, 0.4), prob=1.0)``.
* :class:`KeypointCentredDropout`: blocks centred on labelled joints of any kind, in the spirit of AID
  (Huang et al. 2020, information dropping around keypoints); its defaults are this project's.

Hand-written rather than albumentations' ``CoarseDropout``: albumentations draws from its own generator,
which detectron2's per-worker seeding does not reach, and returns pixels, not the holes the mapper records;
the sampling is a few lines.
"""

from typing import List, Sequence, Tuple

import numpy as np
from detectron2.data import transforms as T

from .lja import BlockFillTransform

__all__ = ["CoarseDropout", "KeypointCentredDropout"]


def _size_bounds(fractions: Sequence[float], side: int, what: str) -> Tuple[int, int]:
    """Integer px bounds ``round(f * side)`` of a (low, high) fraction range, at least 1 px."""
    lo, hi = float(fractions[0]), float(fractions[1])
    if not 0.0 < lo <= hi <= 1.0:
        raise ValueError(f"{what} must be (low, high) fractions with 0 < low <= high <= 1, got {fractions}")
    return max(1, int(round(lo * side))), max(1, int(round(hi * side)))


def _check_fill(fill: int) -> int:
    fill = int(fill)
    if not 0 <= fill <= 255:
        raise ValueError(f"fill must be a uint8 value in [0, 255], got {fill}")
    return fill


class CoarseDropout(T.Augmentation):
    """Rectangular holes at uniform positions in the crop, filled with one constant.

    With probability ``prob`` the crop gets n holes, n uniform in ``num_holes`` (inclusive); each hole's
    height and width are uniform integers between the bounds times the crop's height / width (rounded,
    at least 1 px), drawn independently, and its top-left corner is uniform over the positions that keep
    the hole inside the crop (albumentations' ``CoarseDropout`` rule). Holes may overlap.

    Args:
        num_holes: (min, max) number of holes, 1 <= min <= max.
        hole_height: (min, max) hole height as a fraction of the crop height.
        hole_width: (min, max) hole width as a fraction of the crop width.
        fill: the value written in every channel (0: black, albumentations' default).
        prob: probability that a crop gets holes at all.
    """

    def __init__(
        self,
        *,
        num_holes: Tuple[int, int] = (1, 8),
        hole_height: Tuple[float, float] = (10 / 256, 40 / 256),
        hole_width: Tuple[float, float] = (10 / 192, 40 / 192),
        fill: int = 0,
        prob: float = 0.5,
    ):
        super().__init__()
        num_holes = (int(num_holes[0]), int(num_holes[1]))
        if not 1 <= num_holes[0] <= num_holes[1]:
            raise ValueError(f"num_holes must be (min, max) with 1 <= min <= max, got {num_holes}")
        _size_bounds(hole_height, 256, "hole_height")  # validates the ranges
        _size_bounds(hole_width, 192, "hole_width")
        hole_height = (float(hole_height[0]), float(hole_height[1]))
        hole_width = (float(hole_width[0]), float(hole_width[1]))
        fill = _check_fill(fill)
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"prob must be in [0, 1], got {prob}")
        self._init(locals())

    def get_transform(self, image) -> BlockFillTransform:
        """Draw the holes for one crop of shape (h, w, C) (only its size is used)."""
        h, w = image.shape[:2]
        if np.random.rand() >= self.prob:
            return BlockFillTransform([])
        h_lo, h_hi = _size_bounds(self.hole_height, h, "hole_height")
        w_lo, w_hi = _size_bounds(self.hole_width, w, "hole_width")
        blocks = []
        for _ in range(np.random.randint(self.num_holes[0], self.num_holes[1] + 1)):
            bh = min(int(np.random.randint(h_lo, h_hi + 1)), h)
            bw = min(int(np.random.randint(w_lo, w_hi + 1)), w)
            y0 = int(np.random.randint(0, h - bh + 1))
            x0 = int(np.random.randint(0, w - bw + 1))
            blocks.append((x0, y0, x0 + bw, y0 + bh, self.fill))
        return BlockFillTransform(blocks)


class KeypointCentredDropout(T.Augmentation):
    """Blocks centred on randomly chosen labelled joints (any joint, not only limb joints).

    With probability ``prob``: among the joints with v > 0 inside the crop (n of them), k = min(n, uniform
    integer in ``num_joints``) are chosen without replacement; each gets a block of round(f × crop width) by
    round(f × crop height) px, f uniform in ``size`` per block (so blocks keep the crop's aspect), centred
    on the joint (pixel-index convention, as LJA), clipped to the
    crop and filled with ``fill``. It differs from LJA in what it targets (every labelled joint, a random
    count) and in its size reference (the crop, not the person box).

    Args:
        num_joints: (min, max) number of joints to cover, 1 <= min <= max.
        size: (min, max) block side as a fraction of the crop side.
        fill: value written in every channel (0: information dropped to black).
        prob: probability that a crop is augmented at all.
    """

    def __init__(
        self,
        *,
        num_joints: Tuple[int, int] = (1, 2),
        size: Tuple[float, float] = (0.1, 0.2),
        fill: int = 0,
        prob: float = 1.0,
    ):
        super().__init__()
        num_joints = (int(num_joints[0]), int(num_joints[1]))
        if not 1 <= num_joints[0] <= num_joints[1]:
            raise ValueError(f"num_joints must be (min, max) with 1 <= min <= max, got {num_joints}")
        _size_bounds(size, 256, "size")
        size = (float(size[0]), float(size[1]))
        fill = _check_fill(fill)
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"prob must be in [0, 1], got {prob}")
        self._init(locals())

    @staticmethod
    def candidate_joints(keypoints: np.ndarray, image_hw: Tuple[int, int]) -> List[int]:
        """Joints with v > 0 whose (x, y) lies inside an image of size (h, w)."""
        kpts = np.asarray(keypoints, np.float32).reshape(-1, 3)
        h, w = image_hw
        inside = (
            (kpts[:, 2] > 0)
            & (kpts[:, 0] >= 0)
            & (kpts[:, 0] <= w - 1)
            & (kpts[:, 1] >= 0)
            & (kpts[:, 1] <= h - 1)
        )
        return np.flatnonzero(inside).tolist()

    def get_transform(self, image, keypoints) -> BlockFillTransform:
        """Draw the blocks for one crop.

        Args:
            image: (h, w, C) crop (only its size is used).
            keypoints: (K, 3) crop px x, y, v.
        """
        h, w = image.shape[:2]
        if np.random.rand() >= self.prob:
            return BlockFillTransform([])
        cand = self.candidate_joints(keypoints, (h, w))
        if not cand:
            return BlockFillTransform([])
        k = min(len(cand), int(np.random.randint(self.num_joints[0], self.num_joints[1] + 1)))
        chosen = [cand[i] for i in np.random.permutation(len(cand))[:k]]
        blocks = []
        for j in chosen:
            frac = np.random.uniform(self.size[0], self.size[1])
            bw, bh = max(1, int(round(frac * w))), max(1, int(round(frac * h)))
            x0 = int(round(float(keypoints[j, 0]) - (bw - 1) / 2.0))
            y0 = int(round(float(keypoints[j, 1]) - (bh - 1) / 2.0))
            blocks.append((max(x0, 0), max(y0, 0), min(x0 + bw, w), min(y0 + bh, h), self.fill))
        return BlockFillTransform(blocks, joint_ids=chosen)

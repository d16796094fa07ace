"""Limb Joint Augmentation (LJA), the LJOF paper's occlusion augmentation (paper §3.2).

For one person crop: among its visible limb joints (n of them), choose ``ceil(alpha * n)`` without
replacement; over each draw a block of ``beta * (h, w)`` of the person box as it appears in the crop,
centred on the joint, clipped to the crop, filled with one integer drawn uniformly from ``fill_range``
(the same value in every channel). Targets are not changed: the hidden joint keeps its heatmap and weight.

Usable on its own (:meth:`LimbJointAugmentation.apply` on an image + keypoints + box) and as a detectron2
``Augmentation`` in crop space (``get_transform`` returns a deterministic :class:`BlockFillTransform`).
"""

import logging
import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
from detectron2.data import transforms as T
from fvcore.transforms.transform import Transform

__all__ = ["LimbJointAugmentation", "BlockFillTransform", "limb_joint_ids_from_metadata"]

logger = logging.getLogger(__name__)

Block = Tuple[int, int, int, int, int]


def limb_joint_ids_from_metadata(metadata) -> List[int]:
    """The 12 limb joints: the union of the metadata's ``keypoint_limb_chains`` (arms and legs)."""
    chains = metadata.get("keypoint_limb_chains", None)  # detectron2 Metadata and dict alike
    if not chains:
        raise ValueError("metadata has no keypoint_limb_chains; LJA needs the limb joints")
    return sorted({int(i) for chain in chains for i in chain})


class BlockFillTransform(Transform):
    """Fill axis-aligned blocks of the image with constant values; coordinates are unchanged.

    Args:
        blocks: list of ``(x0, y0, x1, y1, fill)`` ints, crop px, ``x1``/``y1`` exclusive.
        joint_ids: the joint each block is centred on (for tests and plots).
    """

    def __init__(self, blocks: Sequence[Block], joint_ids: Sequence[int] = ()):
        super().__init__()
        blocks = [tuple(int(v) for v in b) for b in blocks]
        joint_ids = [int(j) for j in joint_ids]
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        if not self.blocks:
            return img
        img = img if img.flags.writeable else img.copy()
        for x0, y0, x1, y1, fill in self.blocks:
            img[y0:y1, x0:x1] = fill
        return img

    def apply_coords(self, coords):
        return coords

    def apply_segmentation(self, segmentation):
        return segmentation


class LimbJointAugmentation(T.Augmentation):
    """Limb Joint Augmentation.

    Args:
        limb_joint_ids: joints that may be covered (metadata: see :func:`limb_joint_ids_from_metadata`).
        alpha: fraction of the visible limb joints to cover; ``ceil(alpha * n)`` blocks (0.15).
        beta: block size as a fraction of the reference size (0.20).
        visibility: ``"visible"`` counts joints with v == 2 (labeled and visible; default), ``"labeled"``
            counts v > 0.
        size_reference: ``"box"``: the person box as it appears in the crop (default); ``"crop"``: the
            whole crop.
        fill_range: inclusive integer range of the fill value, one value per block, all channels.
        prob: probability that an instance is augmented at all.

    Only joints inside the image (crop) count: a block around a joint outside it would be empty.
    """

    def __init__(
        self,
        *,
        limb_joint_ids: Sequence[int],
        alpha: float = 0.15,
        beta: float = 0.20,
        visibility: str = "visible",
        size_reference: str = "box",
        fill_range: Tuple[int, int] = (0, 255),
        prob: float = 1.0,
    ):
        super().__init__()
        if visibility not in ("visible", "labeled"):
            raise ValueError(
                f"visibility must be 'visible' (v == 2) or 'labeled' (v > 0), got {visibility!r}"
            )
        if size_reference not in ("box", "crop"):
            raise ValueError(f"size_reference must be 'box' or 'crop', got {size_reference!r}")
        if not 0.0 <= alpha <= 1.0 or beta <= 0.0:
            raise ValueError(f"need 0 <= alpha <= 1 and beta > 0, got alpha={alpha}, beta={beta}")
        lo, hi = int(fill_range[0]), int(fill_range[1])
        if lo > hi:
            raise ValueError(f"fill_range must be (low, high) with low <= high, got {fill_range}")
        fill_range = (lo, hi)
        limb_joint_ids = np.asarray(sorted({int(i) for i in limb_joint_ids}), np.int64)
        self._init(locals())
        self._ids = limb_joint_ids.tolist()

    @classmethod
    def from_metadata(cls, metadata, **kwargs) -> "LimbJointAugmentation":
        """Build with the limb joints of a dataset's metadata (``MetadataCatalog.get(name)`` or a dict)."""
        return cls(limb_joint_ids=limb_joint_ids_from_metadata(metadata), **kwargs)

    def __repr__(self):
        return (
            f"LimbJointAugmentation(alpha={self.alpha}, beta={self.beta}, visibility={self.visibility!r}, "
            f"size_reference={self.size_reference!r}, fill_range={self.fill_range}, prob={self.prob}, "
            f"limb_joint_ids={self.limb_joint_ids.tolist()})"
        )

    def candidate_joints(self, keypoints: np.ndarray, image_hw: Tuple[int, int]) -> List[int]:
        """Indices of the limb joints that count as visible and lie inside an image of size (h, w)."""
        rows = np.asarray(keypoints, np.float32).reshape(-1, 3).tolist()
        if self._ids and self._ids[-1] >= len(rows):
            raise ValueError(
                f"LJA limb joint {self._ids[-1]} does not exist in {len(rows)} keypoints"
            )
        h, w = image_hw
        need_two = self.visibility == "visible"
        # Plain Python over the 12 limb joints: numpy's per-call overhead dominates at this size.
        out = []
        for j in self._ids:
            x, y, v = rows[j]
            if (v == 2 if need_two else v > 0) and 0 <= x <= w - 1 and 0 <= y <= h - 1:
                out.append(j)
        return out

    def num_blocks(self, n: int) -> int:
        """``ceil(alpha * n)`` for n candidate joints (rounded before the ceil against float noise)."""
        return int(math.ceil(round(self.alpha * n, 9)))

    def get_transform(self, image, keypoints, box_size) -> BlockFillTransform:
        """Draw the blocks for one crop.

        Args:
            image: (H, W, C) crop (only its size is used).
            keypoints: (K, 3) crop px x, y, v.
            box_size: (2,) person box (w, h) in crop px (used when ``size_reference="box"``).
        """
        h, w = image.shape[:2]
        if self.prob < 1.0 and np.random.rand() >= self.prob:
            return BlockFillTransform([])
        cand = self.candidate_joints(keypoints, (h, w))
        k = self.num_blocks(len(cand))
        if k == 0:
            return BlockFillTransform([])
        # k joints without replacement and k integer fills from one uniform draw of numpy's global RNG
        # (the one detectron2 seeds per worker); cheaper than np.random.choice + randint here.
        u = np.random.random(len(cand) + k).tolist()
        chosen = [cand[i] for i in sorted(range(len(cand)), key=u.__getitem__)[:k]]
        lo, hi = self.fill_range
        fills = [min(lo + int(r * (hi - lo + 1)), hi) for r in u[len(cand) :]]
        if self.size_reference == "crop":
            ref_w, ref_h = w, h
        else:
            ref_w, ref_h = float(box_size[0]), float(box_size[1])
        bw, bh = max(1, int(round(self.beta * ref_w))), max(1, int(round(self.beta * ref_h)))
        blocks = []
        # Pixels x0 .. x0 + bw - 1 have their centre at x0 + (bw - 1) / 2 (pixel-index convention).
        for j, fill in zip(chosen, fills):
            x0 = int(round(float(keypoints[j, 0]) - (bw - 1) / 2.0))
            y0 = int(round(float(keypoints[j, 1]) - (bh - 1) / 2.0))
            blocks.append((max(x0, 0), max(y0, 0), min(x0 + bw, w), min(y0 + bh, h), fill))
        return BlockFillTransform(blocks, joint_ids=chosen)

    def apply(
        self, image: np.ndarray, keypoints, box=None, *, box_size: Optional[Sequence[float]] = None
    ) -> Tuple[np.ndarray, List[Block]]:
        """Standalone use: occlude ``image`` in place and return it with the blocks drawn.

        Args:
            image: (H, W, C) or (H, W) uint8, modified in place when writeable.
            keypoints: (K, 3) x, y, v in the image's px.
            box: person box XYWH in the image's px (its w, h are the size reference), or
            box_size: (w, h) directly.

        Returns:
            (image, blocks) with blocks ``(x0, y0, x1, y1, fill)``.
        """
        if box_size is None:
            if box is None and self.size_reference == "box":
                raise ValueError("LimbJointAugmentation.apply needs box (XYWH) or box_size (w, h)")
            box_size = (0.0, 0.0) if box is None else (float(box[2]), float(box[3]))
        tfm = self.get_transform(image, np.asarray(keypoints, np.float32).reshape(-1, 3), box_size)
        return tfm.apply_image(image), list(tfm.blocks)

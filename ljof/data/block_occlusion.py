"""Synthetic test-time occlusion for the robustness curve: LJA blocks on the test crops.

:class:`BlockOcclusionMapper` wraps a test-mode ``TopDownDatasetMapper``: after the crop is made it draws
the blocks of a :class:`~ljof.data.lja.LimbJointAugmentation` (``alpha``, ``beta``, fill uniform in
[0, 255]) and fills them, and records which labeled joints lie under a block (``occluded_joints``), which
:class:`~ljof.evaluation.OcclusionEvaluator` then counts as occluded. (The mapper applies LJA only in
training, hence this wrapper.)

Seeding: the blocks of a crop are drawn from numpy's global RNG reseeded with ``(seed, image_id,
annotation_id)`` (the previous state is restored afterwards), so they do not depend on the model, the
data-loader order or the number of workers, and every model sees the same blocks at a given alpha. The
seed does not depend on alpha: LJA takes the first ``ceil(alpha * n)`` joints of one random order, so a
larger alpha covers a superset of the joints of a smaller one (same fills). Needs GT-box records (the
blocks are placed on the person's GT joints).
"""

from typing import Dict

import numpy as np
import torch

from .lja import LimbJointAugmentation

__all__ = ["DEFAULT_ALPHAS", "DEFAULT_BETA", "BlockOcclusionMapper", "joints_under_blocks"]

DEFAULT_ALPHAS = (0.0, 0.15, 0.3, 0.5, 0.75, 1.0)
DEFAULT_BETA = 0.2


def joints_under_blocks(keypoints: np.ndarray, blocks) -> np.ndarray:
    """(K,) bool: labeled joints (v > 0) whose position (crop px) lies in a block ``(x0, y0, x1, y1,
    fill)`` (x1, y1 exclusive; a joint at x covers pixel round(x))."""
    kpts = np.asarray(keypoints, np.float64).reshape(-1, 3)
    out = np.zeros(len(kpts), dtype=bool)
    px, py = np.round(kpts[:, 0]), np.round(kpts[:, 1])
    for x0, y0, x1, y1, _ in blocks:
        out |= (px >= x0) & (px < x1) & (py >= y0) & (py < y1)
    return out & (kpts[:, 2] > 0)


class BlockOcclusionMapper:
    """A test mapper that occludes each crop with seeded LJA blocks.

    Args:
        mapper: a test-mode ``TopDownDatasetMapper`` (its samples carry ``image`` (C, H, W) uint8,
            ``keypoints`` (K, 3) crop px, ``warp_matrix`` (2, 3), ``bbox``, ``image_id``,
            ``annotation_id``).
        metadata: the dataset's metadata (limb joints: ``keypoint_limb_chains``).
        alpha: fraction of the visible limb joints to cover (0 leaves the crops unchanged).
        beta: block size as a fraction of the person box in the crop.
        seed: base seed.

    Output samples gain ``occluded_joints`` ((K,) bool) and ``lja_blocks``.
    """

    def __init__(
        self, mapper, *, metadata, alpha: float, beta: float = DEFAULT_BETA, seed: int = 0
    ):
        self.mapper = mapper
        self.alpha = float(alpha)
        self.seed = int(seed)
        self.lja = LimbJointAugmentation.from_metadata(
            metadata, alpha=self.alpha, beta=beta, fill_range=(0, 255)
        )

    def _crop_seed(self, sample: Dict) -> int:
        ann_id = sample.get("annotation_id")
        if ann_id is None:
            raise ValueError(
                f"BlockOcclusionMapper: sample of image {sample.get('image_id')} has no annotation_id; "
                "synthetic occlusion needs GT-box records (get_topdown_dataset(..., "
                "use_detections=False))"
            )
        entropy = [self.seed, int(sample["image_id"]), int(ann_id)]
        return int(np.random.SeedSequence(entropy).generate_state(1)[0])

    def __call__(self, record: Dict) -> Dict:
        sample = self.mapper(record)
        kpts = np.asarray(sample["keypoints"], np.float32).reshape(-1, 3)
        image = sample["image"].numpy().transpose(1, 2, 0)  # HWC view of the crop
        warp = np.asarray(sample["warp_matrix"], np.float64)
        box_size = np.asarray(sample["bbox"][2:4], np.float64) * np.linalg.norm(warp[:, :2], axis=0)
        state = np.random.get_state()
        try:
            np.random.seed(self._crop_seed(sample))
            tfm = self.lja.get_transform(image, kpts, box_size)
        finally:
            np.random.set_state(state)
        image = tfm.apply_image(np.array(image, copy=True))
        sample["image"] = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
        sample["lja_blocks"] = list(tfm.blocks)
        sample["occluded_joints"] = joints_under_blocks(kpts, tfm.blocks)
        return sample

"""Occlusion baselines in LJA's mapper slot: hole geometry (counts, sizes, placement, keypoint centres),
probabilities, fill, seeding, and the mapper's targets unchanged by them."""

import unittest

import numpy as np
import torch

from ljof.data import TopDownDatasetMapper
from ljof.data.augmentations import CropAugInput
from ljof.data.occlusion_baselines import CoarseDropout, KeypointCentredDropout
from tests.data.fixture_records import fixture_records

MMPOSE = dict(num_holes=(1, 8), hole_height=(10 / 256, 40 / 256), hole_width=(10 / 192, 40 / 192))
RTMPOSE = dict(num_holes=(1, 1), hole_height=(0.2, 0.4), hole_width=(0.2, 0.4))


def _crop(h=256, w=192, value=128):
    return np.full((h, w, 3), value, np.uint8)


def _apply(aug, image, keypoints=None):
    kpts = np.zeros((17, 3), np.float32) if keypoints is None else keypoints
    aug_input = CropAugInput(image, keypoints=kpts, box_size=(100.0, 200.0))
    tfm = aug(aug_input)
    return aug_input, tfm


class TestCoarseDropout(unittest.TestCase):
    def test_mmpose_recipe_geometry_at_256x192(self):
        np.random.seed(0)
        aug = CoarseDropout(**MMPOSE, prob=1.0)
        counts, heights, widths = set(), set(), set()
        for _ in range(300):
            aug_input, tfm = _apply(aug, _crop())
            counts.add(len(tfm.blocks))
            mask = np.zeros((256, 192), bool)
            for x0, y0, x1, y1, fill in tfm.blocks:
                self.assertTrue(0 <= x0 < x1 <= 192 and 0 <= y0 < y1 <= 256)  # inside, unclipped
                self.assertEqual(fill, 0)
                heights.add(y1 - y0)
                widths.add(x1 - x0)
                mask[y0:y1, x0:x1] = True
            # exactly the holes are black, everything else untouched
            self.assertTrue((aug_input.image[mask] == 0).all())
            self.assertTrue((aug_input.image[~mask] == 128).all())
        self.assertEqual(counts, set(range(1, 9)))
        self.assertEqual((min(heights), max(heights)), (10, 40))
        self.assertEqual((min(widths), max(widths)), (10, 40))

    def test_mmpose_recipe_scales_with_the_crop(self):
        np.random.seed(1)
        aug = CoarseDropout(**MMPOSE, prob=1.0)
        sizes = set()
        for _ in range(300):
            _, tfm = _apply(aug, _crop(128, 96))
            sizes |= {(y1 - y0, x1 - x0) for x0, y0, x1, y1, _ in tfm.blocks}
        heights, widths = {s[0] for s in sizes}, {s[1] for s in sizes}
        self.assertEqual((min(heights), max(heights)), (5, 20))  # 10-40 px at 256 -> 5-20 at 128
        self.assertEqual((min(widths), max(widths)), (5, 20))

    def test_rtmpose_single_large_hole(self):
        np.random.seed(2)
        aug = CoarseDropout(**RTMPOSE, prob=1.0, fill=7)
        for _ in range(100):
            aug_input, tfm = _apply(aug, _crop())
            self.assertEqual(len(tfm.blocks), 1)
            x0, y0, x1, y1, fill = tfm.blocks[0]
            self.assertTrue(51 <= y1 - y0 <= 102 and 38 <= x1 - x0 <= 77)  # 0.2-0.4 of 256 / 192
            self.assertTrue(0 <= x0 and x1 <= 192 and 0 <= y0 and y1 <= 256)
            self.assertTrue((aug_input.image[y0:y1, x0:x1] == 7).all())

    def test_probability_and_seeding(self):
        aug = CoarseDropout(**MMPOSE, prob=0.5)
        np.random.seed(3)
        first = [_apply(aug, _crop())[1].blocks for _ in range(400)]
        empty = sum(not b for b in first)
        self.assertTrue(160 <= empty <= 240, empty)  # p = 0.5: about half the crops untouched
        np.random.seed(3)  # detectron2 seeds numpy per worker: the same seed gives the same holes
        self.assertEqual([_apply(aug, _crop())[1].blocks for _ in range(400)], first)
        never = CoarseDropout(**MMPOSE, prob=0.0)
        self.assertEqual(_apply(never, _crop())[1].blocks, [])

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "num_holes"):
            CoarseDropout(num_holes=(0, 2))
        with self.assertRaisesRegex(ValueError, "hole_width"):
            CoarseDropout(hole_width=(0.5, 0.2))
        with self.assertRaisesRegex(ValueError, "fill"):
            CoarseDropout(fill=300)


class TestKeypointCentredDropout(unittest.TestCase):
    def test_blocks_are_centred_on_labelled_joints_in_the_crop(self):
        kpts = np.zeros((17, 3), np.float32)
        kpts[3] = (50, 60, 2)
        kpts[9] = (100.0, 200.0, 1)  # labelled, not visible: still a candidate
        kpts[12] = (300, 10, 2)  # outside the crop
        kpts[15] = (20, 20, 0)  # unlabelled
        self.assertEqual(KeypointCentredDropout.candidate_joints(kpts, (256, 192)), [3, 9])
        aug = KeypointCentredDropout(num_joints=(2, 2), size=(0.1, 0.1), fill=0)
        np.random.seed(0)
        aug_input, tfm = _apply(aug, _crop(), kpts)
        self.assertEqual(sorted(tfm.joint_ids), [3, 9])
        for (x0, y0, x1, y1, _), j in zip(tfm.blocks, tfm.joint_ids):
            self.assertEqual((x1 - x0, y1 - y0), (19, 26))  # round(0.1 x 192), round(0.1 x 256)
            self.assertAlmostEqual((x0 + x1 - 1) / 2, kpts[j, 0], delta=0.5)
            self.assertAlmostEqual((y0 + y1 - 1) / 2, kpts[j, 1], delta=0.5)
            self.assertTrue((aug_input.image[y0:y1, x0:x1] == 0).all())
        np.testing.assert_array_equal(aug_input.keypoints, kpts)  # coordinates unchanged

    def test_count_clipping_and_no_candidates(self):
        kpts = np.zeros((17, 3), np.float32)
        kpts[0] = (0, 0, 2)  # a corner: the block is clipped to the crop
        aug = KeypointCentredDropout(num_joints=(3, 3), size=(0.2, 0.2))
        _, tfm = _apply(aug, _crop(), kpts)
        self.assertEqual(len(tfm.blocks), 1)  # min(3, one candidate)
        x0, y0, x1, y1, _ = tfm.blocks[0]
        self.assertEqual((x0, y0), (0, 0))
        # 38 x 51 centred on (0, 0): x0 = round(-18.5) = -18, y0 = -25; columns 0-19, rows 0-25 kept
        self.assertEqual((x1, y1), (20, 26))
        self.assertEqual(_apply(aug, _crop(), np.zeros((17, 3), np.float32))[1].blocks, [])


class TestInTheMapper(unittest.TestCase):
    def test_targets_unchanged_and_blocks_recorded(self):
        records, meta = fixture_records("coco")
        for aug in (
            CoarseDropout(**MMPOSE, prob=1.0),
            CoarseDropout(**RTMPOSE, prob=1.0),
            KeypointCentredDropout(),
        ):
            with self.subTest(aug=type(aug).__name__):
                plain = TopDownDatasetMapper(True, metadata=meta)
                occluded = TopDownDatasetMapper(True, metadata=meta, lja=aug)
                np.random.seed(5)
                a = plain(records[0])
                np.random.seed(5)  # same window draws; the occlusion draws come after them
                b = occluded(records[0])
                self.assertTrue(b["lja_blocks"])
                for key in ("heatmaps", "target_weights"):
                    for ta, tb in zip(a[key], b[key]):
                        self.assertTrue(torch.equal(ta, tb))
                self.assertTrue(torch.equal(a["keypoints"], b["keypoints"]))
                changed = (a["image"] != b["image"]).any(dim=0)
                inside = torch.zeros_like(changed)
                for x0, y0, x1, y1, _ in b["lja_blocks"]:
                    inside[y0:y1, x0:x1] = True
                self.assertTrue(changed.any())
                self.assertFalse((changed & ~inside).any())  # pixels change only in the blocks


if __name__ == "__main__":
    unittest.main()

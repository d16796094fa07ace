import math
import unittest

import numpy as np

from ljof.data import LimbJointAugmentation, TopDownDatasetMapper
from ljof.data.datasets import get_keypoint_set_metadata
from ljof.data.lja import limb_joint_ids_from_metadata
from tests.data.fixture_records import fixture_annotations, fixture_records

# reference §6: expected blocks per fixture annotation, (labeled rule v > 0, visible rule v == 2);
# None = not listed there for that rule.
REFERENCE_BLOCKS = {
    ("coco", 442619): (2, None),
    ("coco", 198196): (2, None),
    ("coco", 467657): (2, 1),
    ("coco", 1202706): (0, 0),
    ("crowdpose", 123803): (1, None),
    ("crowdpose", 147481): (2, 1),
}
KEYPOINT_SET = {"coco": "coco", "crowdpose": "crowdpose", "ochuman": "coco"}


def _lja(which, **kwargs):
    return LimbJointAugmentation.from_metadata(
        get_keypoint_set_metadata(KEYPOINT_SET[which]), **kwargs
    )


class TestLimbJoints(unittest.TestCase):
    def test_limb_joints_from_metadata(self):
        self.assertEqual(
            limb_joint_ids_from_metadata(get_keypoint_set_metadata("coco")), list(range(5, 17))
        )
        self.assertEqual(
            limb_joint_ids_from_metadata(get_keypoint_set_metadata("crowdpose")), list(range(12))
        )
        with self.assertRaises(ValueError):
            limb_joint_ids_from_metadata({"keypoint_names": ["a"]})

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            _lja("coco", visibility="maybe")
        with self.assertRaises(ValueError):
            _lja("coco", size_reference="person")
        with self.assertRaises(ValueError):
            _lja("coco", fill_range=(10, 5))


class TestBlockCounts(unittest.TestCase):
    """Reference §6 counts, for every fixture annotation and both visibility rules."""

    def test_every_fixture_annotation(self):
        np.random.seed(0)
        listed = set()
        for which in ("coco", "crowdpose", "ochuman"):
            anns, images = fixture_annotations(which)
            for ann in anns:
                kpts = np.asarray(ann["keypoints"], np.float32).reshape(-1, 3)
                im = images[ann["image_id"]]
                image = np.zeros((im["height"], im["width"], 3), np.uint8)
                for rule, col in (("labeled", 0), ("visible", 1)):
                    lja = _lja(which, visibility=rule)
                    limb = lja.limb_joint_ids
                    n = (
                        int(np.sum(kpts[limb, 2] > 0))
                        if rule == "labeled"
                        else int(np.sum(kpts[limb, 2] == 2))
                    )
                    _, blocks = lja.apply(image.copy(), kpts, ann["bbox"])
                    self.assertEqual(len(blocks), math.ceil(0.15 * n), (which, ann["id"], rule))
                    ref = REFERENCE_BLOCKS.get((which, ann["id"]), (None, None))[col]
                    if which == "ochuman" and rule == "labeled":
                        ref = 2  # "all 5 OCHuman anns: 12 -> 2"
                    if ref is not None:
                        self.assertEqual(len(blocks), ref, (which, ann["id"], rule))
                        listed.add((which, ann["id"], rule))
        self.assertEqual(len(listed), 14)  # every reference entry: 11 labeled-rule + 3 visible-rule

    def test_counts_in_the_mapper_crop(self):
        # The same counts through the training mapper (no random geometry): LJA runs in crop space.
        for which in ("coco", "crowdpose", "ochuman"):
            records, meta = fixture_records(which)
            mapper = TopDownDatasetMapper(
                True, metadata=meta, augmentations=[], lja=LimbJointAugmentation.from_metadata(meta)
            )
            for r in records:
                vis = int(np.sum(r["keypoints"][mapper.lja.limb_joint_ids, 2] == 2))
                s = mapper(r)
                self.assertEqual(
                    len(s["lja_blocks"]), math.ceil(0.15 * vis), (which, r["annotation_id"])
                )
                ref = REFERENCE_BLOCKS.get((which, r["annotation_id"]), (None, None))[1]
                if ref is not None:
                    self.assertEqual(len(s["lja_blocks"]), ref)


class TestBlockProperties(unittest.TestCase):
    def setUp(self):
        np.random.seed(3)
        self.rng = np.random.default_rng(3)

    def _random_instance(self, n_visible_limbs):
        kpts = np.zeros((17, 3), np.float32)
        kpts[:, 0] = self.rng.uniform(0, 191, 17)
        kpts[:, 1] = self.rng.uniform(0, 255, 17)
        kpts[:, 2] = 2  # face joints visible too: they must never be chosen
        limbs = np.arange(5, 17)
        kpts[limbs, 2] = self.rng.choice([0, 1], 12)
        kpts[self.rng.choice(limbs, n_visible_limbs, replace=False), 2] = 2
        return kpts

    def test_blocks_centred_sized_single_valued(self):
        lja = _lja("coco")
        box_size = (120.0, 200.0)  # person box as it appears in the crop
        bw, bh = round(0.2 * 120), round(0.2 * 200)
        for trial in range(200):
            n = trial % 13
            kpts = self._random_instance(n)
            image = np.full((256, 192, 3), 7, np.uint8)
            tfm = lja.get_transform(image, kpts, box_size)
            out = tfm.apply_image(image.copy())
            self.assertEqual(len(tfm.blocks), math.ceil(0.15 * n))
            self.assertEqual(len(set(tfm.joint_ids)), len(tfm.joint_ids))
            for (x0, y0, x1, y1, fill), j in zip(tfm.blocks, tfm.joint_ids):
                self.assertIn(j, range(5, 17))
                self.assertEqual(kpts[j, 2], 2)
                x, y = kpts[j, :2]
                # the unclipped block is bw x bh centred on the joint (within half a pixel)
                ux0 = int(round(x - (bw - 1) / 2))
                uy0 = int(round(y - (bh - 1) / 2))
                self.assertEqual(
                    (x0, y0, x1, y1),
                    (max(ux0, 0), max(uy0, 0), min(ux0 + bw, 192), min(uy0 + bh, 256)),
                )
                self.assertLessEqual(abs(ux0 + (bw - 1) / 2 - x), 0.5 + 1e-6)
                self.assertLessEqual(abs(uy0 + (bh - 1) / 2 - y), 0.5 + 1e-6)
                region = out[y0:y1, x0:x1]
                if region.size and all(
                    not (b[0] < x1 and x0 < b[2] and b[1] < y1 and y0 < b[3])
                    for b in tfm.blocks
                    if b[:4] != (x0, y0, x1, y1)
                ):
                    self.assertTrue(np.all(region == fill))
            if n == 0:
                np.testing.assert_array_equal(out, image)
            else:
                painted = np.zeros(image.shape[:2], bool)
                for x0, y0, x1, y1, _ in tfm.blocks:
                    painted[y0:y1, x0:x1] = True
                self.assertTrue(np.all(out[~painted] == 7))

    def test_crop_size_reference_and_prob(self):
        kpts = self._random_instance(12)
        lja = _lja("coco", size_reference="crop")
        blocks = lja.get_transform(np.zeros((256, 192, 3), np.uint8), kpts, (1.0, 1.0)).blocks
        for x0, y0, x1, y1, _ in blocks:
            self.assertLessEqual(x1 - x0, round(0.2 * 192))
            self.assertLessEqual(y1 - y0, round(0.2 * 256))
        self.assertTrue(
            any(x1 - x0 == round(0.2 * 192) for x0, _, x1, _, _ in blocks) or len(blocks) == 0
        )
        never = _lja("coco", prob=0.0)
        self.assertEqual(never.get_transform(np.zeros((256, 192, 3)), kpts, (50, 50)).blocks, [])

    def test_fill_statistics_cover_range(self):
        lja = _lja("coco")
        kpts = self._random_instance(12)
        fills = []
        for _ in range(2000):
            fills += [
                b[4] for b in lja.get_transform(np.zeros((256, 192, 3)), kpts, (100, 100)).blocks
            ]
        fills = np.array(fills)
        self.assertEqual(fills.min(), 0)
        self.assertEqual(fills.max(), 255)
        self.assertAlmostEqual(fills.mean(), 127.5, delta=4)
        hist = np.histogram(fills, bins=8, range=(0, 256))[0]
        self.assertGreater(hist.min(), 0.8 * len(fills) / 8)

    def test_joints_outside_image_are_not_counted(self):
        lja = _lja("coco", visibility="labeled")
        kpts = np.zeros((17, 3), np.float32)
        kpts[5:17, 2] = 2
        kpts[5:17, 0] = 500.0  # all outside a 192-wide crop
        self.assertEqual(lja.get_transform(np.zeros((256, 192, 3)), kpts, (50, 50)).blocks, [])

    def test_targets_unchanged_by_lja(self):
        records, meta = fixture_records("ochuman")
        base = TopDownDatasetMapper(True, metadata=meta, augmentations=[])
        with_lja = TopDownDatasetMapper(
            True, metadata=meta, augmentations=[], lja=LimbJointAugmentation.from_metadata(meta)
        )
        s0, s1 = base(records[0]), with_lja(records[0])
        self.assertEqual(len(s1["lja_blocks"]), 2)
        np.testing.assert_array_equal(s0["heatmaps"][0].numpy(), s1["heatmaps"][0].numpy())
        np.testing.assert_array_equal(
            s0["target_weights"][0].numpy(), s1["target_weights"][0].numpy()
        )
        self.assertFalse(np.array_equal(s0["image"].numpy(), s1["image"].numpy()))
        x0, y0, x1, y1, fill = s1["lja_blocks"][-1]  # drawn last: never overdrawn
        self.assertTrue(np.all(s1["image"].numpy()[:, y0:y1, x0:x1] == fill))


if __name__ == "__main__":
    unittest.main()

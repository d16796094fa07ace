import copy
import os
import tempfile
import unittest

import cv2
import numpy as np
import torch
from detectron2.data import build_detection_train_loader
from detectron2.data.samplers import TrainingSampler

from ljof.data import (
    LimbJointAugmentation,
    MSRAHeatmap,
    TopDownDatasetMapper,
    UDPHeatmap,
    get_topdown_dataset,
)
from ljof.data.image_io import read_image_for_crop, reduction_matrix
from detectron2.data.detection_utils import create_keypoint_hflip_indices
from tests.common import register_fixture
from tests.data.fixture_records import fixture_records


class TestMapperOutput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.records, cls.meta = fixture_records("coco")

    def test_test_mode_sample(self):
        mapper = TopDownDatasetMapper(False, metadata=self.meta)
        r = self.records[0]
        s = mapper(r)
        self.assertEqual(tuple(s["image"].shape), (3, 256, 192))
        self.assertEqual(s["image"].dtype, torch.uint8)
        self.assertNotIn("heatmaps", s)
        self.assertEqual(s["rotation"], 0.0)
        self.assertFalse(s["flip"])
        x, y, w, h = r["bbox"]
        np.testing.assert_allclose(s["center"].numpy(), [x + w / 2, y + h / 2], rtol=1e-6)
        sw, sh = s["scale"].tolist()
        self.assertAlmostEqual(sw / sh, 0.75, places=5)
        self.assertTrue(sw >= 1.25 * w - 1e-3 and sh >= 1.25 * h - 1e-3)
        self.assertAlmostEqual(s["bbox_area"] / (sw * sh), 1.0, places=6)
        for key in (
            "image_id",
            "file_name",
            "height",
            "width",
            "bbox",
            "bbox_score",
            "annotation_id",
        ):
            self.assertEqual(s[key], r[key])
        # the test crop is deterministic
        np.testing.assert_array_equal(mapper(r)["image"].numpy(), s["image"].numpy())

    def test_train_sample_and_multiple_codecs(self):
        codecs = [
            MSRAHeatmap(heatmap_size=(48, 64), sigma=2),
            MSRAHeatmap(heatmap_size=(192, 256), sigma=8),
        ]
        mapper = TopDownDatasetMapper(True, metadata=self.meta, codecs=codecs)
        np.random.seed(0)
        s = mapper(self.records[1])
        self.assertEqual([tuple(h.shape) for h in s["heatmaps"]], [(17, 64, 48), (17, 256, 192)])
        self.assertEqual([tuple(w.shape) for w in s["target_weights"]], [(17,), (17,)])
        self.assertEqual(s["heatmaps"][0].dtype, torch.float32)
        self.assertEqual(s["lja_blocks"], [])
        with self.assertRaises(ValueError):
            TopDownDatasetMapper(True, metadata=self.meta, codecs=[MSRAHeatmap(), UDPHeatmap()])
        with self.assertRaises(TypeError):
            TopDownDatasetMapper(True, augmentations=None)  # the metadata is required

    def test_detection_records(self):
        name = register_fixture("coco")
        from detectron2.data import MetadataCatalog

        from tests.common import fixture_path

        MetadataCatalog.get(name).set(det_file=fixture_path("coco", "test_coco_det_AP_H_56.json"))
        dets = get_topdown_dataset(name)
        self.assertEqual(len(dets), 118)
        mapper = TopDownDatasetMapper(False, metadata=MetadataCatalog.get(name))
        s = mapper(dets[0])
        self.assertEqual(s["bbox_score"], dets[0]["bbox_score"])
        self.assertIsNone(s["annotation_id"])

    def test_flip_indices(self):
        idx = create_keypoint_hflip_indices(self.meta.name)
        self.assertEqual(idx, [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15])
        _, cp_meta = fixture_records("crowdpose")
        self.assertEqual(
            create_keypoint_hflip_indices(cp_meta.name), [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 12, 13]
        )


class TestBadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.records, cls.meta = fixture_records("coco")
        cls.mapper = TopDownDatasetMapper(False, metadata=cls.meta)

    def test_missing_image(self):
        r = dict(self.records[0], file_name="/nonexistent/dir/missing.jpg")
        with self.assertRaises(RuntimeError) as ctx:
            self.mapper(r)
        msg = str(ctx.exception)
        self.assertIn("/nonexistent/dir/missing.jpg", msg)
        self.assertIn(str(r["annotation_id"]), msg)
        self.assertIn(str(r["image_id"]), msg)

    def test_corrupt_image(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "corrupt.jpg")
            with open(path, "wb") as f:
                f.write(b"\xff\xd8\xff\xe0 definitely not a jpeg")
            r = dict(self.records[0], file_name=path)
            with self.assertRaises(RuntimeError) as ctx:
                self.mapper(r)
            self.assertIn(path, str(ctx.exception))
            self.assertIn(str(r["annotation_id"]), str(ctx.exception))

    def test_zero_area_box(self):
        for box in ([10, 10, 0, 50], [10, 10, 40, 0], [10, 10, -3, 5]):
            r = dict(self.records[0], bbox=box)
            with self.assertRaises(ValueError) as ctx:
                self.mapper(r)
            self.assertIn("zero-area person box", str(ctx.exception))
            self.assertIn(r["file_name"], str(ctx.exception))
        with self.assertRaises(ValueError):
            self.mapper(dict(self.records[0], bbox=[1, 2, 3]))

    def test_bad_keypoints(self):
        with self.assertRaises(ValueError) as ctx:
            self.mapper(dict(self.records[0], keypoints=np.zeros((17, 2))))
        self.assertIn("(K, 3)", str(ctx.exception))
        with self.assertRaises(ValueError):
            self.mapper(dict(self.records[0], keypoints=np.zeros((14, 3))))  # flip map has 17

    def test_size_mismatch(self):
        from detectron2.data.detection_utils import SizeMismatchError

        with self.assertRaises(SizeMismatchError):
            self.mapper(dict(self.records[0], height=self.records[0]["height"] + 7))

    def test_no_labeled_joints_gives_zero_weights(self):
        mapper = TopDownDatasetMapper(
            True, metadata=self.meta, lja=LimbJointAugmentation.from_metadata(self.meta)
        )
        r = dict(self.records[0], keypoints=np.zeros((17, 3), np.float32))
        s = mapper(r)
        self.assertTrue(torch.all(s["target_weights"][0] == 0))
        self.assertTrue(torch.all(s["heatmaps"][0] == 0))
        self.assertEqual(s["lja_blocks"], [])


class TestDeterminism(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.records, cls.meta = fixture_records("crowdpose")

    def _mapper(self):
        return TopDownDatasetMapper(
            True, metadata=self.meta, lja=LimbJointAugmentation.from_metadata(self.meta)
        )

    def test_same_seed_same_samples(self):
        mapper = self._mapper()
        runs = []
        for _ in range(2):
            np.random.seed(1234)
            runs.append([mapper(r) for r in self.records * 2])
        for a, b in zip(*runs):
            np.testing.assert_array_equal(a["image"].numpy(), b["image"].numpy())
            np.testing.assert_array_equal(a["heatmaps"][0].numpy(), b["heatmaps"][0].numpy())
            self.assertEqual(a["lja_blocks"], b["lja_blocks"])
        # and the policy is random: the same record twice in one stream differs
        first, second = runs[0][0], runs[0][len(self.records)]
        self.assertFalse(np.array_equal(first["image"].numpy(), second["image"].numpy()))

    def test_data_loader_workers(self):
        def batches(seed):
            torch.manual_seed(seed)  # detectron2 seeds each worker from torch's initial seed
            loader = build_detection_train_loader(
                dataset=self.records,
                mapper=self._mapper(),
                sampler=TrainingSampler(len(self.records), shuffle=True, seed=7),
                total_batch_size=2,
                aspect_ratio_grouping=False,
                num_workers=2,
            )
            it = iter(loader)
            out = [next(it) for _ in range(4)]
            del it
            return out

        a, b = batches(99), batches(99)
        for ba, bb in zip(a, b):
            for sa, sb in zip(ba, bb):
                self.assertEqual(sa["annotation_id"], sb["annotation_id"])
                np.testing.assert_array_equal(sa["image"].numpy(), sb["image"].numpy())
                self.assertEqual(sa["lja_blocks"], sb["lja_blocks"])
                self.assertEqual(sa["rotation"], sb["rotation"])
        # Both workers contribute, with different random streams.
        rots = [s["rotation"] for bt in a for s in bt]
        self.assertGreater(len(set(rots)), 1)


class TestReducedDecoding(unittest.TestCase):
    def test_reduced_read_geometry(self):
        # A JPEG with a bright square; its centre must land at the same place in full and 1/f decodes.
        with tempfile.TemporaryDirectory() as d:
            img = np.full((403, 517, 3), 40, np.uint8)
            img[200:216, 300:316] = 250  # centre (307.5, 207.5)
            path = os.path.join(d, "sq.jpg")
            cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 98])
            for f in (2, 4, 8):
                red, factor = read_image_for_crop(path, format="BGR", max_reduction=f)
                self.assertEqual(factor, f)
                self.assertEqual(red.shape[:2], (-(-403 // f), -(-517 // f)))
                mask = red[..., 0].astype(np.float64) - 40
                mask[mask < 0] = 0
                ys, xs = np.mgrid[: red.shape[0], : red.shape[1]]
                c = np.array([(xs * mask).sum(), (ys * mask).sum()]) / mask.sum()
                m = reduction_matrix(f)
                expected = m[:, :2] @ [307.5, 207.5] + m[:, 2]
                np.testing.assert_allclose(c, expected, atol=0.15)
            full, factor = read_image_for_crop(path, format="BGR", max_reduction=1)
            self.assertEqual((factor, full.shape), (1, (403, 517, 3)))

    def test_reduced_mapper_matches_full(self):
        records, meta = fixture_records("ochuman")
        full = TopDownDatasetMapper(False, metadata=meta)
        fast = TopDownDatasetMapper(False, metadata=meta, reduced_decoding=True)
        used = 0
        for r in records:
            a, b = full(r), fast(r)
            np.testing.assert_array_equal(a["keypoints"].numpy(), b["keypoints"].numpy())
            np.testing.assert_array_equal(a["center"].numpy(), b["center"].numpy())
            used += fast._max_reduction(b["scale"].numpy()) > 1
            diff = np.abs(a["image"].numpy().astype(np.float32) - b["image"].numpy())
            # same content, the reduced decode is only smoother (less aliasing)
            self.assertLess(diff.mean(), 8.0)
        self.assertGreater(used, 0)

    def test_training_with_reduction_keeps_keypoints_on_the_image(self):
        # Synthetic photo: a dot at a labeled joint; after flip/scale/rotation + reduced decoding the
        # dot is where the sample's keypoint says.
        _, meta = fixture_records("coco")
        with tempfile.TemporaryDirectory() as d:
            img = np.zeros((1200, 1600, 3), np.uint8)
            cv2.circle(img, (1000, 700), 9, (255, 255, 255), -1)
            path = os.path.join(d, "dot.jpg")
            cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 98])
            kpts = np.zeros((17, 3), np.float32)
            kpts[9] = [1000, 700, 2]
            r = {
                "file_name": path,
                "image_id": 1,
                "height": 1200,
                "width": 1600,
                "bbox": [400.0, 200.0, 800.0, 900.0],
                "bbox_score": 1.0,
                "keypoints": kpts,
                "annotation_id": 5,
            }
            mapper = TopDownDatasetMapper(True, metadata=meta, reduced_decoding=True)
            np.random.seed(0)
            for _ in range(6):
                s = mapper(copy.deepcopy(r))
                k = s["keypoints"].numpy()
                j = 10 if s["flip"] else 9  # the left wrist became the right wrist
                im = s["image"].numpy()[0].astype(np.float64)
                ys, xs = np.nonzero(im > 60)
                if len(xs) == 0:
                    self.assertTrue(k[j, 0] < 0 or k[j, 0] > 191 or k[j, 1] < 0 or k[j, 1] > 255)
                    continue
                wts = im[ys, xs]
                c = [np.average(xs, weights=wts), np.average(ys, weights=wts)]
                np.testing.assert_allclose(c, k[j, :2], atol=1.0)
                # and the warp matrix maps the original joint there
                m = s["warp_matrix"].numpy()
                np.testing.assert_allclose(m[:, :2] @ [1000, 700] + m[:, 2], k[j, :2], atol=1e-2)


if __name__ == "__main__":
    unittest.main()

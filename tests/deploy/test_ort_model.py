"""OnnxPoseModel behind the TopDownPoseEstimator interface: same per-instance results, same Instances
through DetectorPoseModel and DetectorPosePredictor, clear errors on bad graphs and crops."""

import json
import os
import tempfile
import unittest

import cv2
import numpy as np
import torch

import ljof  # noqa: F401
from ljof.data import get_topdown_dataset
from tests.common import register_fixture
from tests.deploy.tiny import HAVE_ORT, NO_ORT, tiny_model


@unittest.skipUnless(HAVE_ORT, NO_ORT)
class TestOnnxPoseModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from ljof.deploy import export_onnx, fixture_crops

        cls.dataset = register_fixture("coco")
        cls.model = tiny_model("hrnet")
        cls.model.rescore_keypoint_thr = 0.05
        cls.tmp = tempfile.TemporaryDirectory()
        cls.graph = export_onnx(cls.model, flip_test=True)
        cls.path = os.path.join(cls.tmp.name, "model.onnx")
        with open(cls.path, "wb") as f:
            f.write(cls.graph)
        cls.crops = fixture_crops(cls.dataset, cls.model.codec, max_crops=6)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def _onnx(self, **kwargs):
        from ljof.deploy import OnnxPoseModel

        return OnnxPoseModel(self.path, intra_op_num_threads=1, **kwargs).eval()

    def test_same_results_as_pytorch(self):
        onnx_model = self._onnx()
        self.assertEqual(onnx_model.keypoint_flip_indices, self.model.keypoint_flip_indices)
        self.assertEqual(onnx_model.input_format, self.model.input_format)
        self.assertEqual(repr(onnx_model.codec), repr(self.model.codec))
        self.assertEqual(onnx_model.rescore_keypoint_thr, 0.05)
        self.assertEqual(onnx_model.device, torch.device("cpu"))
        with torch.no_grad():
            ref = self.model(self.crops)
        out = onnx_model(self.crops)
        self.assertEqual(len(out), len(ref))
        for r, o in zip(ref, out):
            self.assertEqual(sorted(o), sorted(r))
            self.assertEqual(o["image_id"], r["image_id"])
            self.assertEqual(o["bbox_score"], r["bbox_score"])
            self.assertEqual(o["bbox_area"], r["bbox_area"])
            self.assertTrue(torch.equal(o["keypoints"][:, :2], r["keypoints"][:, :2]))
            self.assertLess(float((o["keypoints"][:, 2] - r["keypoints"][:, 2]).abs().max()), 1e-5)
            oi, ri = o["instances"], r["instances"]
            self.assertEqual(oi.image_size, ri.image_size)
            self.assertTrue(torch.equal(oi.pred_boxes.tensor, ri.pred_boxes.tensor))
            self.assertTrue(torch.equal(oi.pred_keypoints[..., :2], ri.pred_keypoints[..., :2]))
            # rescored with the exported threshold: the mean keypoint score above 0.05
            self.assertLess(float((oi.scores - ri.scores).abs().max()), 1e-5)

    def test_rescore_override(self):
        onnx_model = self._onnx(rescore_keypoint_thr=None)
        out = onnx_model(self.crops[:2])
        for o, x in zip(out, self.crops[:2]):
            self.assertEqual(float(o["instances"].scores[0]), float(x["bbox_score"]))

    def test_detector_pose_model_and_predictor(self):
        from ljof.deploy import OnnxPoseModel
        from ljof.modeling import DetectorPoseModel
        from ljof.predictor import DetectorPosePredictor

        record = get_topdown_dataset(self.dataset)[0]
        boxes = np.array(
            [r["bbox"] for r in get_topdown_dataset(self.dataset) if r["image_id"] == record["image_id"]]
        )
        image = cv2.imread(record["file_name"], cv2.IMREAD_COLOR)
        results = {}
        for name, pose in (("torch", self.model), ("onnx", OnnxPoseModel(self.graph))):
            model = DetectorPoseModel(detector=None, pose_model=pose, pose_batch_size=2)
            predictor = DetectorPosePredictor(model)
            results[name] = predictor(image, person_boxes=boxes)
        ref, out = results["torch"], results["onnx"]
        self.assertEqual(len(out), len(boxes))
        self.assertEqual(out.image_size, ref.image_size)
        self.assertTrue(torch.equal(out.pred_boxes.tensor, ref.pred_boxes.tensor))
        self.assertTrue(torch.equal(out.scores, ref.scores))
        self.assertTrue(torch.equal(out.pred_keypoints[..., :2], ref.pred_keypoints[..., :2]))
        self.assertLess(float((out.pred_keypoints - ref.pred_keypoints).abs().max()), 1e-5)

    def test_bad_crops(self):
        onnx_model = self._onnx()
        sample = dict(self.crops[0])
        sample["image"] = sample["image"].float()
        with self.assertRaisesRegex(ValueError, "uint8"):
            onnx_model([sample])
        sample["image"] = torch.zeros((3, 128, 96), dtype=torch.uint8)
        with self.assertRaisesRegex(ValueError, r"\(3, 256, 192\)"):
            onnx_model([sample])
        with self.assertRaisesRegex(RuntimeError, "inference-only"):
            onnx_model.train()(self.crops[:1])

    def test_bad_graphs(self):
        import onnx

        from ljof.deploy import OnnxPoseModel

        with self.assertRaisesRegex(FileNotFoundError, "no ONNX file"):
            OnnxPoseModel(os.path.join(self.tmp.name, "missing.onnx"))
        proto = onnx.load_from_string(self.graph)
        del proto.metadata_props[:]
        with self.assertRaisesRegex(ValueError, "no 'ljof' metadata"):
            OnnxPoseModel(proto.SerializeToString())
        meta = json.loads(onnx.load_from_string(self.graph).metadata_props[0].value)
        for change, message in (
            ({"codec": {"type": "HeatmapCodec_x", "args": {}}}, "not a codec of ljof.data.codecs"),
            ({"version": 99}, "version 99"),
            ({"keypoint_flip_indices": list(range(14))}, "graph output"),
            (
                {"codec": {"type": "MSRAHeatmap", "args": {"input_size": [96, 128]}}},
                r"needs uint8 \(batch, 3, 128, 96\)",
            ),
        ):
            proto = onnx.load_from_string(self.graph)
            proto.metadata_props[0].value = json.dumps(dict(meta, **change))
            with self.subTest(change=change), self.assertRaisesRegex(ValueError, message):
                OnnxPoseModel(proto.SerializeToString())


if __name__ == "__main__":
    unittest.main()

"""Detector + pose end to end on the real COCO fixture images.

A randomly initialised Faster R-CNN R50-FPN (detectron2 model zoo yaml) is the detector; its boxes are
replaced by the ground-truth boxes (``person_boxes`` attached by ``ljof.data.attach_person_boxes``) and
the pose model is an oracle that returns the
heatmaps of the ground truth of each crop. detectron2's ``COCOEvaluator`` and LJOF's evaluator must both
accept the output of ``inference_on_dataset`` and give keypoint AP 1.0.
"""

import unittest

import cv2
import numpy as np
import torch
from detectron2.data import (
    DatasetCatalog,
    DatasetMapper,
    MetadataCatalog,
    build_detection_test_loader,
)
from detectron2.data import transforms as T
from detectron2.evaluation import COCOEvaluator, inference_on_dataset

import ljof  # noqa: F401
from detectron2.data.detection_utils import create_keypoint_hflip_indices

from ljof.data import MSRAHeatmap, attach_person_boxes, get_topdown_dataset
from ljof.data.datasets import register_keypoint_dataset
from ljof.data.transforms import image_to_crop
from ljof.evaluation import TopDownKeypointEvaluator
from ljof.modeling import DetectorPoseModel, KeypointMSELoss, TopDownPoseEstimator
from ljof.predictor import DetectorPosePredictor, build_detector
from tests.common import fixture_path, unique_name
from tests.modeling.oracle import MEAN, STD


class _Nothing(torch.nn.Module):
    def forward(self, x):
        return {}


class GroundTruthPose(TopDownPoseEstimator):
    """A pose model whose heatmaps are encoded from the GT keypoints of the person whose box was
    cropped (matched by image id and box); decoding and the crop -> image map are the real ones."""

    def __init__(self, records, codec, flip):
        super().__init__(
            backbone=_Nothing(),
            head=_Nothing(),
            loss=KeypointMSELoss(),
            codec=codec,
            keypoint_flip_indices=flip,
            pixel_mean=MEAN,
            pixel_std=STD,
            flip_test=False,
        )
        self.gt = {}
        for r in records:
            self.gt.setdefault(r["image_id"], []).append(r)
        self.calls = 0

    def forward(self, batched_inputs):
        self.calls += 1
        maps = []
        for x in batched_inputs:
            rec = min(
                self.gt[x["image_id"]],
                key=lambda r: np.abs(np.subtract(r["bbox"], x["bbox"])).max(),
            )
            kp = np.asarray(rec["keypoints"], np.float64)
            crop = image_to_crop(
                kp[:, :2], x["center"].numpy(), x["scale"].numpy(), self.codec.input_size
            )
            hm, _ = self.codec.encode(crop, (kp[:, 2] > 0).astype(np.float32))
            maps.append(hm)
        return self._postprocess(batched_inputs, torch.as_tensor(np.stack(maps)))


def _register_coco_fixture():
    name = unique_name("detpose_coco")
    register_keypoint_dataset(
        name, fixture_path("coco", "test_coco.json"), fixture_path("coco"), keypoint_set="coco"
    )
    return name


class TestDetectorPose(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        # a random Faster R-CNN R50-FPN, CPU, small test resize to keep the test fast
        cls.detector = build_detector(
            "COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml",
            opts=["MODEL.ROI_HEADS.SCORE_THRESH_TEST", "0.0"],
            device="cpu",
        )
        cls.name = _register_coco_fixture()
        cls.meta = MetadataCatalog.get(cls.name)
        cls.records = get_topdown_dataset(cls.name)
        cls.flip = create_keypoint_hflip_indices(cls.name)
        # stride-1 heatmaps: the oracle's only error is MSRA's quarter-pixel quantisation
        cls.codec = MSRAHeatmap(input_size=(192, 256), heatmap_size=(192, 256), sigma=2.0)

    def _loader(self):
        mapper = DatasetMapper(
            is_train=False, augmentations=[T.ResizeShortestEdge(320, 533)], image_format="BGR"
        )
        dataset = attach_person_boxes(
            DatasetCatalog.get(self.name), get_topdown_dataset(self.name, use_detections=False)
        )
        return build_detection_test_loader(dataset, mapper=mapper)

    def test_gt_boxes_oracle_pose_ap_is_one(self):
        pose = GroundTruthPose(self.records, self.codec, self.flip).eval()
        model = DetectorPoseModel(detector=self.detector, pose_model=pose).eval()
        coco_eval = COCOEvaluator(
            self.name,
            tasks=("keypoints",),
            distributed=False,
            kpt_oks_sigmas=self.meta.keypoint_oks_sigmas,
            use_fast_impl=False,  # the fast COCOeval is a compiled op, absent from the offline install
        )
        ours = TopDownKeypointEvaluator(self.name, distributed=False)
        # both evaluators report under "keypoints", so DatasetEvaluators cannot hold both: run twice
        d2_ap = inference_on_dataset(model, self._loader(), coco_eval)["keypoints"]["AP"]
        self.assertGreater(pose.calls, 0)
        ours_ap = inference_on_dataset(model, self._loader(), ours)["keypoints"]["AP"]
        self.assertAlmostEqual(d2_ap, 100.0, places=3)  # both evaluators report percent
        self.assertAlmostEqual(ours_ap, 100.0, places=2)

    def test_random_detector_output_format(self):
        pose = GroundTruthPose(self.records, self.codec, self.flip).eval()
        pose.forward = lambda inputs: TopDownPoseEstimator._postprocess(
            pose, inputs, torch.rand(len(inputs), 17, 64, 48)
        )
        pose.codec = MSRAHeatmap(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0)
        model = DetectorPoseModel(
            detector=self.detector,
            pose_model=pose,
            score_threshold=0.0,
            max_persons=3,
        )
        # the random classifier rarely says "person": make it say so for every proposal
        with torch.no_grad():
            self.detector.roi_heads.box_predictor.cls_score.weight.zero_()
            self.detector.roi_heads.box_predictor.cls_score.bias.zero_()
            self.detector.roi_heads.box_predictor.cls_score.bias[0] = 8.0
        image = cv2.imread(fixture_path("coco", "000000040083.jpg"))
        inst = DetectorPosePredictor(model, min_size_test=320, max_size_test=533)(image)
        h, w = image.shape[:2]
        self.assertEqual(inst.image_size, (h, w))
        n = len(inst)
        self.assertGreater(n, 0)
        self.assertLessEqual(n, 3)
        self.assertEqual(tuple(inst.pred_keypoints.shape), (n, 17, 3))
        self.assertTrue(torch.all(inst.pred_classes == 0))
        self.assertTrue(torch.all(inst.scores[:-1] >= inst.scores[1:]))
        # keypoints lie in their (padded) person box, in image coordinates
        boxes = inst.pred_boxes.tensor
        cx, bw = (boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 2] - boxes[:, 0]
        dx = (inst.pred_keypoints[:, :, 0] - cx[:, None]).abs()
        self.assertTrue(
            torch.all(
                dx
                <= 0.5 * 1.25 * torch.maximum(bw, (boxes[:, 3] - boxes[:, 1]) * 0.75)[:, None] + 1
            )
        )

    def test_no_detector_needs_person_boxes(self):
        pose = GroundTruthPose(self.records, self.codec, self.flip).eval()
        model = DetectorPoseModel(detector=None, pose_model=pose).eval()
        image = torch.zeros((3, 40, 60), dtype=torch.uint8)
        with self.assertRaisesRegex(ValueError, "person_boxes"):
            model([{"image": image, "height": 40, "width": 60, "image_id": 7}])


class TestWeights(unittest.TestCase):
    def test_pose_and_whole_model_checkpoints_load(self):
        import os
        import tempfile

        from detectron2.config import LazyCall as L
        from detectron2.config import LazyConfig
        from omegaconf import OmegaConf

        from ljof.predictor import build_detector_pose_model
        from tests.common import ROOT

        pose_cfg = LazyConfig.load(os.path.join(ROOT, "configs", "main_job", "baseline.py")).model
        cfg = OmegaConf.create()
        cfg.model = L(DetectorPoseModel)(detector=None, pose_model=pose_cfg)
        torch.manual_seed(1)
        reference = build_detector_pose_model(cfg, device="cpu")
        with tempfile.TemporaryDirectory() as tmp:
            pose_path = os.path.join(tmp, "pose.pth")
            torch.save({"model": reference.pose_model.state_dict()}, pose_path)
            whole_path = os.path.join(tmp, "whole.pth")
            torch.save({"model": reference.state_dict()}, whole_path)
            for key, path in (("pose_init_checkpoint", pose_path), ("init_checkpoint", whole_path)):
                cfg.train = {key: path}
                torch.manual_seed(2)  # a different random init, replaced by the checkpoint
                loaded = build_detector_pose_model(cfg, device="cpu")
                for (name, a), b in zip(
                    reference.state_dict().items(), loaded.state_dict().values()
                ):
                    self.assertTrue(torch.equal(a, b), f"{key}: {name} differs")


class TestCropGeometry(unittest.TestCase):
    def test_crop_of_a_resized_image_matches_original_coordinates(self):
        codec = MSRAHeatmap(input_size=(96, 128), heatmap_size=(24, 32), sigma=2.0)
        pose = GroundTruthPose([], codec, list(range(17)))
        model = DetectorPoseModel(detector=None, pose_model=pose)
        height, width = 300, 400
        original = np.zeros((height, width, 3), np.uint8)
        point = (230.0, 140.0)  # pixel-index coordinates of a bright 9x9 square's centre
        original[136:145, 226:235] = 255
        resized = cv2.resize(original, (200, 150), interpolation=cv2.INTER_AREA)  # half size
        x = {
            "image": torch.as_tensor(resized.transpose(2, 0, 1).copy()),
            "height": height,
            "width": width,
        }
        box = np.array([205.0, 105.0, 48.0, 64.0])  # small: 1 original px = ~1.6 crop px
        sample = model._crops(x, 0, box[None], np.array([0.9]))[0]
        crop = sample["image"].numpy()[0].astype(np.float64)
        ys, xs = np.nonzero(crop > 0)
        weights = crop[ys, xs]
        found = (np.sum(xs * weights) / weights.sum(), np.sum(ys * weights) / weights.sum())
        expected = image_to_crop(
            np.array([point]), sample["center"].numpy(), sample["scale"].numpy(), codec.input_size
        )[0]
        np.testing.assert_allclose(found, expected, atol=0.3)
        self.assertEqual(sample["bbox_score"], 0.9)
        self.assertEqual((sample["height"], sample["width"]), (height, width))


class TestYacsPath(unittest.TestCase):
    def test_build_model_from_yacs_config(self):
        import os

        from detectron2.config import get_cfg
        from detectron2.modeling import build_model

        from ljof.modeling import add_detector_pose_config
        from tests.common import ROOT

        cfg = add_detector_pose_config(get_cfg())
        cfg.MODEL.META_ARCHITECTURE = "DetectorPoseModel"
        cfg.MODEL.DEVICE = "cpu"
        cfg.MODEL.DETECTOR_POSE.POSE_CONFIG = os.path.join(
            ROOT, "configs", "main_job", "baseline.py"
        )
        cfg.MODEL.DETECTOR_POSE.DETECTOR_CONFIG = ""  # no detector needed for this check
        model = build_model(cfg)
        self.assertIsInstance(model, DetectorPoseModel)
        self.assertIsNone(model.detector)
        self.assertEqual(model.input_format, "BGR")
        predictor = DetectorPosePredictor.from_yacs(model, cfg)
        self.assertEqual(tuple(predictor.aug.short_edge_length), (800, 800))
        self.assertEqual(tuple(model.pose_model.codec.input_size), (96, 128))
        cfg.MODEL.DETECTOR_POSE.POSE_CONFIG = ""
        with self.assertRaisesRegex(ValueError, "POSE_CONFIG"):
            build_model(cfg)

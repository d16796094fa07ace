"""Detector + top-down pose estimator as one detectron2 meta-architecture.

Any detectron2 detector (Faster R-CNN, RetinaNet, ... from a model-zoo yaml or a LazyConfig) finds the
people; their boxes are cropped with the data pipeline's test-time warp (``ljof.data``'s
``TopDownAugInput`` + ``TopDownAffine``, the same code as ``TopDownDatasetMapper``) and the top-down pose
model estimates the keypoints. The output is what detectron2's Keypoint R-CNN returns: one dict per image
with ``instances`` holding ``pred_boxes`` (XYXY, detectron2 coordinates), ``scores`` (the box score),
``pred_classes`` and ``pred_keypoints`` ``(N, K, 3)`` (x, y + 0.5, detectron2's continuous convention;
keypoint score), so ``inference_on_dataset`` with ``COCOEvaluator`` or LJOF's evaluator, and
``Visualizer``, work unchanged.
"""

import logging
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from detectron2.config import CfgNode, configurable
from detectron2.data import MetadataCatalog
from detectron2.modeling import META_ARCH_REGISTRY
from detectron2.structures import Boxes, BoxMode, Instances
from torch import nn

from .meta_arch.topdown import TopDownPoseEstimator

__all__ = ["DetectorPoseModel", "BOX_SOURCES", "add_detector_pose_config"]

logger = logging.getLogger(__name__)

BOX_SOURCES = ("detector", "gt")


def add_detector_pose_config(cfg: CfgNode) -> CfgNode:
    """Add the keys that let detectron2's yacs path (``build_model(cfg)`` with
    ``MODEL.META_ARCHITECTURE = "DetectorPoseModel"``) build the model:

    * ``MODEL.DETECTOR_POSE.DETECTOR_CONFIG``: detector yaml (model zoo name or path) or LazyConfig;
    * ``MODEL.DETECTOR_POSE.DETECTOR_WEIGHTS``: its weights (path or URL; "" = random);
    * ``MODEL.DETECTOR_POSE.POSE_CONFIG``: a LazyConfig whose ``model`` is the top-down pose model
      (e.g. ``configs/hrnet_w32_coco_256x192.py``); ``POSE_WEIGHTS``: its checkpoint (converted by
      ``ljof.checkpoint.PoseCheckpointer``); ``MODEL.WEIGHTS`` stays for a whole-model checkpoint
      (``DefaultPredictor`` loads it);
    * ``SCORE_THRESH``, ``PERSON_CLASS_ID``, ``MAX_PERSONS``, ``BOX_SOURCE``, ``GT_DATASET``.
    """
    cfg.MODEL.DETECTOR_POSE = CfgNode()
    node = cfg.MODEL.DETECTOR_POSE
    node.DETECTOR_CONFIG = "COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml"
    node.DETECTOR_WEIGHTS = ""
    node.POSE_CONFIG = ""
    node.POSE_WEIGHTS = ""
    node.SCORE_THRESH = 0.5
    node.PERSON_CLASS_ID = 0
    node.MAX_PERSONS = 100
    node.BOX_SOURCE = "detector"
    node.GT_DATASET = ""
    return cfg


@META_ARCH_REGISTRY.register()
class DetectorPoseModel(nn.Module):
    """Person detector followed by a top-down pose estimator (inference only).

    Args:
        detector: a detectron2 detector in eval mode semantics (``forward(batched_inputs)`` → list of
            ``{"instances": Instances}`` in original-image coordinates, e.g. ``GeneralizedRCNN``).
            May be None when ``box_source="gt"``.
        pose_model: a :class:`~ljof.modeling.TopDownPoseEstimator` (its codec gives the crop size).
        person_class_id: the detector's class index of "person" (0 in COCO-trained detectors).
        score_threshold: keep detections with score >= this.
        max_persons: at most this many people per image (highest scores first).
        box_source: ``"detector"`` or ``"gt"``. ``"gt"`` replaces the detector's boxes by ground-truth
            boxes: from ``annotations`` in the inputs when present (detectron2 dataset dicts), else from
            the person records of ``gt_dataset`` (matched by ``image_id``); their score is 1.
        gt_dataset: registered dataset name(s) to read GT boxes from (``box_source="gt"``).
        input_format: channel order of the ``image`` tensors in the inputs (the detector's, e.g. "BGR").
        padding: person-box padding of the crop (1.25, as in training).
        pose_batch_size: crops per pose forward pass.
        min_size_test, max_size_test: the shortest-edge resize a predictor applies before the model
            (the detector's test resize; read by :class:`ljof.predictor.DetectorPosePredictor`).
    """

    @configurable
    def __init__(
        self,
        *,
        detector: Optional[nn.Module],
        pose_model: TopDownPoseEstimator,
        person_class_id: int = 0,
        score_threshold: float = 0.5,
        max_persons: int = 100,
        box_source: str = "detector",
        gt_dataset=None,
        input_format: Optional[str] = None,
        padding: float = 1.25,
        pose_batch_size: int = 32,
        min_size_test: int = 800,
        max_size_test: int = 1333,
    ):
        super().__init__()
        if box_source not in BOX_SOURCES:
            raise ValueError(f"DetectorPoseModel: box_source={box_source!r} not in {BOX_SOURCES}")
        if detector is None and box_source == "detector":
            raise ValueError("DetectorPoseModel: box_source='detector' needs a detector")
        self.detector = detector
        self.pose_model = pose_model
        self.person_class_id = int(person_class_id)
        self.score_threshold = float(score_threshold)
        self.max_persons = int(max_persons)
        self.box_source = box_source
        self.gt_dataset = gt_dataset
        if input_format is None:
            input_format = getattr(detector, "input_format", None) or pose_model.input_format
        self.input_format = input_format
        self.padding = float(padding)
        self.pose_batch_size = int(pose_batch_size)
        self.min_size_test = int(min_size_test)
        self.max_size_test = int(max_size_test)
        self._gt_boxes = None  # image_id -> [(xywh, score)], built on first use

    @classmethod
    def from_config(cls, cfg: CfgNode) -> Dict:
        """Keyword arguments from a yacs config extended by :func:`add_detector_pose_config`."""
        from detectron2.config import LazyConfig, instantiate

        from ljof.predictor import build_detector

        node = cfg.MODEL.get("DETECTOR_POSE", None)
        if node is None or not node.POSE_CONFIG:
            raise ValueError(
                "DetectorPoseModel from a yacs config needs MODEL.DETECTOR_POSE.POSE_CONFIG: call "
                "ljof.modeling.add_detector_pose_config(cfg) and set it"
            )
        pose_model = instantiate(LazyConfig.load(node.POSE_CONFIG).model).to(cfg.MODEL.DEVICE)
        if node.POSE_WEIGHTS:
            from ljof.checkpoint import PoseCheckpointer

            PoseCheckpointer(pose_model).load(node.POSE_WEIGHTS)
        detector = None
        if node.BOX_SOURCE == "detector":
            detector = build_detector(
                node.DETECTOR_CONFIG, weights=node.DETECTOR_WEIGHTS or None, device=cfg.MODEL.DEVICE
            )
        return {
            "detector": detector,
            "pose_model": pose_model,
            "person_class_id": node.PERSON_CLASS_ID,
            "score_threshold": node.SCORE_THRESH,
            "max_persons": node.MAX_PERSONS,
            "box_source": node.BOX_SOURCE,
            "gt_dataset": node.GT_DATASET or None,
            "input_format": cfg.INPUT.FORMAT,
            "min_size_test": cfg.INPUT.MIN_SIZE_TEST,
            "max_size_test": cfg.INPUT.MAX_SIZE_TEST,
        }

    @property
    def device(self) -> torch.device:
        return self.pose_model.device

    # ---------------------------------------------------------------------------------------------
    def forward(self, batched_inputs: List[Dict]) -> List[Dict]:
        """Inference on images.

        Args:
            batched_inputs: detectron2 image dicts: ``image`` (3, H', W') tensor in ``input_format``
                (possibly resized), ``height``, ``width`` (original size), ``image_id`` (needed for GT
                boxes from a dataset).

        Returns:
            one ``{"instances": Instances}`` per input, in original-image coordinates.
        """
        if self.training:
            raise RuntimeError(
                "DetectorPoseModel is inference-only: train the detector and the pose model separately"
            )
        boxes, scores = self._person_boxes(batched_inputs)
        crops = []
        for i, x in enumerate(batched_inputs):
            if boxes[i]:
                img = self._as_numpy(x, i)
                crops += [self._crop(x, img, i, b, s) for b, s in zip(boxes[i], scores[i])]
        per_instance = []
        with torch.no_grad():
            for start in range(0, len(crops), self.pose_batch_size):
                per_instance += self.pose_model(crops[start : start + self.pose_batch_size])
        results, k = [], 0
        for i, x in enumerate(batched_inputs):
            n = len(boxes[i])
            outs = per_instance[k : k + n]
            k += n
            results.append({"instances": self._instances(x, boxes[i], scores[i], outs)})
        return results

    # ---------------------------------------------------------------------------------------------
    def _person_boxes(self, batched_inputs: List[Dict]):
        """Per image: a list of XYWH boxes (original px) and a list of scores."""
        if self.box_source == "gt":
            out = [self._gt_for(x) for x in batched_inputs]
            return [o[0] for o in out], [o[1] for o in out]
        self.detector.eval()
        with torch.no_grad():
            detections = self.detector(batched_inputs)
        boxes, scores = [], []
        for det in detections:
            inst = det["instances"].to("cpu")
            keep = (inst.pred_classes == self.person_class_id) & (
                inst.scores >= self.score_threshold
            )
            inst = inst[keep]
            order = torch.argsort(inst.scores, descending=True)[: self.max_persons]
            inst = inst[order]
            xyxy = inst.pred_boxes.tensor.numpy().astype(np.float64)
            xywh = BoxMode.convert(xyxy, BoxMode.XYXY_ABS, BoxMode.XYWH_ABS)
            good = (xywh[:, 2] > 0) & (xywh[:, 3] > 0)
            boxes.append([b for b in xywh[good]])
            scores.append([float(s) for s in inst.scores.numpy()[good]])
        return boxes, scores

    def _gt_for(self, x: Dict):
        if "annotations" in x:
            anns = [a for a in x["annotations"] if not a.get("iscrowd", 0)]
            boxes = [
                np.asarray(BoxMode.convert(a["bbox"], a["bbox_mode"], BoxMode.XYWH_ABS), np.float64)
                for a in anns
            ]
            return [b for b in boxes if b[2] > 0 and b[3] > 0], [1.0] * len(boxes)
        if self.gt_dataset is None:
            raise ValueError(
                "DetectorPoseModel(box_source='gt') needs 'annotations' in the inputs or gt_dataset"
            )
        if self._gt_boxes is None:
            from ljof.data import get_topdown_dataset

            self._gt_boxes = {}
            for r in get_topdown_dataset(self.gt_dataset, use_detections=False):
                self._gt_boxes.setdefault(r["image_id"], []).append(
                    (np.asarray(r["bbox"], np.float64), float(r["bbox_score"]))
                )
        if "image_id" not in x:
            raise ValueError("DetectorPoseModel(box_source='gt'): input without 'image_id'")
        found = self._gt_boxes.get(x["image_id"], [])
        return [b for b, _ in found], [s for _, s in found]

    @staticmethod
    def _as_numpy(x: Dict, index: int) -> np.ndarray:
        """The input image as a contiguous (H', W', C) uint8 array."""
        image = x.get("image")
        if not isinstance(image, torch.Tensor) or image.dim() != 3:
            raise ValueError(
                f"DetectorPoseModel: input {index} (image_id={x.get('image_id')}) needs 'image' as "
                f"a (C, H, W) tensor"
            )
        img = image.permute(1, 2, 0).cpu().numpy()
        if img.dtype != np.uint8:
            img = np.clip(img, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(img)

    def _crop(self, x: Dict, img: np.ndarray, index: int, box_xywh, score: float) -> Dict:
        """One test-mode pose sample (docs/interfaces.md "Mapper samples") cut from the input image
        ``img`` ((H', W', C), possibly resized from the original ``height`` x ``width``)."""
        from ljof.data.augmentations import TopDownAffine, TopDownAugInput
        from ljof.data.transforms import bbox_xywh_to_center_scale

        height = int(x.get("height", img.shape[0]))
        width = int(x.get("width", img.shape[1]))
        # original px -> px of the (possibly resized) input image, pixel-index convention
        sx, sy = img.shape[1] / width, img.shape[0] / height
        image_matrix = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5]])
        center, scale = bbox_xywh_to_center_scale(box_xywh, padding=self.padding)
        codec = self.pose_model.codec
        num_kpts = len(self.pose_model.keypoint_flip_indices)
        aug = TopDownAugInput(
            img,
            keypoints=np.zeros((num_kpts, 3), np.float32),
            center=center,
            scale=scale,
            box_size=np.asarray(box_xywh[2:4], np.float32),
            image_size=(height, width),
            image_matrix=image_matrix,
        )
        aug.transform(
            TopDownAffine(codec.input_size, use_udp=codec.use_udp).get_transform(
                aug.center, aug.scale, aug.rotation
            )
        )
        crop = aug.image
        if self.input_format != self.pose_model.input_format:
            crop = crop[:, :, ::-1]
        return {
            "image": torch.as_tensor(np.ascontiguousarray(crop.transpose(2, 0, 1))),
            "center": torch.as_tensor(aug.center, dtype=torch.float32),
            "scale": torch.as_tensor(aug.scale, dtype=torch.float32),
            "bbox": [float(v) for v in box_xywh],
            "bbox_score": float(score),
            "bbox_area": float(aug.scale[0] * aug.scale[1]),
            "image_id": x.get("image_id", index),
            "height": height,
            "width": width,
        }

    def _instances(self, x: Dict, boxes, scores, outs: Sequence[Dict]) -> Instances:
        height = int(x.get("height", x["image"].shape[1]))
        width = int(x.get("width", x["image"].shape[2]))
        inst = Instances((height, width))
        num_kpts = len(self.pose_model.keypoint_flip_indices)
        if boxes:
            xywh = np.stack([np.asarray(b, np.float64) for b in boxes])
            xyxy = BoxMode.convert(xywh, BoxMode.XYWH_ABS, BoxMode.XYXY_ABS)
            inst.pred_boxes = Boxes(torch.as_tensor(xyxy, dtype=torch.float32))
            kp = torch.stack([o["keypoints"].float() for o in outs])
            kp[:, :, :2] += 0.5  # pixel-index -> detectron2's continuous coordinates
        else:
            inst.pred_boxes = Boxes(torch.zeros((0, 4)))
            kp = torch.zeros((0, num_kpts, 3))
        # as Keypoint R-CNN: the instance score is the box score (the evaluators rescore with keypoints)
        inst.scores = torch.as_tensor(list(scores), dtype=torch.float32).reshape(-1)
        inst.pred_classes = torch.zeros(len(boxes), dtype=torch.int64)
        inst.pred_keypoints = kp
        return inst

    @staticmethod
    def person_class_from_metadata(dataset_name: str) -> int:
        """Index of "person" in a registered detection dataset's ``thing_classes``."""
        classes = MetadataCatalog.get(dataset_name).get("thing_classes", None) or []
        if "person" not in classes:
            raise ValueError(f"dataset '{dataset_name}' has no 'person' in thing_classes {classes}")
        return classes.index("person")

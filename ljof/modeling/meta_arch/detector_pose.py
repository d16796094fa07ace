"""Detector + top-down pose estimator as one detectron2 meta-architecture.

Any detectron2 detector (Faster R-CNN, RetinaNet, ... from a model-zoo yaml or a LazyConfig) finds the
people; their boxes are cropped with the data pipeline's test-time crop
(:func:`ljof.data.transforms.crop_person`, the function ``TopDownDatasetMapper`` uses) and the top-down
pose model estimates the keypoints. The output is what detectron2's Keypoint R-CNN returns: one dict per
image with ``instances`` holding ``pred_boxes`` (XYXY, detectron2 coordinates), ``scores`` (the box
score), ``pred_classes`` and ``pred_keypoints`` ``(N, K, 3)`` (x, y + 0.5, detectron2's continuous
convention; keypoint score), so ``inference_on_dataset`` with ``COCOEvaluator`` or LJOF's evaluator, and
``Visualizer``, work unchanged.

The model only runs models: boxes given with the inputs (``person_boxes``, e.g. ground truth attached by
:func:`ljof.data.attach_person_boxes`) replace the detector; resizing and loading weights are the
predictor's (:class:`ljof.predictor.DetectorPosePredictor`), as in detectron2's ``DefaultPredictor``.
"""

import logging
import os
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from detectron2 import model_zoo
from detectron2.config import CfgNode, LazyConfig, configurable, get_cfg, instantiate
from detectron2.data import MetadataCatalog
from detectron2.modeling import META_ARCH_REGISTRY, build_model
from detectron2.structures import BoxMode
from torch import nn

from ljof.data import topdown_test_sample
from ljof.data.transforms import crop_person, topdown_window
from ljof.structures import pixel_index_scale_matrix

from ..instances import keypoint_instances
from .topdown import TopDownPoseEstimator

__all__ = ["DetectorPoseModel", "add_detector_pose_config", "build_detector_model"]

logger = logging.getLogger(__name__)


def add_detector_pose_config(cfg: CfgNode) -> CfgNode:
    """Add the keys that let detectron2's yacs path (``build_model(cfg)`` with
    ``MODEL.META_ARCHITECTURE = "DetectorPoseModel"``) build the model:

    * ``MODEL.DETECTOR_POSE.DETECTOR_CONFIG``: detector yaml (model zoo name or path) or LazyConfig;
      "" = no detector (every input then carries ``person_boxes``);
    * ``MODEL.DETECTOR_POSE.DETECTOR_WEIGHTS``: its weights (path or URL; "" = random);
    * ``MODEL.DETECTOR_POSE.POSE_CONFIG``: a LazyConfig whose ``model`` is the top-down pose model
      (e.g. ``configs/hrnet_w32_coco_256x192.py``); ``POSE_WEIGHTS``: its checkpoint (converted by
      ``ljof.checkpoint.PoseCheckpointer``); ``MODEL.WEIGHTS`` stays for a whole-model checkpoint.
      ``build_model`` builds without weights, as detectron2's does; ``DetectorPosePredictor.from_yacs``
      loads the three, as ``DefaultPredictor`` loads ``MODEL.WEIGHTS``;
    * ``SCORE_THRESH``, ``PERSON_CLASS_ID``, ``MAX_PERSONS``.

    The test resize is detectron2's ``INPUT.MIN_SIZE_TEST`` / ``INPUT.MAX_SIZE_TEST``, read by the
    predictor.
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
    return cfg


@META_ARCH_REGISTRY.register()
class DetectorPoseModel(nn.Module):
    """Person detector followed by a top-down pose estimator (inference only).

    Args:
        detector: a detectron2 detector (``forward(batched_inputs)`` -> list of ``{"instances":
            Instances}`` in original-image coordinates, e.g. ``GeneralizedRCNN``), or None when every
            input carries ``person_boxes``.
        pose_model: a :class:`~ljof.modeling.TopDownPoseEstimator` (its codec gives the crop size).
        person_class_id: the detector's class index of "person" (0 in COCO-trained detectors).
        score_threshold: keep detections with score >= this.
        max_persons: at most this many people per image (highest scores first).
        input_format: channel order of the ``image`` tensors in the inputs (the detector's, e.g. "BGR").
        padding: person-box padding of the crop (1.25, as in training).
        pose_batch_size: crops per pose forward pass.
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
        input_format: Optional[str] = None,
        padding: float = 1.25,
        pose_batch_size: int = 32,
    ):
        super().__init__()
        self.detector = detector
        self.pose_model = pose_model
        self.person_class_id = int(person_class_id)
        self.score_threshold = float(score_threshold)
        self.max_persons = int(max_persons)
        if input_format is None:
            input_format = getattr(detector, "input_format", None) or pose_model.input_format
        self.input_format = input_format
        self.padding = float(padding)
        self.pose_batch_size = int(pose_batch_size)

    @classmethod
    def from_config(cls, cfg: CfgNode) -> Dict:
        """Keyword arguments from a yacs config extended by :func:`add_detector_pose_config`: the
        detector and the pose model, randomly initialised (weights: ``DetectorPosePredictor.from_yacs``).
        """
        node = cfg.MODEL.get("DETECTOR_POSE", None)
        if node is None or not node.POSE_CONFIG:
            raise ValueError(
                "DetectorPoseModel from a yacs config needs MODEL.DETECTOR_POSE.POSE_CONFIG: call "
                "ljof.modeling.add_detector_pose_config(cfg) and set it"
            )
        pose_model = instantiate(LazyConfig.load(node.POSE_CONFIG).model).to(cfg.MODEL.DEVICE)
        detector = None
        if node.DETECTOR_CONFIG:
            detector = build_detector_model(node.DETECTOR_CONFIG, device=cfg.MODEL.DEVICE)
        return {
            "detector": detector,
            "pose_model": pose_model,
            "person_class_id": node.PERSON_CLASS_ID,
            "score_threshold": node.SCORE_THRESH,
            "max_persons": node.MAX_PERSONS,
            "input_format": cfg.INPUT.FORMAT,
        }

    @property
    def device(self) -> torch.device:
        return self.pose_model.device

    # ---------------------------------------------------------------------------------------------
    def forward(self, batched_inputs: List[Dict]) -> List[Dict]:
        """Inference on images.

        Args:
            batched_inputs: detectron2 image dicts: ``image`` (3, H', W') tensor in ``input_format``
                (possibly resized for the detector), ``height``, ``width`` (original size), optional
                ``image_id``; optional ``pose_image``: the (H, W, 3) uint8 image at its original size
                in ``input_format`` (tensor or array), from which the crops are then cut exactly as the
                reference implementations cut them (else they come from ``image`` through the resize);
                optional ``person_boxes`` ((N, 4) XYWH original px) with ``person_scores`` ((N,),
                default 1), which replace the detector for that image.

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
            if len(boxes[i]):
                crops += self._crops(x, i, boxes[i], scores[i])
        per_instance = []
        with torch.no_grad():
            for start in range(0, len(crops), self.pose_batch_size):
                per_instance += self.pose_model(crops[start : start + self.pose_batch_size])
        results, k = [], 0
        num_kpts = len(self.pose_model.keypoint_flip_indices)
        for i, x in enumerate(batched_inputs):
            n = len(boxes[i])
            outs = per_instance[k : k + n]
            k += n
            keypoints = (
                torch.stack([o["keypoints"].float() for o in outs])
                if n
                else torch.zeros((0, num_kpts, 3))
            )
            # as Keypoint R-CNN: the instance score is the box score (the evaluators rescore)
            results.append(
                {"instances": keypoint_instances(_image_size(x), boxes[i], scores[i], keypoints)}
            )
        return results

    # ---------------------------------------------------------------------------------------------
    def _person_boxes(self, batched_inputs: List[Dict]):
        """Per image: (N, 4) XYWH float64 boxes (original px) and (N,) scores."""
        boxes, scores = [None] * len(batched_inputs), [None] * len(batched_inputs)
        need = [i for i, x in enumerate(batched_inputs) if "person_boxes" not in x]
        for i, x in enumerate(batched_inputs):
            if "person_boxes" in x:
                b = np.asarray(x["person_boxes"], np.float64).reshape(-1, 4)
                s = x.get("person_scores", None)
                boxes[i] = b
                scores[i] = np.ones(len(b)) if s is None else np.asarray(s, np.float64).reshape(-1)
        if need:
            if self.detector is None:
                raise ValueError(
                    "DetectorPoseModel has no detector, so every input needs 'person_boxes' (input "
                    f"{need[0]}, image_id={batched_inputs[need[0]].get('image_id')} has none)"
                )
            self.detector.eval()
            with torch.no_grad():
                detections = self.detector([batched_inputs[i] for i in need])
            for i, det in zip(need, detections):
                boxes[i], scores[i] = self._select_people(det["instances"].to("cpu"))
        for i in range(len(boxes)):  # the crop needs a positive size
            good = (boxes[i][:, 2] > 0) & (boxes[i][:, 3] > 0)
            boxes[i], scores[i] = boxes[i][good], scores[i][good]
        return boxes, scores

    def _select_people(self, inst):
        keep = (inst.pred_classes == self.person_class_id) & (inst.scores >= self.score_threshold)
        inst = inst[keep]
        inst = inst[torch.argsort(inst.scores, descending=True)[: self.max_persons]]
        xyxy = inst.pred_boxes.tensor.numpy().astype(np.float64)
        return BoxMode.convert(xyxy, BoxMode.XYXY_ABS, BoxMode.XYWH_ABS), inst.scores.numpy()

    def _crops(self, x: Dict, index: int, boxes: np.ndarray, scores: np.ndarray) -> List[Dict]:
        """Test-mode pose samples (docs/interfaces.md "Mapper samples") of one image's boxes."""
        height, width = _image_size(x)
        image_matrix = None  # original px -> px of the image the crops come from
        if "pose_image" in x:
            img = _as_hwc_uint8(x["pose_image"], index, x, "pose_image", channels_first=False)
        else:
            img = _as_hwc_uint8(x.get("image"), index, x, "image", channels_first=True)
            if img.shape[:2] != (height, width):  # resized for the detector, pixel-index convention
                sx, sy = img.shape[1] / width, img.shape[0] / height
                image_matrix = pixel_index_scale_matrix(sx, sy)
        codec = self.pose_model.codec
        samples = []
        for box, score in zip(boxes, scores):
            center, scale = topdown_window(box, input_size=codec.input_size, padding=self.padding)
            crop, _ = crop_person(
                img,
                center,
                scale,
                input_size=codec.input_size,
                use_udp=codec.use_udp,
                image_matrix=image_matrix,
            )
            if self.input_format != self.pose_model.input_format:
                crop = crop[:, :, ::-1]
            samples.append(
                topdown_test_sample(
                    crop,
                    center=center,
                    scale=scale,
                    bbox=box,
                    bbox_score=float(score),
                    image_id=x.get("image_id", index),
                    height=height,
                    width=width,
                )
            )
        return samples

    @staticmethod
    def person_class_from_metadata(dataset_name: str) -> int:
        """Index of "person" in a registered detection dataset's ``thing_classes``."""
        classes = MetadataCatalog.get(dataset_name).get("thing_classes", None) or []
        if "person" not in classes:
            raise ValueError(f"dataset '{dataset_name}' has no 'person' in thing_classes {classes}")
        return classes.index("person")


def _resolve_detector_config(config_file: str) -> str:
    if os.path.exists(config_file):
        return config_file
    try:
        return model_zoo.get_config_file(config_file)
    except RuntimeError as e:
        raise FileNotFoundError(
            f"detector config {config_file!r} is neither a file nor a detectron2 model-zoo config "
            "(e.g. 'COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml')"
        ) from e


def build_detector_model(config_file: str, *, opts: Sequence[str] = (), device: str) -> nn.Module:
    """A detectron2 detector, randomly initialised, in eval mode on ``device`` (weights: the predictor's
    ``ljof.predictor.build_detector`` or a ``DetectionCheckpointer``).

    Args:
        config_file: a yaml (yacs, e.g. ``"COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml"`` from
            detectron2's model zoo or a local path) or a LazyConfig ``.py`` (its ``model``).
        opts: overrides: ``KEY VALUE`` pairs for yacs, ``key=value`` strings for LazyConfig.
        device: e.g. ``"cpu"`` or ``"cuda"``.

    Raises:
        FileNotFoundError: ``config_file`` is neither a file nor a model-zoo config.
    """
    path = _resolve_detector_config(config_file)
    if path.endswith(".py"):
        cfg = LazyConfig.apply_overrides(LazyConfig.load(path), list(opts))
        model = instantiate(cfg.model)
    else:
        cfg = get_cfg()
        cfg.merge_from_file(path)
        cfg.merge_from_list(list(opts))
        cfg.MODEL.DEVICE = device
        cfg.MODEL.WEIGHTS = ""
        model = build_model(cfg)
    return model.to(device).eval()


def _image_size(x: Dict):
    """(height, width) of an input's original image."""
    if "height" in x and "width" in x:
        return int(x["height"]), int(x["width"])
    return int(x["image"].shape[1]), int(x["image"].shape[2])


def _as_hwc_uint8(image, index: int, x: Dict, key: str, *, channels_first: bool) -> np.ndarray:
    """An input image as a contiguous (H, W, C) uint8 array."""
    if isinstance(image, torch.Tensor):
        image = image.cpu().numpy()
    if not isinstance(image, np.ndarray) or image.ndim != 3:
        raise ValueError(
            f"DetectorPoseModel: input {index} (image_id={x.get('image_id')}) needs {key!r} as a "
            f"{'(C, H, W)' if channels_first else '(H, W, C)'} image, got {type(image).__name__}"
        )
    if channels_first:
        image = image.transpose(1, 2, 0)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)

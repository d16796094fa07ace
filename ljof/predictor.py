"""Build a detector + pose model from configs and run it on images (detectron2's ``DefaultPredictor`` role).

* :func:`build_detector`: any detectron2 detector from a model-zoo or local yaml (yacs) or a LazyConfig
  ``.py`` file, with optional weights (a local path or a URL, loaded by ``DetectionCheckpointer``).
* :func:`build_detector_pose_model`: instantiate a LazyConfig whose ``model`` is a
  :class:`~ljof.modeling.DetectorPoseModel` and load ``train.detector_init_checkpoint``,
  ``train.pose_init_checkpoint`` and/or ``train.init_checkpoint`` (the whole model).
* :class:`DetectorPosePredictor`: one BGR image in, one ``Instances`` out.
"""

import logging
from typing import Optional, Sequence

import numpy as np
import torch
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.config import instantiate
from detectron2.data import transforms as T
from torch import nn

from ljof.checkpoint import PoseCheckpointer
from ljof.modeling import build_detector_model

__all__ = ["build_detector", "build_detector_pose_model", "DetectorPosePredictor", "default_device"]

logger = logging.getLogger(__name__)


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def build_detector(
    config_file: str,
    *,
    opts: Sequence[str] = (),
    weights: Optional[str] = None,
    device: Optional[str] = None,
) -> nn.Module:
    """A detectron2 detector in eval mode.

    Args:
        config_file: a yaml (yacs, e.g. ``"COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml"`` from the
            model zoo or a local path) or a LazyConfig ``.py`` (its ``model``).
        opts: overrides: ``KEY VALUE`` pairs for yacs, ``key=value`` strings for LazyConfig.
        weights: checkpoint path or URL; None keeps the random initialisation (tests).
        device: default: CUDA when available, else CPU.

    Returns:
        the detector (``input_format`` attribute: its channel order).

    Raises:
        FileNotFoundError: ``config_file`` is neither a file nor a model-zoo config.
    """
    model = build_detector_model(config_file, opts=opts, device=device or default_device())
    if weights:
        DetectionCheckpointer(model).load(weights)
    logger.info(
        f"detector from {config_file} ({'weights ' + weights if weights else 'random init'})"
    )
    return model


def build_detector_pose_model(cfg, *, device: Optional[str] = None) -> nn.Module:
    """Instantiate ``cfg.model`` (a ``DetectorPoseModel``) and load its weights.

    Weights (each optional, local path or URL): ``cfg.train.detector_init_checkpoint`` into the
    detector (``DetectionCheckpointer``), ``cfg.train.pose_init_checkpoint`` into the pose model
    (``ljof.checkpoint.PoseCheckpointer``: converts published pose checkpoints), then
    ``cfg.train.init_checkpoint`` into the whole model (a checkpoint of this class).
    """
    device = device or default_device()
    model = instantiate(cfg.model).to(device).eval()
    train = cfg.get("train", {}) or {}
    det_ckpt = train.get("detector_init_checkpoint", "")
    pose_ckpt = train.get("pose_init_checkpoint", "")
    full_ckpt = train.get("init_checkpoint", "")
    if det_ckpt and model.detector is not None:
        DetectionCheckpointer(model.detector).load(det_ckpt)
    if pose_ckpt:
        PoseCheckpointer(model.pose_model).load(pose_ckpt)
    if full_ckpt:
        DetectionCheckpointer(model).load(full_ckpt)
    return model


class DetectorPosePredictor:
    """Run a :class:`~ljof.modeling.DetectorPoseModel` on single images, like detectron2's
    ``DefaultPredictor``: resize the shortest edge to ``min_size_test`` (at most ``max_size_test``) for
    the detector, convert to the model's input format, run, return the ``Instances``. The pose crops are
    cut from the original image (``pose_image``), so they equal the reference implementations' crops.

    Args:
        model: the detector + pose model (eval mode is set here).
        min_size_test, max_size_test: the detector's test resize (detectron2's ``INPUT.MIN_SIZE_TEST`` /
            ``INPUT.MAX_SIZE_TEST``; 800 / 1333 for the model zoo's detectors).
    """

    def __init__(self, model: nn.Module, *, min_size_test: int = 800, max_size_test: int = 1333):
        self.model = model.eval()
        self.input_format = model.input_format
        self.aug = T.ResizeShortestEdge([min_size_test, min_size_test], max_size_test)

    @classmethod
    def from_yacs(cls, model: nn.Module, cfg) -> "DetectorPosePredictor":
        """The predictor of ``build_model(cfg)`` (a ``DetectorPoseModel``) with the yacs config's
        weights and test resize, as detectron2's ``DefaultPredictor`` loads ``MODEL.WEIGHTS``.

        Loads (each when set, a local path or URL) ``MODEL.DETECTOR_POSE.DETECTOR_WEIGHTS`` into the
        detector, ``MODEL.DETECTOR_POSE.POSE_WEIGHTS`` into the pose model (``PoseCheckpointer``: converts
        published pose checkpoints), then ``MODEL.WEIGHTS`` into the whole model; resizes with
        ``INPUT.MIN_SIZE_TEST`` / ``INPUT.MAX_SIZE_TEST``.
        """
        node = cfg.MODEL.get("DETECTOR_POSE", None)
        if node is not None and node.DETECTOR_WEIGHTS and model.detector is not None:
            DetectionCheckpointer(model.detector).load(node.DETECTOR_WEIGHTS)
        if node is not None and node.POSE_WEIGHTS:
            PoseCheckpointer(model.pose_model).load(node.POSE_WEIGHTS)
        if cfg.MODEL.WEIGHTS:
            DetectionCheckpointer(model).load(cfg.MODEL.WEIGHTS)
        return cls(
            model, min_size_test=cfg.INPUT.MIN_SIZE_TEST, max_size_test=cfg.INPUT.MAX_SIZE_TEST
        )

    def __call__(
        self,
        original_image: np.ndarray,
        image_id: int = 0,
        *,
        person_boxes: Optional[np.ndarray] = None,
        person_scores: Optional[np.ndarray] = None,
    ):
        """
        Args:
            original_image: (H, W, 3) uint8 in BGR (OpenCV's order).
            image_id: passed through to the results.
            person_boxes: (N, 4) XYWH original px (e.g. ground truth): skip the detector.
            person_scores: (N,) their scores (default 1).

        Returns:
            ``Instances`` of the image, original-image coordinates (see ``DetectorPoseModel``).
        """
        if original_image.ndim != 3 or original_image.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) BGR image, got shape {original_image.shape}")
        with torch.no_grad():
            if self.input_format == "RGB":
                original_image = original_image[:, :, ::-1]
            height, width = original_image.shape[:2]
            inputs = {
                "height": height,
                "width": width,
                "image_id": image_id,
                "pose_image": np.ascontiguousarray(original_image),
            }
            if person_boxes is None:
                image = self.aug.get_transform(original_image).apply_image(original_image)
                inputs["image"] = torch.as_tensor(np.ascontiguousarray(image.transpose(2, 0, 1)))
            else:
                inputs["person_boxes"] = np.asarray(person_boxes, np.float64).reshape(-1, 4)
                if person_scores is not None:
                    inputs["person_scores"] = np.asarray(person_scores, np.float64).reshape(-1)
            return self.model([inputs])[0]["instances"]

"""Top-down heatmap pose estimator: one person crop in, K keypoints out (detectron2 meta-architecture)."""

import logging
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from detectron2.config import configurable, instantiate
from detectron2.modeling import META_ARCH_REGISTRY
from detectron2.structures import Instances
from detectron2.utils.events import get_event_storage
from torch import nn

from ljof.data import window_area
from ljof.data.transforms import crop_to_image  # the single crop -> image inverse
from ljof.structures import rescore_by_keypoints  # the evaluators' rescoring, defined once

from ..config import model_config_from_yacs
from ..instances import keypoint_instances
from .flip import flip_back_heatmaps

__all__ = ["TopDownPoseEstimator", "postprocess_heatmaps", "stack_crops"]

logger = logging.getLogger(__name__)

_FORMATS = ("BGR", "RGB")


@META_ARCH_REGISTRY.register()
class TopDownPoseEstimator(nn.Module):
    """Backbone + heatmap head + loss + codec, on the person crops of ``TopDownDatasetMapper``.

    Training: ``forward(batched_inputs)`` returns the loss module's dict (keys ``loss_*``); any other
    scalar the loss returns goes to detectron2's ``EventStorage``.

    Inference: one dict per input (docs/interfaces.md, "Model"): ``keypoints`` ``(K, 3)`` = x, y in
    original-image px (pixel-index convention) and the heatmap score; ``bbox_score``; ``bbox_area``;
    ``image_id``; ``instances`` (one row: ``pred_boxes``, ``scores``, ``pred_classes``,
    ``pred_keypoints`` ``(1, K, 3)`` with +0.5 on x, y, detectron2's continuous convention).

    Args:
        backbone: a detectron2 ``Backbone`` (input ``(B, 3, H, W)``, output a feature dict).
        head: maps the feature dict to a list of ``(B, K, h_i, w_i)`` heatmaps; the last one is decoded.
        loss: ``loss(outputs, targets, weights) -> dict`` (``KeypointMSELoss``, ``DynamicStructureLoss``).
        codec: decodes the last head output (``ljof.data.codecs``; ``decode`` and ``input_size``,
            ``use_udp``).
        keypoint_flip_indices: length-K left/right permutation (from the dataset metadata's flip map).
        pixel_mean, pixel_std: per-channel normalisation, in ``network_format`` order (0-255 units).
        flip_test: average with the prediction on the mirrored crop.
        shift_heatmap: shift the flipped-back heatmap one pixel right (MSRA; False for UDP).
        input_format: channel order of the images the mapper gives (``"BGR"``, detectron2's default).
        network_format: channel order the network expects (``"RGB"`` for every published pose
            checkpoint); channels are swapped when the two differ.
        rescore_keypoint_thr: None (default): ``Instances.scores`` is the box score, as in Keypoint
            R-CNN and as ``ljof.evaluation`` expects (it rescores itself). A float: the box score times
            the mean keypoint score over keypoints above it (MMPose's rescoring, for scoring with
            detectron2's ``COCOEvaluator``, which does not rescore).
    """

    @configurable
    def __init__(
        self,
        *,
        backbone: nn.Module,
        head: nn.Module,
        loss: nn.Module,
        codec,
        keypoint_flip_indices: Sequence[int],
        pixel_mean: Sequence[float],
        pixel_std: Sequence[float],
        flip_test: bool = True,
        shift_heatmap: bool = True,
        input_format: str = "BGR",
        network_format: str = "RGB",
        rescore_keypoint_thr: Optional[float] = None,
    ):
        super().__init__()
        for name, fmt in (("input_format", input_format), ("network_format", network_format)):
            if fmt not in _FORMATS:
                raise ValueError(f"TopDownPoseEstimator: {name}={fmt!r} not in {_FORMATS}")
        if sorted(keypoint_flip_indices) != list(range(len(keypoint_flip_indices))):
            raise ValueError(
                f"TopDownPoseEstimator: keypoint_flip_indices {list(keypoint_flip_indices)} is not a "
                f"permutation of 0..K-1"
            )
        self.backbone = backbone
        self.head = head
        self.loss = loss
        self.codec = codec
        self.keypoint_flip_indices = [int(i) for i in keypoint_flip_indices]
        self.flip_test = flip_test
        self.shift_heatmap = shift_heatmap
        self.input_format = input_format
        self.network_format = network_format
        self.rescore_keypoint_thr = rescore_keypoint_thr
        # Not persistent: checkpoints hold weights only, as detectron2's GeneralizedRCNN does.
        self.register_buffer("pixel_mean", torch.tensor(pixel_mean).view(-1, 1, 1), False)
        self.register_buffer("pixel_std", torch.tensor(pixel_std).view(-1, 1, 1), False)

    @classmethod
    def from_config(cls, cfg):
        """yacs route (``build_model(cfg)``): the LazyConfig named by ``cfg.MODEL.TOPDOWN.CONFIG_FILE``
        with the yacs keys applied (:func:`ljof.modeling.model_config_from_yacs`)."""
        model_cfg = model_config_from_yacs(cfg, model_class=cls)
        return {k: instantiate(model_cfg[k]) for k in model_cfg if k != "_target_"}

    @property
    def device(self) -> torch.device:
        return self.pixel_mean.device

    # ---------------------------------------------------------------------------------------------
    def preprocess_image(self, batched_inputs: List[Dict]) -> torch.Tensor:
        """Stack the crops into a normalised ``(B, 3, H, W)`` float tensor in ``network_format``."""
        return self.normalize(stack_crops(batched_inputs).to(self.device, non_blocking=True))

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` crops in ``input_format`` (uint8 or float, 0-255) -> the network's input:
        float, channels in ``network_format``, ``(x - pixel_mean) / pixel_std``."""
        images = images.float()
        if self.input_format != self.network_format:
            images = images.flip(1)
        return (images - self.pixel_mean) / self.pixel_std

    def predict_heatmaps(
        self, images: torch.Tensor, flip_test: Optional[bool] = None
    ) -> List[torch.Tensor]:
        """Head outputs for normalised crops, flip-averaged (every output) when ``flip_test`` (None:
        the model's ``flip_test``)."""
        outputs = self.head(self.backbone(images))
        if not (self.flip_test if flip_test is None else flip_test):
            return outputs
        flipped = self.head(self.backbone(images.flip(-1)))
        return [
            0.5 * (o + flip_back_heatmaps(f, self.keypoint_flip_indices, shift=self.shift_heatmap))
            for o, f in zip(outputs, flipped)
        ]

    def forward(self, batched_inputs: List[Dict]):
        images = self.preprocess_image(batched_inputs)
        if self.training:
            return self._losses(batched_inputs, self.head(self.backbone(images)))
        with torch.no_grad():
            heatmaps = self.predict_heatmaps(images)[-1]
        return self._postprocess(batched_inputs, heatmaps)

    # ---------------------------------------------------------------------------------------------
    def _losses(self, batched_inputs: List[Dict], outputs: List[torch.Tensor]) -> Dict:
        targets, weights = [], []
        for i in range(len(outputs)):
            try:
                targets.append(torch.stack([x["heatmaps"][i] for x in batched_inputs]))
                weights.append(torch.stack([x["target_weights"][i] for x in batched_inputs]))
            except (KeyError, IndexError) as e:
                raise ValueError(
                    f"TopDownPoseEstimator: the head has {len(outputs)} outputs, so every training "
                    f"sample needs {len(outputs)} 'heatmaps' and 'target_weights' (one codec per "
                    f"output); sample image_id={batched_inputs[0].get('image_id')} lacks entry {i}"
                ) from e
        targets = [t.to(self.device, non_blocking=True) for t in targets]
        weights = [w.to(self.device, non_blocking=True) for w in weights]
        for i, (o, t) in enumerate(zip(outputs, targets)):
            if o.shape != t.shape:
                raise ValueError(
                    f"TopDownPoseEstimator: head output {i} is {tuple(o.shape)} but the targets are "
                    f"{tuple(t.shape)}; check the codec heatmap_size of output {i}"
                )
        result = self.loss(outputs, targets, weights)
        losses = {k: v for k, v in result.items() if k.startswith("loss_")}
        extras = {k: v for k, v in result.items() if not k.startswith("loss_")}
        if extras:
            try:
                storage = get_event_storage()
            except AssertionError:  # no EventStorage outside a trainer
                storage = None
            if storage is not None:
                storage.put_scalars(**{k: float(v) for k, v in extras.items()})
        return losses

    def _postprocess(self, batched_inputs: List[Dict], heatmaps: torch.Tensor) -> List[Dict]:
        return postprocess_heatmaps(
            batched_inputs,
            heatmaps,
            codec=self.codec,
            rescore_keypoint_thr=self.rescore_keypoint_thr,
        )


def stack_crops(batched_inputs: List[Dict]) -> torch.Tensor:
    """The ``image`` crops of test-mode mapper samples as one ``(B, 3, H, W)`` tensor (dtype kept).

    Raises:
        ValueError: an input without a ``(3, H, W)`` tensor ``image``, or crops of different sizes.
    """
    images = []
    for i, x in enumerate(batched_inputs):
        img = x.get("image")
        if not isinstance(img, torch.Tensor) or img.dim() != 3 or img.shape[0] != 3:
            raise ValueError(
                f"input {i} (image_id={x.get('image_id')}) needs 'image' as a (3, H, W) tensor, got "
                f"{type(img).__name__} {tuple(img.shape) if isinstance(img, torch.Tensor) else ''}"
            )
        images.append(img)
    sizes = {tuple(im.shape) for im in images}
    if len(sizes) != 1:
        raise ValueError(f"crops of different sizes in one batch: {sizes}")
    return torch.stack(images)


def postprocess_heatmaps(
    batched_inputs: List[Dict],
    heatmaps: torch.Tensor,
    *,
    codec,
    rescore_keypoint_thr: Optional[float] = None,
) -> List[Dict]:
    """The per-instance results of :class:`TopDownPoseEstimator` from the decoded heatmap output.

    Shared by every backend that produces the heatmaps (PyTorch here, ONNX Runtime in
    :mod:`ljof.deploy`), so they decode and map back to the image identically.

    Args:
        batched_inputs: the test-mode mapper samples of the crops (``center``, ``scale``,
            ``image_id``, ``height``, ``width``; optional ``bbox``, ``bbox_score``, ``bbox_area``).
        heatmaps: ``(B, K, h, w)`` float, the head's last output (flip-averaged when flip test is on).
        codec: decodes the heatmaps (``decode``, ``input_size``, ``use_udp``).
        rescore_keypoint_thr: see :class:`TopDownPoseEstimator`.

    Returns:
        one dict per input (see :class:`TopDownPoseEstimator`, "Inference").

    Raises:
        ValueError: an input lacks one of the keys above.
    """
    kpts, scores = codec.decode(heatmaps.float().cpu())
    results = []
    for i, x in enumerate(batched_inputs):
        for key in ("center", "scale", "image_id", "height", "width"):
            if key not in x:
                raise ValueError(
                    f"postprocess_heatmaps: inference input {i} (image_id={x.get('image_id')}) "
                    f"lacks {key!r}; use the test-mode TopDownDatasetMapper"
                )
        center = np.asarray(torch.as_tensor(x["center"]).cpu(), dtype=np.float64)
        scale = np.asarray(torch.as_tensor(x["scale"]).cpu(), dtype=np.float64)
        xy = crop_to_image(kpts[i], center, scale, codec.input_size, codec.use_udp)
        xy = torch.as_tensor(np.asarray(xy), dtype=torch.float32)
        score = torch.as_tensor(scores[i], dtype=torch.float32)
        keypoints = torch.cat([xy, score[:, None]], dim=1)
        bbox_score = float(x.get("bbox_score", 1.0))
        bbox_area = float(x.get("bbox_area", window_area(scale)))
        results.append(
            {
                "keypoints": keypoints,
                "bbox_score": bbox_score,
                "bbox_area": bbox_area,
                "image_id": x["image_id"],
                "instances": _instances(x, keypoints, bbox_score, rescore_keypoint_thr),
            }
        )
    return results


def _instance_score(
    keypoints: torch.Tensor, bbox_score: float, rescore_keypoint_thr: Optional[float]
) -> float:
    if rescore_keypoint_thr is None:
        return bbox_score
    scores = keypoints[:, 2].detach().cpu().numpy()
    return float(rescore_by_keypoints(scores, bbox_score, rescore_keypoint_thr))


def _instances(
    x: Dict, keypoints: torch.Tensor, bbox_score: float, rescore_keypoint_thr: Optional[float]
) -> Instances:
    if "bbox" in x:
        box = [float(v) for v in x["bbox"]]
    else:  # the crop window
        c, s = [float(v) for v in x["center"]], [float(v) for v in x["scale"]]
        box = [c[0] - s[0] / 2, c[1] - s[1] / 2, s[0], s[1]]
    score = _instance_score(keypoints, bbox_score, rescore_keypoint_thr)
    size = (int(x["height"]), int(x["width"]))
    return keypoint_instances(size, [box], [score], keypoints[None])

"""The top-down DatasetMapper: one person record -> one network sample (docs/interfaces.md).

Follows detectron2's ``DatasetMapper`` skeleton: copy the record, read the image (detectron2's
``read_image`` semantics, :mod:`ljof.data.image_io`), check its size, run the augmentations on an input
object, make a contiguous CHW tensor, and (training) build the targets.

Order (SimpleBaseline/HRNet, MMPose 1.x's top-down pipeline): box -> centre/scale (padding 1.25) ->
[flip -> half-body -> shift/scale/rotation] -> aspect fix + one affine warp (OpenCV, bilinear;
:func:`~ljof.data.transforms.crop_person`, the crop ``DetectorPoseModel`` uses too) -> [LJA] -> heatmap
targets of every codec. The random policy needs only the keypoints and the window, so it runs before the
image is decoded; with ``reduced_decoding=True`` a JPEG whose crop is a downscale by >= 2 is then decoded
at 1/2, 1/4 or 1/8 size and the warp accounts for it exactly.

Test-time crops (no policy, full decode) are bit-identical to MMPose's and the official HRNet's: the
window and the warp matrix follow their float32 arithmetic (:func:`~ljof.data.transforms.get_warp_matrix`).
Training uses the same code path, so the arithmetic is the same there too.

Bad records never surface as an unnamed exception: every problem is a ``ValueError`` (or, for an
unreadable image, a ``RuntimeError``) whose message names the record (file, image id, annotation id,
dataset) and what is wrong. Degenerate geometry in the random policy falls back to the unaugmented window
(see :class:`~ljof.data.augmentations.RandomHalfBody`).
"""

import logging
import math
from typing import Optional, Sequence

import numpy as np
import torch
from detectron2.data import detection_utils as utils
from detectron2.data import transforms as T

from ljof.errors import InputError

from .augmentations import CropAugInput, TopDownAugInput, build_topdown_augmentations
from .codecs import HeatmapCodec, MSRAHeatmap
from .image_io import read_image_for_crop, reduction_matrix
from .lja import LimbJointAugmentation
from .samples import topdown_test_sample
from .transforms import (
    apply_affine,
    bbox_xywh_to_center_scale,
    compose_affine,
    crop_person,
    fix_aspect_ratio,
    invert_affine,
)

__all__ = ["TopDownDatasetMapper"]

# record fields every sample carries unchanged
_PASSED_THROUGH = ("image_id", "file_name", "height", "width", "annotation_id")

logger = logging.getLogger(__name__)


def describe_record(record: dict) -> str:
    """``record (file_name=..., image_id=..., annotation_id=..., dataset=...)`` for error messages."""
    return (
        f"record (file_name={record.get('file_name')!r}, image_id={record.get('image_id')}, "
        f"annotation_id={record.get('annotation_id')}, dataset={record.get('dataset_name')!r})"
    )


def _check_part(name: str, value, kind: str, ok: bool) -> None:
    """A config value of the wrong type (e.g. the string 'None' of an override ``lja=None``) is refused
    when the mapper is built, not at the first training step."""
    if ok:
        return
    hint = "; in an override, None is spelled null (e.g. dataloader.train.mapper.lja=null)"
    raise InputError(
        f"TopDownDatasetMapper: {name} holds {value!r} ({type(value).__name__}), not {kind}"
        + (hint if isinstance(value, str) and value == "None" else "")
    )


class TopDownDatasetMapper:
    """Map a person record (``ljof.data.get_topdown_dataset``) to a top-down training/test sample.

    Args:
        is_train: training (random augmentations, LJA, targets) or test (deterministic crop only).
        codecs: heatmap codecs, one target per codec (e.g. SRPose: several sizes); they share
            ``input_size`` (the crop size, w x h) and UDP-ness (the UDP warp is used when they have it).
            Default: ``[MSRAHeatmap()]`` (192x256 crops, 48x64 heatmaps, sigma 2).
        metadata: the detectron2 ``Metadata`` of a registered dataset (``MetadataCatalog.get(name)``):
            flip map and half-body groups of the default augmentations, and the joint count.
        augmentations: the random policy (detectron2 ``Augmentation``s acting on
            :class:`~ljof.data.augmentations.TopDownAugInput`), used only in training. Default (None): the
            standard recipe from the metadata (:func:`build_topdown_augmentations`); ``[]`` disables it.
            They run before the image is decoded, so they may change the window and flip, not pixels.
        lja: a :class:`~ljof.data.lja.LimbJointAugmentation` applied in crop space in training, or None;
            the occlusion baselines of :mod:`ljof.data.occlusion_baselines` (``CoarseDropout``,
            ``KeypointCentredDropout``) fit the same slot.
        image_format: detectron2 image format of the output image (default "BGR").
        padding: box padding factor (1.25).
        reduced_decoding: decode JPEGs at reduced size when the crop is a downscale by >= 2.
        joint_weights: K factors, one per keypoint type, multiplying every training sample's target
            weights (what MMPose's ``GenerateTarget(use_dataset_keypoint_weights=True)`` and HRNet's
            ``USE_DIFFERENT_JOINTS_WEIGHT`` do; COCO's values are
            ``ljof.data.datasets.builtin_meta.COCO_JOINT_WEIGHTS``). Default: none (all 1).

    Raises:
        ValueError: no codec, codecs that disagree on the crop size or on UDP.
        InputError: ``lja``, a codec or an augmentation of the wrong type (e.g. the string ``'None'``).
        ValueError: ``joint_weights`` of another length than the metadata's keypoints, or negative.
    """

    def __init__(
        self,
        is_train: bool,
        *,
        metadata,
        codecs: Optional[Sequence[HeatmapCodec]] = None,
        augmentations: Optional[Sequence[T.Augmentation]] = None,
        lja: Optional[LimbJointAugmentation] = None,
        image_format: str = "BGR",
        padding: float = 1.25,
        reduced_decoding: bool = False,
        joint_weights: Optional[Sequence[float]] = None,
    ):
        self.is_train = bool(is_train)
        self.codecs = list(codecs) if codecs is not None else [MSRAHeatmap()]
        if not self.codecs:
            raise ValueError("TopDownDatasetMapper needs at least one codec")
        _check_part("lja", lja, "None or a callable", lja is None or callable(lja))
        for c in self.codecs:
            _check_part("codecs", c, "a HeatmapCodec", isinstance(c, HeatmapCodec))
        for a in augmentations or []:
            _check_part("augmentations", a, "an Augmentation", isinstance(a, T.Augmentation))
        sizes = {tuple(c.input_size) for c in self.codecs}
        udp_flags = {bool(c.use_udp) for c in self.codecs}
        if len(sizes) > 1 or len(udp_flags) > 1:
            raise ValueError(f"codecs disagree on the crop size or on UDP: {self.codecs}")
        self.input_size = sizes.pop()
        self.use_udp = udp_flags.pop()
        self.metadata = metadata
        self.num_keypoints = len(metadata.keypoint_names)
        self.joint_weights = None
        if joint_weights is not None:
            jw = np.asarray(joint_weights, np.float32).reshape(-1)
            if len(jw) != self.num_keypoints or not np.all(jw >= 0):
                raise ValueError(
                    f"joint_weights must be {self.num_keypoints} numbers >= 0 (the keypoints of "
                    f"{getattr(metadata, 'name', 'the metadata')!r}), got {list(joint_weights)}"
                )
            self.joint_weights = jw
        if augmentations is None:
            augmentations = build_topdown_augmentations(metadata) if self.is_train else []
        self.augmentations = T.AugmentationList(list(augmentations) if self.is_train else [])
        self.lja = lja if self.is_train else None
        self.image_format = image_format
        self.padding = float(padding)
        self.reduced_decoding = bool(reduced_decoding)
        mode = "training" if self.is_train else "inference"
        logger.info(
            f"[TopDownDatasetMapper] {mode}: augmentations {self.augmentations}, crop "
            f"{self.input_size} (UDP {self.use_udp}), LJA {self.lja}, codecs {self.codecs}, "
            f"reduced_decoding={self.reduced_decoding}, joint_weights={self.joint_weights}"
        )

    # ------------------------------------------------------------------------------------------
    def _check_record(self, record: dict):
        for key in ("file_name", "height", "width", "bbox", "keypoints"):
            if key not in record:
                raise ValueError(f"missing {key!r}")
        bbox = np.asarray(record["bbox"], np.float64).reshape(-1)
        if bbox.shape[0] != 4 or not np.all(np.isfinite(bbox)):
            raise ValueError(f"bad bbox {record['bbox']!r} (want XYWH, finite)")
        if bbox[2] <= 0 or bbox[3] <= 0:
            raise ValueError(f"zero-area person box {bbox.tolist()} (XYWH; w and h must be > 0)")
        kpts = np.asarray(record["keypoints"], np.float32)
        if kpts.ndim != 2 or kpts.shape[1] != 3:
            raise ValueError(f"keypoints must be (K, 3), got {kpts.shape}")
        if len(kpts) != self.num_keypoints:
            raise ValueError(
                f"{len(kpts)} keypoints, but the metadata {self.metadata.name!r} has "
                f"{self.num_keypoints}"
            )
        if not np.all(np.isfinite(kpts)):
            raise ValueError("keypoints hold a non-finite value")
        return bbox, kpts

    def _read(self, record: dict, max_reduction: int):
        file_name = record["file_name"]
        try:
            image, factor = read_image_for_crop(
                file_name, format=self.image_format, max_reduction=max_reduction
            )
        except Exception as e:  # missing, truncated, not an image: name the file and the record
            raise RuntimeError(
                f"cannot read image {file_name!r} for {describe_record(record)}: {e}"
            ) from e
        if factor == 1:
            utils.check_image_size(record, image)
        else:
            want = (math.ceil(record["height"] / factor), math.ceil(record["width"] / factor))
            if image.shape[:2] != want:
                raise utils.SizeMismatchError(
                    f"image {file_name!r} decoded at 1/{factor} is {image.shape[:2]}, expected {want} "
                    f"from height/width {record['height']}x{record['width']} in {describe_record(record)}"
                )
        return image, factor

    def _max_reduction(self, scale) -> int:
        if not self.reduced_decoding:
            return 1
        out_w = self.input_size[0] - (1 if self.use_udp else 0)
        return max(1, int(math.floor(float(scale[0]) / out_w + 1e-9)))

    def __call__(self, record: dict) -> dict:
        """Map one person record; see docs/interfaces.md "Mapper samples" for the output keys.

        Raises:
            ValueError: a bad record (named in the message) or degenerate geometry that has no fallback.
            RuntimeError: the image cannot be read.
        """
        try:
            return self._map(record)
        except (ValueError, ZeroDivisionError, FloatingPointError) as e:
            if "record (file_name=" in str(e):
                raise
            kind = type(e) if isinstance(e, ValueError) else ValueError  # e.g. SizeMismatchError
            raise kind(f"{e} in {describe_record(record)}") from e

    def _map(self, record: dict) -> dict:
        bbox, kpts = self._check_record(record)
        center, scale = bbox_xywh_to_center_scale(bbox, padding=self.padding)
        aug_input = TopDownAugInput(
            keypoints=kpts,
            center=center,
            scale=scale,
            image_size=(record["height"], record["width"]),
        )
        self.augmentations(aug_input)  # random policy: keypoints, window and frame only
        scale = fix_aspect_ratio(aug_input.scale, self.input_size[0] / self.input_size[1])
        image, factor = self._read(record, self._max_reduction(scale))
        image_matrix = None  # frame px -> px of the decoded image
        if factor > 1 or aug_input.flipped:
            image_matrix = compose_affine(
                reduction_matrix(factor), invert_affine(aug_input.frame_matrix)
            )
        crop, warp_matrix = crop_person(
            image,
            aug_input.center,
            scale,
            input_size=self.input_size,
            rotation=aug_input.rotation,
            use_udp=self.use_udp,
            image_matrix=image_matrix,
        )
        keypoints = aug_input.keypoints.copy()
        keypoints[:, :2] = apply_affine(warp_matrix, keypoints[:, :2])
        # The box's sides as they appear in the crop: lengths of the images of the x and y unit vectors.
        box_size = bbox[2:4] * np.linalg.norm(warp_matrix[:, :2], axis=0)
        crop_input = CropAugInput(crop, keypoints=keypoints, box_size=box_size)
        blocks = list(self.lja(crop_input).blocks) if self.lja is not None else []

        f32 = np.float32
        sample = topdown_test_sample(
            crop_input.image,
            center=apply_affine(invert_affine(aug_input.frame_matrix), aug_input.center),
            scale=scale,
            bbox=bbox,
            bbox_score=record.get("bbox_score", 1.0),
            **{k: record[k] for k in _PASSED_THROUGH if k in record},
        )
        sample.update(
            rotation=float(aug_input.rotation),
            flip=aug_input.flipped,
            warp_matrix=torch.from_numpy(
                compose_affine(warp_matrix, aug_input.frame_matrix).astype(f32)
            ),
            keypoints=torch.from_numpy(np.array(crop_input.keypoints, f32)),
        )
        if self.is_train:
            heatmaps, weights = [], []
            for c in self.codecs:
                hm, w = c.encode(crop_input.keypoints[:, :2], crop_input.keypoints[:, 2])
                if self.joint_weights is not None:
                    w = w * self.joint_weights
                heatmaps.append(torch.from_numpy(hm))
                weights.append(torch.from_numpy(w))
            sample["heatmaps"] = heatmaps
            sample["target_weights"] = weights
            sample["lja_blocks"] = blocks
        return sample

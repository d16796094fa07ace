"""The top-down DatasetMapper: one person record -> one network sample (docs/interfaces.md).

Follows detectron2's ``DatasetMapper`` skeleton: copy the record, read the image with
``detectron2.data.detection_utils.read_image``, check its size, run the augmentations on an input object
that moves image and keypoints together, make a contiguous CHW tensor, and (training) build the targets.

Order (reference §1.3): box -> centre/scale (padding 1.25) -> [flip -> half-body -> shift/scale/rotation]
-> aspect fix + one affine warp (OpenCV, bilinear) -> [LJA] -> heatmap targets of every codec.
The random policy needs only the keypoints and the window, so it runs before the image is decoded; with
``reduced_decoding=True`` a JPEG whose crop is a downscale by >= 2 is then decoded at 1/2, 1/4 or 1/8 size
and the warp accounts for it exactly (:mod:`ljof.data.image_io`).
"""

import logging
import math
from typing import List, Optional, Sequence

import numpy as np
import torch
from detectron2.data import MetadataCatalog
from detectron2.data import detection_utils as utils
from detectron2.data import transforms as T

from .augmentations import TopDownAffine, TopDownAugInput, build_topdown_augmentations
from .codecs import HeatmapCodec, MSRAHeatmap
from .image_io import read_image_for_crop, reduction_matrix
from .lja import LimbJointAugmentation
from .transforms import bbox_xywh_to_center_scale

__all__ = ["TopDownDatasetMapper", "flip_indices_from_metadata"]

logger = logging.getLogger(__name__)


def flip_indices_from_metadata(metadata) -> List[int]:
    """The left/right permutation from ``keypoint_names`` and ``keypoint_flip_map`` (detectron2 fields).

    Same result as ``detectron2.data.detection_utils.create_keypoint_hflip_indices``, which only takes
    registered dataset names; this also accepts a Metadata object or a plain dict.
    """
    names = list(metadata.get("keypoint_names", None) or [])
    pairs = metadata.get("keypoint_flip_map", None) or []
    if not names:
        raise ValueError("metadata has no keypoint_names; cannot build the flip permutation")
    swap = dict(pairs)
    swap.update({b: a for a, b in pairs})
    return [names.index(swap.get(n, n)) for n in names]


def _describe(record: dict) -> str:
    return (
        f"record (file_name={record.get('file_name')!r}, image_id={record.get('image_id')}, "
        f"annotation_id={record.get('annotation_id')}, dataset={record.get('dataset_name')!r})"
    )


class TopDownDatasetMapper:
    """Map a person record (``ljof.data.get_topdown_dataset``) to a top-down training/test sample.

    Args:
        is_train: training (random augmentations, LJA, targets) or test (deterministic crop only).
        input_size: (w, h) of the network input, default (192, 256).
        codecs: heatmap codecs, one target per codec (e.g. SRPose: several sizes); all share
            ``input_size`` and UDP-ness. Default: ``[MSRAHeatmap]`` at 1/4 resolution, sigma 2.
        codec: a single codec (shorthand for ``codecs=[codec]``).
        augmentations: the random policy (detectron2 ``Augmentation``s acting on
            :class:`~ljof.data.augmentations.TopDownAugInput`), used only in training. Default (None): the
            standard recipe from the metadata (:func:`build_topdown_augmentations`); ``[]`` disables it.
            They run before the image is decoded, so they may change the window and flip, not pixels.
        lja: a :class:`~ljof.data.lja.LimbJointAugmentation` applied in crop space in training, or None.
        metadata: a detectron2 ``Metadata`` or dict with the keypoint fields, or
        dataset_name: a registered dataset whose metadata to use.
        keypoint_flip_indices: explicit left/right permutation (else derived from the metadata).
        image_format: detectron2 image format of the output image (default "BGR").
        padding: box padding factor (1.25).
        use_udp: UDP warp; default: taken from the codecs.
        reduced_decoding: decode JPEGs at reduced size when the crop is a downscale by >= 2.
    """

    def __init__(
        self,
        is_train: bool,
        *,
        input_size=(192, 256),
        codecs: Optional[Sequence[HeatmapCodec]] = None,
        codec: Optional[HeatmapCodec] = None,
        augmentations: Optional[Sequence[T.Augmentation]] = None,
        lja: Optional[LimbJointAugmentation] = None,
        metadata=None,
        dataset_name: Optional[str] = None,
        keypoint_flip_indices: Optional[Sequence[int]] = None,
        image_format: str = "BGR",
        padding: float = 1.25,
        use_udp: Optional[bool] = None,
        reduced_decoding: bool = False,
    ):
        self.is_train = bool(is_train)
        self.input_size = (int(input_size[0]), int(input_size[1]))
        if codec is not None and codecs is not None:
            raise ValueError("give either codec or codecs, not both")
        if codecs is None:
            codecs = [codec] if codec is not None else [self._default_codec()]
        self.codecs = list(codecs)
        for c in self.codecs:
            if tuple(c.input_size) != self.input_size:
                raise ValueError(
                    f"codec {c} has input_size {c.input_size}, mapper has {self.input_size}"
                )
        udp_flags = {bool(c.use_udp) for c in self.codecs}
        if len(udp_flags) > 1:
            raise ValueError(f"codecs disagree on UDP: {self.codecs}")
        self.use_udp = udp_flags.pop() if use_udp is None else bool(use_udp)

        if metadata is None and dataset_name is not None:
            metadata = MetadataCatalog.get(dataset_name)
        self.metadata = metadata
        if keypoint_flip_indices is None and metadata is not None:
            keypoint_flip_indices = flip_indices_from_metadata(metadata)
        self.keypoint_flip_indices = (
            None if keypoint_flip_indices is None else np.asarray(keypoint_flip_indices, np.int64)
        )
        if augmentations is None:
            if self.is_train:
                if metadata is None:
                    raise ValueError(
                        "TopDownDatasetMapper(is_train=True) needs metadata or dataset_name for the "
                        "default augmentations (or pass augmentations=[...])"
                    )
                augmentations = build_topdown_augmentations(metadata)
            else:
                augmentations = []
        self.augmentations = T.AugmentationList(list(augmentations) if self.is_train else [])
        self.lja = lja if self.is_train else None
        self.warp = TopDownAffine(self.input_size, use_udp=self.use_udp)
        self.image_format = image_format
        self.padding = float(padding)
        self.reduced_decoding = bool(reduced_decoding)
        mode = "training" if self.is_train else "inference"
        logger.info(
            f"[TopDownDatasetMapper] {mode}: augmentations {self.augmentations}, warp {self.warp}, "
            f"LJA {self.lja}, codecs {self.codecs}, reduced_decoding={self.reduced_decoding}"
        )

    def _default_codec(self) -> HeatmapCodec:
        w, h = self.input_size
        return MSRAHeatmap(input_size=self.input_size, heatmap_size=(w // 4, h // 4), sigma=2.0)

    # ------------------------------------------------------------------------------------------
    def _check_record(self, record: dict):
        bbox = np.asarray(record.get("bbox", ()), np.float64).reshape(-1)
        if bbox.shape[0] != 4 or not np.all(np.isfinite(bbox)):
            raise ValueError(f"bad bbox {record.get('bbox')!r} (want XYWH) in {_describe(record)}")
        if bbox[2] <= 0 or bbox[3] <= 0:
            raise ValueError(
                f"zero-area person box {bbox.tolist()} (XYWH; w and h must be > 0) in {_describe(record)}"
            )
        kpts = record.get("keypoints")
        if kpts is None:
            raise ValueError(f"missing 'keypoints' in {_describe(record)}")
        kpts = np.asarray(kpts, np.float32)
        if kpts.ndim != 2 or kpts.shape[1] != 3:
            raise ValueError(f"keypoints must be (K, 3), got {kpts.shape} in {_describe(record)}")
        if self.keypoint_flip_indices is not None and len(self.keypoint_flip_indices) != len(kpts):
            raise ValueError(
                f"{len(kpts)} keypoints but the flip permutation has {len(self.keypoint_flip_indices)} "
                f"entries in {_describe(record)}"
            )
        return bbox, kpts

    def _read(self, record: dict, max_reduction: int):
        file_name = record["file_name"]
        try:
            image, factor = read_image_for_crop(
                file_name, format=self.image_format, max_reduction=max_reduction
            )
        except Exception as e:  # missing, truncated, not an image: name the file and the record
            raise RuntimeError(
                f"cannot read image {file_name!r} for {_describe(record)}: {e}"
            ) from e
        if factor == 1:
            utils.check_image_size(record, image)
        else:
            want = (math.ceil(record["height"] / factor), math.ceil(record["width"] / factor))
            if image.shape[:2] != want:
                raise utils.SizeMismatchError(
                    f"image {file_name!r} decoded at 1/{factor} is {image.shape[:2]}, expected {want} "
                    f"from height/width {record['height']}x{record['width']} in {_describe(record)}"
                )
        return image, factor

    def _max_reduction(self, scale) -> int:
        if not self.reduced_decoding:
            return 1
        out_w = self.input_size[0] - (1 if self.use_udp else 0)
        return max(1, int(math.floor(float(scale[0]) / out_w + 1e-9)))

    def __call__(self, record: dict) -> dict:
        """Map one person record; see docs/interfaces.md "Mapper samples" for the output keys."""
        bbox, kpts = self._check_record(record)
        if "height" not in record or "width" not in record:
            raise ValueError(f"missing height/width in {_describe(record)}")
        center, scale = bbox_xywh_to_center_scale(bbox, padding=self.padding)
        aug_input = TopDownAugInput(
            None,
            keypoints=kpts,
            center=center,
            scale=scale,
            box_size=bbox[2:4],
            image_size=(record["height"], record["width"]),
            flip_indices=self.keypoint_flip_indices,
        )
        self.augmentations(aug_input)  # random policy: keypoints and window only
        warp = self.warp.get_transform(aug_input.center, aug_input.scale, aug_input.rotation)
        aug_input.transform(warp.transforms[0])  # the aspect-fixed window
        image, factor = self._read(record, self._max_reduction(aug_input.scale))
        aug_input.set_image(image, reduction_matrix(factor) if factor > 1 else None)
        aug_input.transform(warp.transforms[1])  # the one affine warp of image and keypoints
        blocks = []
        if self.lja is not None:
            blocks = list(self.lja(aug_input).blocks)

        crop = aug_input.image
        if crop.ndim == 2:
            crop = crop[:, :, None]
        f32 = np.float32
        sample = {
            "image": torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))),
            "center": torch.from_numpy(self._original_center(aug_input, record)),
            "scale": torch.from_numpy(np.array(aug_input.scale, f32)),
            "rotation": float(aug_input.rotation),
            "flip": bool(aug_input.flipped),
            "warp_matrix": torch.from_numpy(aug_input.warp_matrix.astype(f32)),
            "bbox_area": float(aug_input.scale[0]) * float(aug_input.scale[1]),
            "keypoints": torch.from_numpy(np.array(aug_input.keypoints, f32)),
        }
        for key in (
            "image_id",
            "file_name",
            "height",
            "width",
            "bbox",
            "bbox_score",
            "annotation_id",
        ):
            if key in record:
                sample[key] = record[key]
        sample["bbox"] = [float(v) for v in bbox]  # a copy: the record is never shared or modified
        sample.setdefault("bbox_score", 1.0)
        if self.is_train:
            heatmaps, weights = [], []
            for c in self.codecs:
                hm, w = c.encode(aug_input.keypoints[:, :2], aug_input.keypoints[:, 2])
                heatmaps.append(torch.from_numpy(hm))
                weights.append(torch.from_numpy(w))
            sample["heatmaps"] = heatmaps
            sample["target_weights"] = weights
            sample["lja_blocks"] = blocks
        return sample

    @staticmethod
    def _original_center(aug_input: TopDownAugInput, record: dict) -> np.ndarray:
        """The window centre in original-image px (undoing a flip of the augmentation frame)."""
        c = np.asarray(aug_input.center, np.float64)
        if aug_input.flipped:
            c = np.array([record["width"] - 1.0 - c[0], c[1]])
        return c.astype(np.float32)

"""The random policy of the top-down training recipe as detectron2 ``Augmentation``s.

The standard recipe of SimpleBaseline/HRNet (MMPose 1.x ``RandomFlip`` -> ``RandomHalfBody`` ->
``RandomBBoxTransform`` -> ``TopdownAffine``, ``mmpose/datasets/transforms/common_transforms.py``),
re-expressed in detectron2's pattern: each ``Augmentation.get_transform`` draws its random numbers and
returns a deterministic fvcore ``Transform``, which applies itself to a :class:`TopDownAugInput`.

The policy runs before the image is decoded: it moves the crop window (centre, size, rotation) and the
keypoints, and records the map from the original image to its frame (a flip); the crop is then one warp
(:func:`ljof.data.transforms.crop_person`). A policy transform therefore implements, besides fvcore's
``apply_image``/``apply_coords``, three methods: ``apply_keypoints`` ((K, 3) rows), ``apply_window``
(``(center, scale, rotation)``) and ``apply_frame_matrix`` ((2, 3) original px -> frame px); fvcore's
``TransformList`` chains them like any ``apply_*``. After the crop, pixel transforms (LJA) act on a
:class:`CropAugInput` through ``apply_image``/``apply_coords`` alone.

Each policy's ``Transform`` is defined beside it (:class:`PixelHFlipTransform` with
:class:`RandomTopDownFlip`, :class:`WindowTransform` with :class:`RandomHalfBody` and
:class:`RandomBBoxTransform`); the matrices they compose come from :mod:`ljof.data.transforms`.
"""

import logging
from typing import Optional, Sequence

import numpy as np
from detectron2.data import transforms as T
from fvcore.transforms.transform import NoOpTransform, Transform

from .transforms import compose_affine, hflip_matrix

__all__ = [
    "TopDownAugInput",
    "CropAugInput",
    "PixelHFlipTransform",
    "RandomTopDownFlip",
    "WindowTransform",
    "RandomHalfBody",
    "RandomBBoxTransform",
    "truncated_normal",
    "build_topdown_augmentations",
]

logger = logging.getLogger(__name__)

# A transform that changes nothing changes no window, keypoint or frame either (detectron2 registers its
# own data types on fvcore's classes the same way, e.g. "rotated_box").
NoOpTransform.register_type("keypoints", lambda t, keypoints: keypoints)
NoOpTransform.register_type("window", lambda t, window: window)
NoOpTransform.register_type("frame_matrix", lambda t, matrix: matrix)


def truncated_normal(size=None) -> np.ndarray:
    """Standard normal draws truncated to [-1, 1], from numpy's global RNG.

    Hand-written (rejection sampling) rather than ``scipy.stats.truncnorm.rvs``: scipy's per-call overhead
    is ~100x the work here, and this keeps every draw on the RNG that detectron2 seeds per worker.
    """
    n = int(np.prod(size)) if size is not None else 1
    out = np.empty(0)
    while out.size < n:
        draw = np.random.normal(size=2 * n + 4)
        out = np.concatenate([out, draw[np.abs(draw) <= 1.0]])
    out = out[:n]
    return out.reshape(size) if size is not None else float(out[0])


class TopDownAugInput:
    """The state of one person instance during the random policy (detectron2's ``AugInput`` role).

    Attributes read by the augmentations (``get_transform`` argument names):
        image_size: (h, w) of the original image.
        keypoints: (K, 3) float32 x, y, v in the augmentation frame's px.
        center, scale: (2,) float32 crop window in the frame's px (``scale`` is aspect-fixed at the crop).
        rotation: degrees.
        frame_matrix: (2, 3) original-image px -> frame px (identity unless flipped).

    Args:
        keypoints: (K, 3) in original-image px.
        center, scale: the initial window (from the box with padding).
        image_size: (h, w) of the original image.
    """

    def __init__(self, *, keypoints: np.ndarray, center, scale, image_size):
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.keypoints = np.array(keypoints, np.float32, copy=True).reshape(-1, 3)
        self.center = np.asarray(center, np.float32).copy()
        self.scale = np.asarray(scale, np.float32).copy()
        self.rotation = 0.0
        self.frame_matrix = np.eye(2, 3)

    @property
    def flipped(self) -> bool:
        """Whether the frame is the mirror of the original image."""
        return bool(self.frame_matrix[0, 0] < 0)

    def transform(self, tfm: Transform) -> None:
        """Apply a policy transform (or a ``TransformList`` of them) to keypoints, window and frame."""
        for method in ("apply_keypoints", "apply_window", "apply_frame_matrix"):
            if not hasattr(tfm, method) and not hasattr(tfm, "transforms"):
                raise ValueError(
                    f"{type(tfm).__name__} cannot run in the top-down window policy (no {method}); "
                    "pixel transforms act on the crop, after the warp"
                )
        self.keypoints = tfm.apply_keypoints(self.keypoints)
        self.center, self.scale, self.rotation = tfm.apply_window(
            (self.center, self.scale, self.rotation)
        )
        self.frame_matrix = tfm.apply_frame_matrix(self.frame_matrix)


class CropAugInput:
    """One person crop after the warp, for pixel augmentations such as LJA (``AugInput`` role).

    Attributes:
        image: (h, w, C) uint8 crop (modified by the transforms).
        keypoints: (K, 3) float32 crop px.
        box_size: (2,) the person box (w, h) as it appears in the crop, px.
    """

    def __init__(self, image: np.ndarray, *, keypoints: np.ndarray, box_size):
        self.image = image
        self.keypoints = np.array(keypoints, np.float32, copy=True).reshape(-1, 3)
        self.box_size = np.asarray(box_size, np.float32).copy()

    def transform(self, tfm: Transform) -> None:
        self.image = tfm.apply_image(self.image)
        self.keypoints[:, :2] = tfm.apply_coords(self.keypoints[:, :2])


class PixelHFlipTransform(Transform):
    """Horizontal flip in the pixel-index convention: ``x -> width - 1 - x``.

    detectron2's ``HFlipTransform`` maps ``x -> width - x`` in its continuous (+0.5) convention; LJOF's
    coordinates are pixel indices, for which the same mirror is ``width - 1 - x``. Besides pixels and
    coordinates it flips the top-down policy's state (:class:`TopDownAugInput`):
    keypoint rows (mirrored, then left/right swapped by ``flip_indices``), the crop window (centre
    mirrored, rotation negated) and the frame matrix.

    Args:
        width: image width, px.
        flip_indices: (K,) left/right permutation of the joints; needed by :meth:`apply_keypoints`.
    """

    def __init__(self, width: int, flip_indices: Optional[Sequence[int]] = None):
        super().__init__()
        width = int(width)
        flip_indices = None if flip_indices is None else np.asarray(flip_indices, np.int64)
        self._set_attributes(locals())

    @property
    def matrix(self) -> np.ndarray:
        return hflip_matrix(self.width)

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(img[:, ::-1])

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        coords = np.array(coords, np.float32, copy=True)
        coords[:, 0] = self.width - 1 - coords[:, 0]
        return coords

    def apply_keypoints(self, keypoints: np.ndarray) -> np.ndarray:
        if self.flip_indices is None:
            raise ValueError("a flip of keypoints needs flip_indices (the left/right permutation)")
        if len(self.flip_indices) != len(keypoints):
            raise ValueError(
                f"flip_indices has {len(self.flip_indices)} entries for {len(keypoints)} keypoints"
            )
        out = np.array(keypoints, np.float32, copy=True)
        out[:, :2] = self.apply_coords(out[:, :2])
        return out[self.flip_indices]

    def apply_window(self, window):
        center, scale, rotation = window
        return self.apply_coords(np.asarray(center, np.float32)[None])[0], scale, -rotation

    def apply_frame_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return compose_affine(self.matrix, matrix)

    def inverse(self) -> Transform:
        return self


class RandomTopDownFlip(T.Augmentation):
    """Horizontal flip of the whole image with probability ``prob``; left/right joints swap.

    Args:
        flip_indices: (K,) left/right permutation (``detection_utils.create_keypoint_hflip_indices``).
        prob: flip probability.
    """

    input_args = ("image_size",)  # detectron2 would pass "image" to a one-argument get_transform

    def __init__(self, *, flip_indices: Sequence[int], prob: float = 0.5):
        super().__init__()
        flip_indices = [int(i) for i in flip_indices]
        self._init(locals())

    def get_transform(self, image_size):
        if np.random.rand() < self.prob:
            return PixelHFlipTransform(image_size[1], flip_indices=self.flip_indices)
        return NoOpTransform()


class WindowTransform(Transform):
    """Move the crop window to (``center``, ``scale``, ``rotation``).

    The image plane does not move: pixels, coordinates, keypoints and the frame are unchanged; the new
    window decides where the later crop is cut.

    Args:
        center: (2,) window centre, px of the augmentation frame.
        scale: (2,) window size (w, h), px.
        rotation: degrees.
    """

    def __init__(self, center, scale, rotation: float = 0.0):
        super().__init__()
        center = np.asarray(center, np.float32).copy()
        scale = np.asarray(scale, np.float32).copy()
        rotation = float(rotation)
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return img

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        return coords

    def apply_keypoints(self, keypoints: np.ndarray) -> np.ndarray:
        return keypoints

    def apply_window(self, window):
        return self.center, self.scale, self.rotation

    def apply_frame_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return matrix


class RandomHalfBody(T.Augmentation):
    """Re-centre the window on the upper or the lower body (MMPose ``RandomHalfBody`` defaults).

    Applies with probability ``prob`` to instances with at least ``min_total_keypoints`` labeled joints.
    The upper half is preferred with probability ``upper_prioritized_prob``; a half needs at least
    ``min_upper_keypoints`` / ``min_lower_keypoints`` labeled joints. The new window is centred on the mean
    of the chosen joints with their extent times ``padding``. Degenerate halves keep the current window
    (a documented fallback, never an error): joints that coincide or span less than ``min_extent`` px
    along both axes, or non-finite coordinates.

    Args:
        upper_body_ids, lower_body_ids: joint index lists (metadata ``keypoint_upper_body_ids`` /
            ``keypoint_lower_body_ids``).
        min_extent: the smallest window (px, after padding) a half may produce.
    """

    def __init__(
        self,
        *,
        upper_body_ids: Sequence[int],
        lower_body_ids: Sequence[int],
        prob: float = 0.3,
        min_total_keypoints: int = 9,
        min_upper_keypoints: int = 2,
        min_lower_keypoints: int = 3,
        padding: float = 1.5,
        upper_prioritized_prob: float = 0.7,
        min_extent: float = 1.0,
    ):
        super().__init__()
        upper_body_ids = [int(i) for i in upper_body_ids]
        lower_body_ids = [int(i) for i in lower_body_ids]
        self._init(locals())

    def get_transform(self, keypoints, center, scale, rotation):
        labeled = keypoints[:, 2] > 0
        if labeled.sum() < self.min_total_keypoints or np.random.rand() > self.prob:
            return NoOpTransform()
        upper = [i for i in self.upper_body_ids if labeled[i]]
        lower = [i for i in self.lower_body_ids if labeled[i]]
        prefer_upper = np.random.rand() < self.upper_prioritized_prob
        upper_ok = len(upper) >= self.min_upper_keypoints
        lower_ok = len(lower) >= self.min_lower_keypoints
        if upper_ok and (prefer_upper or not lower_ok):
            chosen = upper
        elif lower_ok:
            chosen = lower
        else:
            return NoOpTransform()
        pts = keypoints[chosen, :2]
        new_scale = (pts.max(axis=0) - pts.min(axis=0)) * self.padding
        if not np.all(np.isfinite(pts)) or new_scale.max() < self.min_extent:
            return NoOpTransform()
        return WindowTransform(pts.mean(axis=0), new_scale, rotation)


class RandomBBoxTransform(T.Augmentation):
    """Random shift, scale and rotation of the window, each a truncated-normal draw in [-1, 1]
    (MMPose ``RandomBBoxTransform`` defaults): shift ``v * shift_factor * scale`` with p = ``shift_prob``;
    scale multiplier ``mid + v * half_range`` of ``scale_factor`` with p = ``scale_prob``; rotation
    ``v * rotate_factor`` degrees with p = ``rotate_prob``."""

    def __init__(
        self,
        *,
        shift_factor: float = 0.16,
        shift_prob: float = 0.3,
        scale_factor=(0.5, 1.5),
        scale_prob: float = 1.0,
        rotate_factor: float = 80.0,
        rotate_prob: float = 0.6,
    ):
        super().__init__()
        scale_factor = (float(scale_factor[0]), float(scale_factor[1]))
        if not 0 < scale_factor[0] <= scale_factor[1]:
            raise ValueError(f"scale_factor must be (low, high) with 0 < low <= high: {scale_factor}")
        self._init(locals())

    def get_transform(self, center, scale, rotation):
        v = truncated_normal(4)  # shift x, shift y, scale, rotation: one draw (per-call cost)
        apply_shift, apply_scale, apply_rot = (
            np.random.random(3) < (self.shift_prob, self.scale_prob, self.rotate_prob)
        ).tolist()
        lo, hi = self.scale_factor
        shift = v[:2] * self.shift_factor * scale if apply_shift else 0.0
        mult = 0.5 * (hi + lo) + float(v[2]) * 0.5 * (hi - lo) if apply_scale else 1.0
        rot = float(v[3]) * self.rotate_factor if apply_rot else 0.0
        return WindowTransform(center + shift, scale * mult, rotation + rot)


def build_topdown_augmentations(
    metadata, *, flip_prob: float = 0.5, half_body_prob: float = 0.3, **bbox_transform_kwargs
):
    """The standard training policy for a registered dataset's metadata.

    Args:
        metadata: a detectron2 ``Metadata`` (``MetadataCatalog.get(name)``) with ``keypoint_names``,
            ``keypoint_flip_map``, ``keypoint_upper_body_ids`` and ``keypoint_lower_body_ids``.
        flip_prob, half_body_prob: probabilities of the flip and of half-body.
        bbox_transform_kwargs: overrides of :class:`RandomBBoxTransform`'s defaults.

    Returns:
        list of augmentations (flip, half-body, shift/scale/rotation), without the final warp.
    """
    from detectron2.data.detection_utils import create_keypoint_hflip_indices

    return [
        RandomTopDownFlip(flip_indices=create_keypoint_hflip_indices(metadata.name), prob=flip_prob),
        RandomHalfBody(
            upper_body_ids=metadata.keypoint_upper_body_ids,
            lower_body_ids=metadata.keypoint_lower_body_ids,
            prob=half_body_prob,
        ),
        RandomBBoxTransform(**bbox_transform_kwargs),
    ]


"""The random policy of the top-down training recipe as detectron2 ``Augmentation``s.

Reference §1.3 (MMPose's RandomFlip -> RandomHalfBody -> RandomBBoxTransform -> TopdownAffine), re-expressed
in detectron2's pattern: each ``Augmentation.get_transform`` draws its random numbers and returns a
deterministic fvcore ``Transform``; :class:`TopDownAugInput` applies them to the image, the keypoints and
the crop window together.

The window edits (half-body, shift / scale / rotation) change only where the crop will be taken; they are
returned as :class:`CropBoxTransform`. The flip is a true transform of the image plane
(:class:`~ljof.data.transforms.PixelHFlipTransform`); it moves keypoints and window at once, swaps the
left/right joints, and its effect on the pixels is folded into the single final warp (mirroring the
source inside the affine is exact and avoids copying the whole image).
"""

import logging
from typing import Optional, Sequence

import numpy as np
from detectron2.data import transforms as T
from fvcore.transforms.transform import NoOpTransform, Transform, TransformList

from .transforms import (
    PixelHFlipTransform,
    TopDownAffineTransform,
    compose_affine,
    fix_aspect_ratio,
    get_warp_matrix,
)

__all__ = [
    "TopDownAugInput",
    "CropBoxTransform",
    "RandomTopDownFlip",
    "RandomHalfBody",
    "RandomBBoxTransform",
    "TopDownAffine",
    "truncated_normal",
    "build_topdown_augmentations",
]

logger = logging.getLogger(__name__)

_IDENTITY = np.eye(2, 3)


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


class CropBoxTransform(Transform):
    """Set the crop window (centre, size, rotation); pixels and coordinates are unchanged until the warp.

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

    def apply_image(self, img):
        return img

    def apply_coords(self, coords):
        return coords


class TopDownAugInput:
    """The state of one person instance while it is augmented (detectron2's ``AugInput`` role).

    Attributes read by the augmentations (``get_transform`` argument names):
        image: the decoded image (H', W', C) uint8; before the warp it may be a reduced-size decode
            (see ``image_matrix``); after it, the crop.
        image_size: (h, w) of the original image (the augmentation frame before the warp).
        keypoints: (K, 3) float32 x, y, v in the current frame (image px, then crop px).
        center, scale: (2,) crop window, px of the current frame; ``scale`` is aspect-fixed by the warp.
        rotation: degrees.
        box_size: (2,) the person box (w, h) in the current frame's px (LJA's size reference).
        flipped: whether a horizontal flip has been applied.

    Args:
        image: decoded image.
        keypoints: (K, 3) in original-image px.
        center, scale: initial window (from the box with padding).
        box_size: (w, h) of the person box, original-image px.
        flip_indices: (K,) permutation swapping left/right joints (from metadata); needed for flips.
        image_matrix: (2, 3) original-image px -> ``image`` px (identity for a full decode); see
            :meth:`set_image`.

    The image may be set later (:meth:`set_image`): the policy needs only the keypoints and window, so
    the mapper can choose a reduced-size decode after seeing the final window.
    """

    def __init__(
        self,
        image: np.ndarray,
        *,
        keypoints: np.ndarray,
        center,
        scale,
        box_size,
        image_size,
        flip_indices: Optional[Sequence[int]] = None,
        image_matrix: Optional[np.ndarray] = None,
    ):
        self.image = image
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.keypoints = np.array(keypoints, np.float32, copy=True).reshape(-1, 3)
        self.center = np.asarray(center, np.float32).copy()
        self.scale = np.asarray(scale, np.float32).copy()
        self.rotation = 0.0
        self.box_size = np.asarray(box_size, np.float32).copy()
        self.flipped = False
        self.flip_indices = None if flip_indices is None else np.asarray(flip_indices, np.int64)
        self.image_matrix = np.eye(2, 3) if image_matrix is None else np.asarray(image_matrix)
        self.frame_matrix = np.eye(2, 3)  # original-image px -> augmentation-frame px (flips)
        self.warp_matrix = None  # original-image px -> crop px, set by the warp
        self.cropped = False

    def transform(self, tfm: Transform) -> None:
        """Apply a transform (or a TransformList) to image, keypoints and window together."""
        if isinstance(tfm, TransformList):
            for t in tfm.transforms:
                self.transform(t)
        elif isinstance(tfm, NoOpTransform):
            return
        elif isinstance(tfm, CropBoxTransform):
            self.center, self.scale, self.rotation = tfm.center, tfm.scale, tfm.rotation
        elif isinstance(tfm, PixelHFlipTransform):
            self._flip(tfm)
        elif isinstance(tfm, TopDownAffineTransform):
            self._warp(tfm)
        else:  # any other transform (e.g. photometric, LJA): apply it to what we have now
            if self.image is None:
                raise ValueError(
                    f"TopDownAugInput: {type(tfm).__name__} needs the image, which is decoded after the "
                    "window policy; apply pixel transforms after the top-down warp"
                )
            self.image = tfm.apply_image(self.image)
            self.keypoints[:, :2] = tfm.apply_coords(self.keypoints[:, :2])

    def _flip(self, tfm: PixelHFlipTransform) -> None:
        if self.cropped:
            raise ValueError("TopDownAugInput: flip the image before the top-down warp, not after")
        if self.flip_indices is None:
            raise ValueError("TopDownAugInput: a flip needs flip_indices (from keypoint_flip_map)")
        if len(self.flip_indices) != len(self.keypoints):
            raise ValueError(
                f"flip_indices has {len(self.flip_indices)} entries for {len(self.keypoints)} keypoints"
            )
        self.keypoints[:, :2] = tfm.apply_coords(self.keypoints[:, :2])
        self.keypoints = self.keypoints[self.flip_indices]
        self.center = tfm.apply_coords(self.center[None])[0]
        self.frame_matrix = compose_affine(tfm.matrix, self.frame_matrix)
        self.flipped = not self.flipped

    def set_image(self, image: np.ndarray, image_matrix: Optional[np.ndarray] = None) -> None:
        """Set the decoded image and its map from original-image px (identity for a full decode)."""
        if self.cropped:
            raise ValueError("TopDownAugInput: the image is already cropped")
        self.image = image
        self.image_matrix = np.eye(2, 3) if image_matrix is None else np.asarray(image_matrix)

    def _warp(self, tfm: TopDownAffineTransform) -> None:
        if self.cropped:
            raise ValueError("TopDownAugInput: the top-down warp was already applied")
        if self.image is None:
            raise ValueError("TopDownAugInput: set_image() before the top-down warp")
        # crop px <- frame px <- original px <- stored image px
        self.warp_matrix = (
            compose_affine(tfm.matrix, self.frame_matrix) if self.flipped else tfm.matrix
        )
        pixel_matrix = self.warp_matrix
        if not np.array_equal(self.image_matrix, _IDENTITY):  # e.g. a reduced-size decode
            inv = np.linalg.inv(self.image_matrix[:, :2])
            stored_to_orig = np.concatenate([inv, -(inv @ self.image_matrix[:, 2])[:, None]], 1)
            pixel_matrix = compose_affine(self.warp_matrix, stored_to_orig)
        pixel_tfm = TopDownAffineTransform(
            pixel_matrix, tfm.output_size, border_value=tfm.border_value
        )
        self.image = pixel_tfm.apply_image(self.image)
        self.keypoints[:, :2] = tfm.apply_coords(self.keypoints[:, :2])
        # The box's sides as they appear in the crop: lengths of the images of the x and y unit vectors.
        self.box_size = self.box_size * np.linalg.norm(tfm.matrix[:, :2], axis=0).astype(np.float32)
        self.cropped = True


class RandomTopDownFlip(T.Augmentation):
    """Horizontal flip of the whole image with probability ``prob`` (left/right joints are swapped by
    :class:`TopDownAugInput` with the metadata's flip indices)."""

    input_args = ("image_size",)  # detectron2 would pass "image" to a one-argument get_transform

    def __init__(self, prob: float = 0.5):
        super().__init__()
        self._init(locals())

    def get_transform(self, image_size):
        if np.random.rand() < self.prob:
            return PixelHFlipTransform(image_size[1])
        return NoOpTransform()


class RandomHalfBody(T.Augmentation):
    """Re-centre the window on the upper or the lower body (reference §1.3 defaults).

    Applies with probability ``prob`` to instances with at least ``min_total_keypoints`` labeled joints.
    The upper half is preferred with probability ``upper_prioritized_prob``; a half needs at least
    ``min_upper_keypoints`` / ``min_lower_keypoints`` labeled joints. The new window is centred on the mean
    of the chosen joints with their extent times ``padding``.

    Args:
        upper_body_ids, lower_body_ids: joint index lists (metadata ``keypoint_upper_body_ids`` /
            ``keypoint_lower_body_ids``).
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
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        new_center = pts.mean(axis=0)
        new_scale = (hi - lo) * self.padding
        return CropBoxTransform(new_center, new_scale, rotation)


class RandomBBoxTransform(T.Augmentation):
    """Random shift, scale and rotation of the window, each a truncated-normal draw in [-1, 1]
    (reference §1.3): shift ``v * shift_factor * scale`` with p = ``shift_prob``; scale multiplier
    ``mid + v * half_range`` of ``scale_factor`` with p = ``scale_prob``; rotation ``v * rotate_factor``
    degrees with p = ``rotate_prob``."""

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
        return CropBoxTransform(center + shift, scale * mult, rotation + rot)


class TopDownAffine(T.Augmentation):
    """The deterministic crop: fix the window's aspect ratio to ``input_size`` and warp.

    Returns ``TransformList([CropBoxTransform(center, fixed scale, rotation), TopDownAffineTransform])``.

    Args:
        input_size: (w, h) of the network input.
        use_udp: UDP's ``size - 1`` scaling (pair with :class:`~ljof.data.codecs.UDPHeatmap`).
    """

    def __init__(self, input_size=(192, 256), *, use_udp: bool = False):
        super().__init__()
        input_size = (int(input_size[0]), int(input_size[1]))
        self._init(locals())

    def get_transform(self, center, scale, rotation):
        scale = fix_aspect_ratio(scale, self.input_size[0] / self.input_size[1])
        matrix = get_warp_matrix(center, scale, rotation, self.input_size, use_udp=self.use_udp)
        return TransformList(
            [
                CropBoxTransform(center, scale, rotation),
                TopDownAffineTransform(matrix, self.input_size),
            ]
        )


def build_topdown_augmentations(
    metadata, *, flip_prob: float = 0.5, half_body_prob: float = 0.3, **bbox_transform_kwargs
):
    """The standard training policy (reference §1.3) for a dataset's metadata.

    Args:
        metadata: a detectron2 ``Metadata`` (or dict) with ``keypoint_upper_body_ids`` and
            ``keypoint_lower_body_ids``.
        flip_prob, half_body_prob: probabilities of the flip and of half-body.
        bbox_transform_kwargs: overrides of :class:`RandomBBoxTransform`'s defaults.

    Returns:
        list of augmentations (flip, half-body, shift/scale/rotation), without the final warp.
    """
    get = metadata.get if isinstance(metadata, dict) else (lambda k: getattr(metadata, k))
    return [
        RandomTopDownFlip(prob=flip_prob),
        RandomHalfBody(
            upper_body_ids=get("keypoint_upper_body_ids"),
            lower_body_ids=get("keypoint_lower_body_ids"),
            prob=half_body_prob,
        ),
        RandomBBoxTransform(**bbox_transform_kwargs),
    ]

"""Top-down geometry: box -> crop window, the crop's affine warp, its inverse, and the random policy.

Conventions (docs/interfaces.md): coordinates are in the pixel-index convention (the centre of the top-left
pixel is (0, 0)); sizes are ``(w, h)``; ``center`` and ``scale`` are the crop window's centre and size in
original-image px; ``rotation`` is in degrees.

The warp (reference §1.3, §7.4): the window of size ``scale`` centred on ``center``, rotated by
``rotation``, is mapped onto the network input of size ``input_size``:

* MSRA: ``x_crop = (w / s_w) * R(-rot) (x - c) + (w / 2, h / 2)``, so at rot = 0
  ``x_img = x_crop / w * s_w + c_x - s_w / 2``;
* UDP: the same with ``w - 1`` in place of ``w`` (``x_img = x_crop * s_w / (w - 1) + c_x - s_w / 2``).

Both use one rotation sign (positive ``rotation`` turns the crop's x axis by ``+rot`` in the image, y
down); the random rotation is symmetric, so the sign only matters for consistency, which this module
keeps by building every matrix in one place.

Detectron2 pattern: the random policy lives in ``Augmentation``s (:mod:`ljof.data.augmentations`), the
deterministic geometry in fvcore ``Transform``s defined here, which move image and coordinates together.
"""

import logging
import math
from typing import Sequence, Tuple

import cv2
import numpy as np
from fvcore.transforms.transform import Transform

__all__ = [
    "bbox_xywh_to_center_scale",
    "fix_aspect_ratio",
    "get_warp_matrix",
    "crop_to_image",
    "image_to_crop",
    "hflip_matrix",
    "compose_affine",
    "TopDownAffineTransform",
    "PixelHFlipTransform",
]

logger = logging.getLogger(__name__)


def bbox_xywh_to_center_scale(bbox: Sequence[float], *, padding: float = 1.25):
    """Centre and padded size of an XYWH box (no aspect fix; that happens at the warp).

    Args:
        bbox: (4,) x, y, w, h in px; x, y is the top-left corner in the pixel-index convention.
        padding: the size multiplier (1.25 in the standard recipe).

    Returns:
        center (2,) float32 px and scale (2,) float32 px (``(w, h) * padding``).
    """
    x, y, w, h = (float(v) for v in bbox[:4])
    center = np.array([x + 0.5 * w, y + 0.5 * h], np.float32)
    scale = np.array([w, h], np.float32) * np.float32(padding)
    return center, scale


def fix_aspect_ratio(scale, aspect_ratio: float) -> np.ndarray:
    """Grow the shorter side of ``scale`` (w, h) so that w / h == ``aspect_ratio`` (input w / input h)."""
    w, h = float(scale[0]), float(scale[1])
    if w > h * aspect_ratio:
        h = w / aspect_ratio
    else:
        w = h * aspect_ratio
    return np.array([w, h], np.float32)


def get_warp_matrix(
    center, scale, rotation: float, output_size: Tuple[int, int], *, use_udp: bool = False
) -> np.ndarray:
    """The (2, 3) affine matrix from original-image px to crop px.

    Args:
        center: (2,) window centre, image px.
        scale: (2,) window size (w, h), image px; aspect-fixed to ``output_size`` by the caller.
        rotation: degrees.
        output_size: (w, h) of the crop.
        use_udp: UDP's ``(size - 1)`` scaling instead of MSRA's ``size``.

    Returns:
        (2, 3) float64 matrix ``M`` with ``crop = M[:, :2] @ img + M[:, 2]``.
    """
    w, h = float(output_size[0]), float(output_size[1])
    if use_udp:
        sx, sy = (w - 1.0) / float(scale[0]), (h - 1.0) / float(scale[1])
        out_c = np.array([(w - 1.0) / 2.0, (h - 1.0) / 2.0])
    else:
        sx, sy = w / float(scale[0]), h / float(scale[1])
        out_c = np.array([w / 2.0, h / 2.0])
    rad = math.radians(float(rotation))
    cs, sn = math.cos(rad), math.sin(rad)
    linear = np.array([[sx * cs, sx * sn], [-sy * sn, sy * cs]])
    offset = out_c - linear @ np.asarray(center, np.float64)[:2]
    return np.concatenate([linear, offset[:, None]], axis=1)


def _apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float64)
    return pts @ matrix[:, :2].T + matrix[:, 2]


def _invert_affine(matrix: np.ndarray) -> np.ndarray:
    inv = np.linalg.inv(matrix[:, :2])
    return np.concatenate([inv, -(inv @ matrix[:, 2])[:, None]], axis=1)


def crop_to_image(
    keypoints, center, scale, input_size, use_udp: bool = False, rotation: float = 0.0
):
    """Map crop-px points back to original-image px: the single inverse used by the model and the tests.

    Args:
        keypoints: (..., 2) or (..., >=2) crop px (extra columns, e.g. scores, are kept unchanged);
            numpy array.
        center, scale: (2,) or (..., 2) window centre and (aspect-fixed, padded) size, image px. With batch
            dimensions they broadcast against the keypoints' leading dims (e.g. keypoints (N, K, 2), center
            (N, 2)).
        input_size: (w, h) of the crop.
        use_udp: the crop was made with the UDP warp.
        rotation: degrees (0 at test time).

    Returns:
        float32 array of the keypoints' shape with x, y in image px.
    """
    kpts = np.asarray(keypoints, np.float64)
    center = np.asarray(center, np.float64)
    scale = np.asarray(scale, np.float64)
    if center.ndim > 1:  # batched: center (N, 2) -> (N, 1, 2) against (N, K, 2)
        center = center.reshape(center.shape[:-1] + (1,) * (kpts.ndim - center.ndim) + (2,))
        scale = scale.reshape(scale.shape[:-1] + (1,) * (kpts.ndim - scale.ndim) + (2,))
    size = np.asarray(input_size, np.float64) - (1.0 if use_udp else 0.0)
    rel = kpts[..., :2] - size / 2.0  # crop px relative to the crop centre
    rel = rel * (scale / size)  # image px along the crop axes
    if rotation:
        rad = math.radians(float(rotation))
        cs, sn = math.cos(rad), math.sin(rad)
        rel = np.stack(
            [cs * rel[..., 0] - sn * rel[..., 1], sn * rel[..., 0] + cs * rel[..., 1]], -1
        )
    out = kpts.copy()
    out[..., :2] = rel + center
    return out.astype(np.float32)


def image_to_crop(points, center, scale, input_size, use_udp: bool = False, rotation: float = 0.0):
    """Map image-px points (..., 2) into crop px (the forward warp; see :func:`get_warp_matrix`)."""
    matrix = get_warp_matrix(center, scale, rotation, input_size, use_udp=use_udp)
    pts = np.asarray(points, np.float64)
    out = pts.copy()
    out[..., :2] = _apply_affine(matrix, pts[..., :2])
    return out.astype(np.float32)


def hflip_matrix(width: int) -> np.ndarray:
    """(2, 3) matrix of the horizontal flip of an image ``width`` px wide: ``x -> width - 1 - x``."""
    return np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0]])


def compose_affine(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """(2, 3) matrix of ``outer(inner(x))``."""
    linear = outer[:, :2] @ inner[:, :2]
    return np.concatenate([linear, (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]], axis=1)


class TopDownAffineTransform(Transform):
    """The top-down crop: one affine warp (cv2.warpAffine, bilinear) of the image and the same map on
    coordinates.

    Args:
        matrix: (2, 3) image px -> crop px.
        output_size: (w, h) of the crop.
        src_size: (w, h) of the source image; only needed by :meth:`inverse`.
        border_value: fill of pixels outside the source image (0 = black, as the standard recipe).
    """

    def __init__(self, matrix, output_size, src_size=None, border_value: int = 0):
        super().__init__()
        matrix = np.asarray(matrix, np.float64).reshape(2, 3)
        output_size = (int(output_size[0]), int(output_size[1]))
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray, interp=None) -> np.ndarray:
        flags = cv2.INTER_LINEAR if interp is None else interp
        return cv2.warpAffine(
            img,
            self.matrix,
            self.output_size,
            flags=flags,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(self.border_value,) * 4,
        )

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        if len(coords) == 0:
            return np.asarray(coords, np.float32)
        return _apply_affine(self.matrix, coords).astype(np.float32)

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self.apply_image(segmentation, interp=cv2.INTER_NEAREST)

    def inverse(self) -> Transform:
        if self.src_size is None:
            raise NotImplementedError("TopDownAffineTransform.inverse needs src_size (w, h)")
        return TopDownAffineTransform(
            _invert_affine(self.matrix), self.src_size, self.output_size, self.border_value
        )


class PixelHFlipTransform(Transform):
    """Horizontal flip in the pixel-index convention: ``x -> width - 1 - x``.

    detectron2's ``HFlipTransform`` maps ``x -> width - x`` in its continuous (+0.5) convention; LJOF's
    coordinates are pixel indices, for which the same mirror is ``width - 1 - x``.
    """

    def __init__(self, width: int):
        super().__init__()
        width = int(width)
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

    def inverse(self) -> Transform:
        return self

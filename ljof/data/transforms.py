"""Top-down geometry: box -> crop window, the crop's affine warp and its inverse.

Conventions (docs/interfaces.md): coordinates are in the pixel-index convention (the centre of the top-left
pixel is (0, 0)); sizes are ``(w, h)``; ``center`` and ``scale`` are the crop window's centre and size in
original-image px; ``rotation`` is in degrees.

The warp (the top-down affine of SimpleBaseline/HRNet; MMPose ``TopdownAffine``): the window of size
``scale`` centred on ``center``, rotated by ``rotation``, is mapped onto the network input of size
``input_size``:

* MSRA: ``x_crop = (w / s_w) * R(-rot) (x - c) + (w / 2, h / 2)``, so at rot = 0
  ``x_img = x_crop / w * s_w + c_x - s_w / 2``;
* UDP: the same with ``w - 1`` in place of ``w`` (``x_img = x_crop * s_w / (w - 1) + c_x - s_w / 2``).

Both use one rotation sign (positive ``rotation`` turns the crop's x axis by ``+rot`` in the image, y
down); the random rotation is symmetric, so the sign only matters for consistency, which this module
keeps by building every matrix in one place.

Detectron2 pattern: this module holds the geometry every stage shares (matrices, the window, the crop
warp :class:`TopDownAffineTransform` that :func:`crop_person` applies); each random policy keeps the
fvcore ``Transform`` it produces beside it (:mod:`ljof.data.augmentations`: the flip and the window moves;
:mod:`ljof.data.lja`: the block fill of LJA and of the occlusion baselines), as detectron2 keeps an
``Augmentation`` with the ``Transform`` it returns in ``detectron2/data/transforms/``.
:func:`topdown_window` and :func:`crop_person` are the one test-time crop, shared by the mapper and
``DetectorPoseModel``.
"""

import logging
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from fvcore.transforms.transform import Transform

__all__ = [
    "bbox_xywh_to_center_scale",
    "fix_aspect_ratio",
    "topdown_window",
    "get_warp_matrix",
    "crop_person",
    "invert_affine",
    "apply_affine",
    "crop_to_image",
    "image_to_crop",
    "hflip_matrix",
    "compose_affine",
    "TopDownAffineTransform",
]

logger = logging.getLogger(__name__)


def bbox_xywh_to_center_scale(bbox: Sequence[float], *, padding: float = 1.25):
    """Centre and padded size of an XYWH box (no aspect fix; that happens at the warp).

    The arithmetic is MMPose's (``GetBBoxCenterScale`` on a detection box, ``mmpose/structures/bbox/
    transforms.py:bbox_xyxy2cs``): the box in float32, its corners ``x2 = x + w`` in float32, then
    ``center = (x1 + x2) * 0.5`` and ``scale = (x2 - x1) * padding``, all float32. Test-time crops are
    therefore bit-identical to MMPose's and the official HRNet's for the same box.

    Args:
        bbox: (4,) x, y, w, h in px; x, y is the top-left corner in the pixel-index convention.
        padding: the size multiplier (1.25 in the standard recipe).

    Returns:
        center (2,) float32 px and scale (2,) float32 px.

    Raises:
        ValueError: a box with a non-finite value or a width or height that is not > 0.
    """
    box = np.asarray(bbox, np.float32).reshape(-1)[:4]
    if box.shape[0] != 4 or not np.all(np.isfinite(box)) or box[2] <= 0 or box[3] <= 0:
        raise ValueError(f"person box {np.asarray(bbox).tolist()} is not XYWH with w, h > 0")
    x1y1 = box[:2]
    x2y2 = x1y1 + box[2:]
    center = (x2y2 + x1y1) * np.float32(0.5)
    scale = (x2y2 - x1y1) * np.float32(padding)
    return center, scale


def fix_aspect_ratio(scale, aspect_ratio: float) -> np.ndarray:
    """Grow the shorter side of ``scale`` (w, h) so that w / h == ``aspect_ratio`` (input w / input h).

    float32 arithmetic, as MMPose's ``TopdownAffine._fix_aspect_ratio``.
    """
    w, h = np.asarray(scale, np.float32)[:2]
    if w > h * np.float32(aspect_ratio):
        return np.array([w, w / np.float32(aspect_ratio)], np.float32)
    return np.array([h * np.float32(aspect_ratio), h], np.float32)


def _check_window(center, scale, rotation) -> None:
    if not (np.all(np.isfinite(center)) and np.all(np.isfinite(scale)) and np.isfinite(rotation)):
        raise ValueError(
            f"crop window is not finite: center {np.asarray(center).tolist()}, "
            f"scale {np.asarray(scale).tolist()}, rotation {rotation}"
        )
    if np.any(np.asarray(scale) <= 0):
        raise ValueError(f"crop window has a zero or negative size: scale {np.asarray(scale).tolist()}")


def get_warp_matrix(
    center, scale, rotation: float, output_size: Tuple[int, int], *, use_udp: bool = False
) -> np.ndarray:
    """The (2, 3) affine matrix from original-image px to crop px.

    The arithmetic is the reference's, so that crops are bit-identical to MMPose 1.x and the official
    HRNet code for the same window:

    * MSRA (``mmpose/structures/bbox/transforms.py:get_warp_matrix``): three float32 point pairs (the
      window centre, the centre plus the rotated half-width vector, and the point perpendicular to them)
      and ``cv2.getAffineTransform``;
    * UDP (``get_udp_warp_matrix`` there): the closed form with ``(size - 1) / scale``, stored in float32.
      One rotation sign for both: positive ``rotation`` turns the crop's x axis by ``+rotation`` in the
      image (MMPose's UDP matrix uses the opposite sign; the random rotation is symmetric).

    Args:
        center: (2,) window centre, image px.
        scale: (2,) window size (w, h), image px; aspect-fixed to ``output_size`` by the caller.
        rotation: degrees.
        output_size: (w, h) of the crop.
        use_udp: UDP's ``(size - 1)`` scaling instead of MSRA's ``size``.

    Returns:
        (2, 3) float64 matrix ``M`` with ``crop = M[:, :2] @ img + M[:, 2]``.

    Raises:
        ValueError: a non-finite window or one with a size that is not > 0.
    """
    center = np.asarray(center, np.float32).reshape(-1)[:2]
    scale = np.asarray(scale, np.float32).reshape(-1)[:2]
    _check_window(center, scale, float(rotation))
    dst_w, dst_h = int(output_size[0]), int(output_size[1])
    rad = np.deg2rad(float(rotation))
    if use_udp:  # python-float trigonometry and float32 arrays, as the reference
        cs, sn = math.cos(rad), math.sin(rad)
        sx, sy = (dst_w - 1) / scale[0], (dst_h - 1) / scale[1]
        in_w, in_h = center * 2
        matrix = np.zeros((2, 3), np.float32)
        matrix[0] = [cs * sx, sn * sx, sx * (-0.5 * in_w * cs - 0.5 * in_h * sn + 0.5 * scale[0])]
        matrix[1] = [-sn * sy, cs * sy, sy * (0.5 * in_w * sn - 0.5 * in_h * cs + 0.5 * scale[1])]
        return matrix.astype(np.float64)
    cs, sn = np.cos(rad), np.sin(rad)
    src_dir = np.array([[cs, -sn], [sn, cs]]) @ np.array([scale[0] * np.float32(-0.5), 0.0])
    src = np.zeros((3, 2), np.float32)
    dst = np.zeros((3, 2), np.float32)
    src[0] = center
    src[1] = center + src_dir
    dst[0] = [dst_w * 0.5, dst_h * 0.5]
    dst[1] = [0.0, dst_h * 0.5]
    for pts in (src, dst):  # the third point: the second turned by 90 degrees about the first
        d = pts[0] - pts[1]
        pts[2] = pts[1] + np.array([-d[1], d[0]])
    return cv2.getAffineTransform(src, dst)


def topdown_window(bbox: Sequence[float], *, input_size: Tuple[int, int], padding: float = 1.25):
    """The test-time crop window of a person box: padded, then aspect-fixed to ``input_size``.

    Returns:
        center (2,) and scale (2,) float32 px (see :func:`bbox_xywh_to_center_scale`).
    """
    center, scale = bbox_xywh_to_center_scale(bbox, padding=padding)
    return center, fix_aspect_ratio(scale, input_size[0] / input_size[1])


def crop_person(
    image: np.ndarray,
    center,
    scale,
    *,
    input_size: Tuple[int, int],
    rotation: float = 0.0,
    use_udp: bool = False,
    image_matrix: Optional[np.ndarray] = None,
    border_value: int = 0,
):
    """Cut the crop window out of an image with one bilinear affine warp (``cv2.warpAffine``).

    Args:
        image: (H, W, C) or (H, W) uint8.
        center, scale, rotation: the aspect-fixed window in the window frame's px (see
            :func:`get_warp_matrix`).
        input_size: (w, h) of the crop.
        use_udp: the UDP warp.
        image_matrix: (2, 3) map from the window frame's px to ``image``'s px when they differ (a resized
            or reduced-size decode, a flipped frame); None when ``image`` is the frame (then the pixels are
            exactly those of the reference implementations).
        border_value: fill outside the image.

    Returns:
        crop (h, w[, C]) uint8 and the (2, 3) float64 matrix window-frame px -> crop px.
    """
    matrix = get_warp_matrix(center, scale, rotation, input_size, use_udp=use_udp)
    pixel_matrix = matrix
    if image_matrix is not None:
        pixel_matrix = compose_affine(matrix, invert_affine(image_matrix))
    crop = TopDownAffineTransform(pixel_matrix, input_size, border_value=border_value).apply_image(image)
    return crop, matrix


def apply_affine(matrix: np.ndarray, points) -> np.ndarray:
    """(..., 2) points mapped by a (2, 3) affine matrix, float64."""
    pts = np.asarray(points, np.float64)
    return pts @ matrix[:, :2].T + matrix[:, 2]


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """(2, 3) inverse of a (2, 3) affine matrix (``cv2.invertAffineTransform``, in float64)."""
    return cv2.invertAffineTransform(np.asarray(matrix, np.float64))


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
    out[..., :2] = apply_affine(matrix, pts[..., :2])
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
        return apply_affine(self.matrix, coords).astype(np.float32)

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self.apply_image(segmentation, interp=cv2.INTER_NEAREST)

    def inverse(self) -> Transform:
        if self.src_size is None:
            raise NotImplementedError("TopDownAffineTransform.inverse needs src_size (w, h)")
        return TopDownAffineTransform(
            invert_affine(self.matrix), self.src_size, self.output_size, self.border_value
        )

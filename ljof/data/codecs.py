"""Heatmap codecs: keypoints in crop pixels <-> Gaussian heatmap targets and back.

One small interface for every top-down heatmap method (see docs/interfaces.md, "Codecs"):

* ``encode(keypoints (K, 2) crop px, visible (K,)) -> (heatmaps (K, h, w) float32, weights (K,) float32)``
* ``decode(heatmaps (K, h, w) or (N, K, h, w)) -> (keypoints (..., K, 2) crop px, scores (..., K))``

Codecs (the formulas of SimpleBaseline/HRNet, DARK and UDP as in MMPose 1.x ``mmpose/codecs/``; the code
is ours):

* :class:`MSRAHeatmap`: SimpleBaseline/HRNet targets. ``keypoint / stride`` rounded to the nearest heatmap
  pixel (``int(x + 0.5)``), an unnormalised Gaussian with peak 1 on the pixels within ``3 sigma`` of it
  (``2 floor(3 sigma) + 1`` wide: 13 for sigma 2, 9 for sigma 1.5; MMPose's differences for a non-integer
  ``3 sigma`` are in docs/data_pipeline.md); decoding
  takes the argmax, moves it a quarter pixel towards the higher neighbour and multiplies by the stride.
  ``unbiased=True`` gives DARK: sub-pixel Gaussians over the whole map, and decoding by a second-order
  Taylor step on the log of the (blurred) heatmap.
* :class:`UDPHeatmap`: unbiased data processing. Stride ``(input - 1) / (heatmap - 1)``, a sub-pixel Gaussian
  on a window around the rounded centre, DARK-style decoding. Pair it with the UDP warp
  (``use_udp=True`` in :mod:`ljof.data.transforms`).

``input_size`` and ``heatmap_size`` are ``(w, h)``. Output size and sigma are free, so SRPose's
full-resolution targets are e.g. ``MSRAHeatmap(input_size=(192, 256), heatmap_size=(192, 256), sigma=8)``.

Everything is vectorised over joints and instances: a Gaussian is separable, so a heatmap is the outer
product of a column and a row profile.
"""

import logging
from typing import Tuple, Union

import cv2
import numpy as np
import torch

__all__ = ["HeatmapCodec", "MSRAHeatmap", "DARKHeatmap", "UDPHeatmap"]

logger = logging.getLogger(__name__)

ArrayLike = Union[np.ndarray, torch.Tensor]


def _as_numpy(array: ArrayLike, dtype=np.float32) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    return np.asarray(array, dtype=dtype)


def _profiles(centers, window_centers, radius, sigma, length, truncate):
    """1-D Gaussian profiles along one axis.

    Args:
        centers: (K,) float, the Gaussian means in heatmap px.
        window_centers: (K,) int, the centres of the support windows (ignored if not ``truncate``).
        radius: half-width of the window (px); values farther than it from the window centre are 0.
        sigma: standard deviation (heatmap px).
        length: number of heatmap pixels along the axis.
        truncate: whether to zero the profile outside the window.

    Returns:
        (K, length) float32 profiles, peak value exp(0) = 1 at the mean.
    """
    grid = np.arange(length, dtype=np.float32)[None, :]
    prof = np.exp(-((grid - centers[:, None]) ** 2) / np.float32(2.0 * sigma * sigma))
    if truncate:
        prof[np.abs(grid - window_centers[:, None]) > radius] = 0.0
    return prof.astype(np.float32, copy=False)


def _maxima(heatmaps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Integer argmax locations (M, 2) as (x, y) and the max values (M,) of (M, h, w) heatmaps."""
    m, h, w = heatmaps.shape
    flat = heatmaps.reshape(m, h * w)
    idx = flat.argmax(axis=1)
    scores = flat[np.arange(m), idx]
    locs = np.stack([idx % w, idx // w], axis=1).astype(np.float32)
    return locs, scores


def _blur_keep_max(heatmaps: np.ndarray, kernel: int) -> np.ndarray:
    """Gaussian blur with zero padding, each map rescaled to keep its original maximum (DARK)."""
    m, h, w = heatmaps.shape
    orig_max = heatmaps.reshape(m, -1).max(axis=1)
    out = np.empty_like(heatmaps)
    # One cv2 call blurs every channel of an (h, w, C) image; C <= 128 (OpenCV 5 refuses more).
    for start in range(0, m, 128):
        chunk = np.ascontiguousarray(heatmaps[start : start + 128].transpose(1, 2, 0))
        blurred = cv2.GaussianBlur(chunk, (kernel, kernel), 0, borderType=cv2.BORDER_CONSTANT)
        out[start : start + 128] = blurred.reshape(h, w, -1).transpose(2, 0, 1)
    new_max = out.reshape(m, -1).max(axis=1)
    ratio = np.where(new_max > 0, orig_max / np.maximum(new_max, 1e-12), 0.0)
    return out * ratio[:, None, None].astype(np.float32)


def _pad_quadratic(maps: np.ndarray) -> np.ndarray:
    """Pad (M, h, w) maps by one pixel on each side, extrapolating the quadratic through the three
    outermost pixels: the log of a Gaussian is quadratic, so a peak on the border is still refined."""
    m, h, w = maps.shape
    out = np.zeros((m, h + 2, w + 2), maps.dtype)
    out[:, 1:-1, 1:-1] = maps
    for axis, n in ((2, w), (1, h)):
        view = np.moveaxis(out, axis, 0)  # writes go through to ``out``
        if n >= 3:
            view[0] = 3 * view[1] - 3 * view[2] + view[3]
            view[-1] = 3 * view[-2] - 3 * view[-3] + view[-4]
        else:
            view[0], view[-1] = view[1], view[-2]
    return out


def _taylor_refine(heatmaps: np.ndarray, locs: np.ndarray, kernel: int) -> np.ndarray:
    """DARK sub-pixel refinement: one Newton step on log(blurred heatmap) at the integer maxima.

    The step is taken only where it is trustworthy, else the argmax is kept, so the refined decoder is
    never worse than the argmax (``tests/data/test_codecs.py`` checks every position of the crop):

    * with the decoding blur, the maximum must lie at least ``kernel // 2 - 1`` px inside every border
      (4 px for the default 11 x 11 blur): the blur's zero padding pulls peaks nearer to the border
      inwards (measured on every position of a 192 x 256 crop: at a 3-px margin UDP's step is up to
      0.16 px worse than the argmax, at 4 px never). MMPose 1.x
      (``mmpose/codecs/utils/refinement.py:refine_keypoints_dark``) refines only inside a margin too
      (``1 < x < w - 2``), which is not enough for that;
    * without the blur, the log-heatmap is extrapolated by one quadratic pixel at the border (the log of a
      Gaussian is quadratic), so peaks on the outermost pixels are refined exactly;
    * the Hessian must be invertible and the step shorter than one pixel.

    Args:
        heatmaps: (M, h, w) float32.
        locs: (M, 2) integer (x, y) maxima.
        kernel: blur kernel size (odd); 0 or 1 disables the blur.

    Returns:
        (M, 2) refined locations in heatmap px.
    """
    m, h, w = heatmaps.shape
    margin = 0
    if kernel and kernel > 1:
        heatmaps = _blur_keep_max(heatmaps, kernel)
        margin = max(1, kernel // 2 - 1)
    logm = _pad_quadratic(np.log(np.clip(heatmaps, 1e-3, 50.0)))
    idx = np.arange(m)
    x = locs[:, 0].astype(np.int64)
    y = locs[:, 1].astype(np.int64)
    inside = (x >= margin) & (x <= w - 1 - margin) & (y >= margin) & (y <= h - 1 - margin)
    x, y = x + 1, y + 1  # padded indices
    c = logm[idx, y, x]
    dx = 0.5 * (logm[idx, y, x + 1] - logm[idx, y, x - 1])
    dy = 0.5 * (logm[idx, y + 1, x] - logm[idx, y - 1, x])
    dxx = logm[idx, y, x + 1] - 2 * c + logm[idx, y, x - 1]
    dyy = logm[idx, y + 1, x] - 2 * c + logm[idx, y - 1, x]
    dxy = 0.25 * (
        logm[idx, y + 1, x + 1]
        - logm[idx, y + 1, x - 1]
        - logm[idx, y - 1, x + 1]
        + logm[idx, y - 1, x - 1]
    )
    det = dxx * dyy - dxy * dxy
    ok = inside & (np.abs(det) > 1e-12)
    safe = np.where(ok, det, 1.0)
    # offset = -H^-1 g, H = [[dxx, dxy], [dxy, dyy]]
    off_x = -(dyy * dx - dxy * dy) / safe
    off_y = -(-dxy * dx + dxx * dy) / safe
    off = np.stack([off_x, off_y], axis=1)
    # A step longer than a pixel means the map is not locally Gaussian there; keep the argmax.
    ok &= np.all(np.abs(off) < 1.0, axis=1)
    return locs + np.where(ok[:, None], off, 0.0).astype(np.float32)


class HeatmapCodec:
    """Base of the heatmap codecs: sizes, the keypoint <-> heatmap scale and the shared shape checks.

    Attributes:
        input_size: (w, h) of the network input crop (px).
        heatmap_size: (w, h) of the heatmap.
        sigma: Gaussian standard deviation in heatmap px.
        use_udp: whether the codec expects the UDP warp (``scale = (input - 1) / (heatmap - 1)``).
        scale_factor: (2,) crop px per heatmap px along x and y.
    """

    use_udp = False

    def __init__(self, *, input_size=(192, 256), heatmap_size=(48, 64), sigma: float = 2.0):
        if len(input_size) != 2 or len(heatmap_size) != 2:
            raise ValueError(
                f"input_size and heatmap_size are (w, h); got {input_size}, {heatmap_size}"
            )
        if sigma <= 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.heatmap_size = (int(heatmap_size[0]), int(heatmap_size[1]))
        self.sigma = float(sigma)
        self.scale_factor = self._scale_factor()

    def _scale_factor(self) -> np.ndarray:
        return np.array(self.input_size, np.float32) / np.array(self.heatmap_size, np.float32)

    def __repr__(self):
        return (
            f"{type(self).__name__}(input_size={self.input_size}, heatmap_size={self.heatmap_size}, "
            f"sigma={self.sigma})"
        )

    # ---- encode -------------------------------------------------------------------------------
    def _check_encode_args(self, keypoints, visible):
        keypoints = _as_numpy(keypoints)
        if keypoints.ndim != 2 or keypoints.shape[1] < 2:
            raise ValueError(f"keypoints must be (K, 2) crop px, got shape {keypoints.shape}")
        visible = _as_numpy(visible).reshape(-1)
        if visible.shape[0] != keypoints.shape[0]:
            raise ValueError(
                f"visible has {visible.shape[0]} entries for {keypoints.shape[0]} keypoints"
            )
        return keypoints[:, :2], visible

    def _encode_gaussians(self, keypoints, visible, centers, window_centers, truncate):
        """Heatmaps (K, h, w) and weights (K,) of Gaussians at ``centers`` (heatmap px).

        The weight is 1 for a labeled joint (``visible > 0``) whose ``3 sigma`` window overlaps the map,
        else 0 (and its heatmap is all zero).
        """
        w, h = self.heatmap_size
        radius = 3.0 * self.sigma
        lo = window_centers - radius
        hi = window_centers + radius
        inside = np.all((lo <= [w - 1, h - 1]) & (hi >= 0), axis=1)
        finite = np.all(np.isfinite(keypoints), axis=1)
        weights = ((visible > 0) & inside & finite).astype(np.float32)
        centers = np.where(finite[:, None], centers, 0.0)
        window_centers = np.where(finite[:, None], window_centers, 0)
        gx = _profiles(centers[:, 0], window_centers[:, 0], radius, self.sigma, w, truncate)
        gy = _profiles(centers[:, 1], window_centers[:, 1], radius, self.sigma, h, truncate)
        heatmaps = gy[:, :, None] * gx[:, None, :]
        heatmaps *= weights[:, None, None]
        return heatmaps, weights

    def encode(self, keypoints: ArrayLike, visible: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
        """Encode crop-px keypoints into heatmap targets.

        Args:
            keypoints: (K, 2) x, y in crop px (pixel-index convention); extra columns are ignored.
            visible: (K,) COCO visibility or a 0/1 mask; a joint is labeled when ``visible > 0``.

        Returns:
            heatmaps: (K, h, w) float32, peak 1.
            weights: (K,) float32, 0 for unlabeled joints and joints whose Gaussian misses the map.
        """
        raise NotImplementedError

    # ---- decode -------------------------------------------------------------------------------
    def decode(self, heatmaps: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
        """Decode heatmaps into crop-px keypoints.

        Args:
            heatmaps: (K, h, w) or (N, K, h, w), numpy or torch.

        Returns:
            keypoints: (..., K, 2) float32 crop px; -1 heatmap px (scaled) where the max is <= 0.
            scores: (..., K) float32, the heatmap maximum.
        """
        hm = _as_numpy(heatmaps)
        if hm.ndim not in (3, 4):
            raise ValueError(f"heatmaps must be (K, h, w) or (N, K, h, w), got shape {hm.shape}")
        lead = hm.shape[:-2]
        flat = hm.reshape(-1, hm.shape[-2], hm.shape[-1])
        locs, scores = _maxima(flat)
        locs = self._refine(flat, locs)
        locs[scores <= 0] = -1.0
        keypoints = (locs * self.scale_factor).astype(np.float32)
        return keypoints.reshape(*lead, 2), scores.reshape(lead).astype(np.float32)

    def _refine(self, heatmaps: np.ndarray, locs: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class MSRAHeatmap(HeatmapCodec):
    """MSRA (SimpleBaseline / HRNet) heatmaps; ``unbiased=True`` gives DARK encoding and decoding.

    Args:
        input_size: (w, h) of the crop, default (192, 256).
        heatmap_size: (w, h) of the heatmap, default (48, 64).
        sigma: Gaussian sigma in heatmap px (2 for 64x48; SRPose's full resolution uses 8).
        unbiased: DARK: sub-pixel Gaussians over the whole map and Taylor decoding.
        blur_kernel_size: DARK's decoding blur (odd; only used when ``unbiased``).
    """

    def __init__(
        self,
        *,
        input_size=(192, 256),
        heatmap_size=(48, 64),
        sigma: float = 2.0,
        unbiased: bool = False,
        blur_kernel_size: int = 11,
    ):
        super().__init__(input_size=input_size, heatmap_size=heatmap_size, sigma=sigma)
        self.unbiased = bool(unbiased)
        self.blur_kernel_size = int(blur_kernel_size)

    def __repr__(self):
        return super().__repr__()[:-1] + f", unbiased={self.unbiased})"

    def encode(self, keypoints, visible):
        keypoints, visible = self._check_encode_args(keypoints, visible)
        mu = keypoints / self.scale_factor
        if self.unbiased:
            return self._encode_gaussians(keypoints, visible, mu, mu, truncate=False)
        # Biased MSRA targets sit on the nearest heatmap pixel: int(x + 0.5), truncating toward zero.
        rounded = np.trunc(mu + 0.5)  # NaN stays NaN: weight 0 below
        return self._encode_gaussians(keypoints, visible, rounded, rounded, truncate=True)

    def _refine(self, heatmaps, locs):
        if self.unbiased:
            return _taylor_refine(heatmaps, locs, self.blur_kernel_size)
        return _quarter_offset(heatmaps, locs)


class DARKHeatmap(MSRAHeatmap):
    """DARK (distribution-aware) heatmaps: :class:`MSRAHeatmap` with ``unbiased=True``."""

    def __init__(
        self, *, input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0, blur_kernel_size=11
    ):
        super().__init__(
            input_size=input_size,
            heatmap_size=heatmap_size,
            sigma=sigma,
            unbiased=True,
            blur_kernel_size=blur_kernel_size,
        )


def _quarter_offset(heatmaps: np.ndarray, locs: np.ndarray) -> np.ndarray:
    """Move each integer maximum 0.25 px toward its higher neighbour along x and y (MSRA decoding).

    The border conditions are MMPose 1.x's (``mmpose/codecs/utils/post_processing.py``), kept for
    comparable numbers: x is refined
    where ``1 < x < w - 1 and 0 < y``, y where ``1 < y < h - 1 and 0 < x``.
    """
    m, h, w = heatmaps.shape
    idx = np.arange(m)
    x = locs[:, 0].astype(np.int64)
    y = locs[:, 1].astype(np.int64)
    can_x = (x > 1) & (x < w - 1) & (y > 0)
    can_y = (y > 1) & (y < h - 1) & (x > 0)
    xr, xl = np.clip(x + 1, 0, w - 1), np.clip(x - 1, 0, w - 1)
    yd, yu = np.clip(y + 1, 0, h - 1), np.clip(y - 1, 0, h - 1)
    dx = np.where(can_x, heatmaps[idx, y, xr] - heatmaps[idx, y, xl], 0.0)
    dy = np.where(can_y, heatmaps[idx, yd, x] - heatmaps[idx, yu, x], 0.0)
    return locs + 0.25 * np.stack([np.sign(dx), np.sign(dy)], axis=1).astype(np.float32)


class UDPHeatmap(HeatmapCodec):
    """UDP heatmaps (unbiased data processing), to be used with the UDP warp (``use_udp=True``).

    Crop px and heatmap px are related by ``x_hm = x_crop * (heatmap - 1) / (input - 1)``. The Gaussian is
    centred on the sub-pixel position, on a ``3 sigma`` window around the rounded centre; decoding is the
    DARK Taylor step.

    Args:
        input_size, heatmap_size, sigma: as :class:`MSRAHeatmap`.
        blur_kernel_size: decoding blur (odd; 0 disables it).
    """

    use_udp = True

    def __init__(
        self, *, input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0, blur_kernel_size=11
    ):
        super().__init__(input_size=input_size, heatmap_size=heatmap_size, sigma=sigma)
        self.blur_kernel_size = int(blur_kernel_size)

    def _scale_factor(self):
        return (np.array(self.input_size, np.float32) - 1) / (
            np.array(self.heatmap_size, np.float32) - 1
        )

    def encode(self, keypoints, visible):
        keypoints, visible = self._check_encode_args(keypoints, visible)
        mu = keypoints / self.scale_factor
        rounded = np.trunc(mu + 0.5)  # NaN stays NaN: weight 0 below
        return self._encode_gaussians(keypoints, visible, mu, rounded, truncate=True)

    def _refine(self, heatmaps, locs):
        return _taylor_refine(heatmaps, locs, self.blur_kernel_size)

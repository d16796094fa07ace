"""Rasterise figures, occluders and backgrounds into an image plus a per-pixel owner buffer.

Every shape is drawn as a binary mask (OpenCV, sub-pixel coordinates) and composited back to front; the
same mask writes the colour image and the ``owner`` buffer (which person or occluder painted each pixel
last). Visibility flags are read from the owner buffer, so they agree with the pixels by construction.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    "Layer",
    "Pattern",
    "sample_pattern",
    "part_mask",
    "composite",
    "draw_background",
    "BACKGROUND",
    "OCCLUDER_BASE",
]

BACKGROUND = -1  # owner id of background pixels
OCCLUDER_BASE = 1000  # occluder j owns pixels with id OCCLUDER_BASE + j; persons use 0, 1, ...
_SHIFT = 4  # OpenCV fractional bits: coordinates are drawn at 1/16 px precision
_ONE = 1 << _SHIFT


@dataclass
class Pattern:
    """A colour texture defined in image coordinates, so that it continues across the parts of one
    person. ``kind``: ``"solid"``, ``"stripes"``, ``"checker"`` or ``"blotch"``; colours are BGR."""

    kind: str
    color: Tuple[int, int, int]
    color2: Tuple[int, int, int]
    period: float
    angle: float
    noise: float

    def render(self, x0: int, y0: int, w: int, h: int, rng: np.random.Generator) -> np.ndarray:
        """The texture over the image window [x0, x0 + w) × [y0, y0 + h): (h, w, 3) uint8."""
        yy, xx = np.mgrid[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
        c1 = np.asarray(self.color, np.float32)
        c2 = np.asarray(self.color2, np.float32)
        if self.kind == "solid":
            t = np.zeros((h, w), np.float32)
        elif self.kind == "stripes":
            a = np.deg2rad(self.angle)
            t = (np.sin((xx * np.cos(a) + yy * np.sin(a)) * (2 * np.pi / self.period)) > 0).astype(
                np.float32
            )
        elif self.kind == "checker":
            t = ((np.floor(xx / self.period) + np.floor(yy / self.period)) % 2).astype(np.float32)
        else:  # smooth blotches
            t = 0.5 + 0.25 * (
                np.sin(xx / self.period + self.angle)
                + np.cos(yy / (0.7 * self.period) - self.angle)
            )
        img = c1[None, None] * (1 - t[..., None]) + c2[None, None] * t[..., None]
        if self.noise > 0:
            img += rng.standard_normal((h, w, 1), dtype=np.float32) * self.noise
        return np.clip(img, 0, 255).astype(np.uint8)


def _color(rng: np.random.Generator) -> Tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(0, 256, size=3))


def sample_pattern(
    rng: np.random.Generator, *, color: Optional[Tuple[int, int, int]] = None, kinds=None
) -> Pattern:
    """A random :class:`Pattern` (``color`` fixes the main colour, e.g. a skin tone)."""
    kinds = kinds or ("solid", "stripes", "checker", "blotch")
    c1 = color if color is not None else _color(rng)
    shade = rng.uniform(0.55, 0.85)
    c2 = tuple(int(c * shade) for c in c1) if rng.random() < 0.6 else _color(rng)
    return Pattern(
        kind=str(rng.choice(kinds)),
        color=c1,
        color2=c2,
        period=float(rng.uniform(4, 14)),
        angle=float(rng.uniform(0, 180)),
        noise=float(rng.uniform(2, 12)),
    )


@dataclass
class Layer:
    """One drawn shape: a boolean ``mask`` of the window starting at (``x0``, ``y0``), the pattern
    that fills it and the ``owner`` id it writes into the owner buffer."""

    mask: np.ndarray
    x0: int
    y0: int
    pattern: Pattern
    owner: int
    outline: bool = True


def _fixed(points: np.ndarray, x0: int, y0: int) -> np.ndarray:
    return np.round((np.asarray(points, np.float64) - [x0, y0]) * _ONE).astype(np.int32)


def part_mask(
    kind: str,
    points: np.ndarray,
    size: Sequence[float],
    angle: float,
    image_size: Tuple[int, int],
) -> Optional[Tuple[np.ndarray, int, int]]:
    """Rasterise one primitive.

    Args:
        kind: ``"capsule"`` (segments through ``points`` with radius ``size[0]``), ``"polygon"`` or
            ``"ellipse"`` (centre ``points[0]``, half-axes ``size``, rotation ``angle`` degrees).
        points: (N, 2) image px (pixel-index convention: pixel (i, j) is centred at x=i, y=j).
        image_size: (height, width) of the image; the mask is clipped to it.

    Returns:
        (mask (h, w) bool, x0, y0) of the window, or None when nothing falls inside the image.
    """
    H, W = image_size
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    r = float(max(size)) + 2
    x0 = max(int(np.floor(pts[:, 0].min() - r)), 0)
    y0 = max(int(np.floor(pts[:, 1].min() - r)), 0)
    x1 = min(int(np.ceil(pts[:, 0].max() + r)) + 1, W)
    y1 = min(int(np.ceil(pts[:, 1].max() + r)) + 1, H)
    if x1 <= x0 or y1 <= y0:
        return None
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    p = _fixed(pts, x0, y0)
    if kind == "capsule":
        rad = int(round(size[0]))
        for a, b in zip(p[:-1], p[1:]):
            cv2.line(m, tuple(map(int, a)), tuple(map(int, b)), 1, 2 * rad + 1, cv2.LINE_8, _SHIFT)
        for c in p:
            cv2.circle(m, tuple(map(int, c)), int(round(size[0] * _ONE)), 1, -1, cv2.LINE_8, _SHIFT)
    elif kind == "polygon":
        cv2.fillPoly(m, [p], 1, cv2.LINE_8, _SHIFT)
    elif kind == "ellipse":
        axes = (int(round(size[0] * _ONE)), int(round(size[1] * _ONE)))
        cv2.ellipse(m, tuple(map(int, p[0])), axes, float(angle), 0, 360, 1, -1, cv2.LINE_8, _SHIFT)
    else:
        raise ValueError(f"unknown part kind {kind!r}")
    if not m.any():
        return None
    return m.astype(bool), x0, y0


def composite(
    image: np.ndarray, owner: np.ndarray, layers: List[Layer], rng: np.random.Generator
) -> None:
    """Paint ``layers`` in order onto ``image`` (H, W, 3 uint8 BGR) and ``owner`` (H, W int32), in
    place. A layer's rim (1 px inside its mask) is darkened so that parts stay distinguishable."""
    for layer in layers:
        h, w = layer.mask.shape
        win = (slice(layer.y0, layer.y0 + h), slice(layer.x0, layer.x0 + w))
        tex = layer.pattern.render(layer.x0, layer.y0, w, h, rng)
        if layer.outline:
            inner = cv2.erode(layer.mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            rim = layer.mask & ~inner
            tex[rim] = (tex[rim] * 0.55).astype(np.uint8)
        image[win][layer.mask] = tex[layer.mask]
        owner[win][layer.mask] = layer.owner


def draw_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A varied background: a two-colour gradient, a floor band, a few flat shapes and noise.

    Returns:
        (height, width, 3) uint8 BGR.
    """
    c1 = np.asarray(_color(rng), np.float32)
    c2 = np.asarray(_color(rng), np.float32)
    a = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = (xx * np.cos(a) + yy * np.sin(a)) / float(width + height)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    img = (c1 * (1 - t[..., None]) + c2 * t[..., None]).astype(np.uint8)
    if rng.random() < 0.6:  # a floor
        y = int(height * rng.uniform(0.55, 0.8))
        floor = np.asarray(_color(rng), np.uint16)
        img[y:] = ((img[y:].astype(np.uint16) + floor) // 2).astype(np.uint8)
    for _ in range(int(rng.integers(2, 9))):
        color = tuple(int(c) for c in (np.asarray(_color(rng)) * 0.5 + img.mean((0, 1)) * 0.5))
        kind = rng.integers(0, 3)
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        s = int(rng.integers(8, max(9, min(height, width) // 2)))
        if kind == 0:
            cv2.rectangle(img, (x, y), (x + s, y + int(s * rng.uniform(0.3, 2))), color, -1)
        elif kind == 1:
            cv2.circle(img, (x, y), s // 2, color, -1)
        else:
            x2, y2 = int(rng.integers(0, width)), int(rng.integers(0, height))
            cv2.line(img, (x, y), (x2, y2), color, int(rng.integers(1, 5)))
    noise = rng.standard_normal((height, width, 1), dtype=np.float32) * rng.uniform(2, 10)
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def owner_counts(owner: np.ndarray) -> Dict[int, int]:
    """Number of pixels per owner id (for tests and statistics)."""
    ids, counts = np.unique(owner, return_counts=True)
    return {int(i): int(c) for i, c in zip(ids, counts)}

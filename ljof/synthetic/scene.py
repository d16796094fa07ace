"""Sample and render one synthetic image: several people, occluding objects, exact visibility.

:func:`render_scene` is the single entry point used by the dataset writer and the tests. Visibility of
a labeled joint follows the owner buffer at its pixel (``round(x), round(y)``): owned by the person
itself → v = 2 (self-occlusion counts as visible, as OCHuman's ``self_occluded``), owned by another
person or an occluder → v = 1, outside the image → v = 0 (and x = y = 0, as in COCO).
"""

from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.data.lja import limb_joint_ids_from_metadata

from .figure import Figure, sample_figure
from .raster import (
    BACKGROUND,
    OCCLUDER_BASE,
    Layer,
    composite,
    draw_background,
    part_mask,
    sample_pattern,
)

__all__ = ["SplitStyle", "SPLIT_STYLES", "RenderedScene", "render_scene", "LIMB_JOINT_IDS"]

# COCO indices of the 12 limb joints (shoulders, elbows, wrists, hips, knees, ankles), from the metadata.
LIMB_JOINT_IDS = tuple(
    int(i) for i in limb_joint_ids_from_metadata(get_keypoint_set_metadata("coco"))
)

_SKIN_TONES = ((60, 90, 141), (80, 120, 190), (105, 150, 215), (140, 180, 235), (40, 60, 90))
_HAIR_TONES = ((20, 20, 25), (30, 50, 90), (60, 110, 170), (150, 150, 155), (15, 30, 60))  # BGR


@dataclass(frozen=True)
class SplitStyle:
    """How crowded and occluded a split is.

    Attributes:
        people: (min, max) people per image.
        occluders: (min, max) occluding objects per image.
        occluder_size: (min, max) occluder size as a fraction of the person height.
        target_limbs: probability that an occluder is placed on a random limb joint of a person
            (otherwise anywhere).
        spread: horizontal distance between neighbouring people, as a fraction of their height
            (small = overlapping).
        height: (min, max) person height as a fraction of the image height.
    """

    people: Tuple[int, int]
    occluders: Tuple[int, int]
    occluder_size: Tuple[float, float]
    target_limbs: float
    spread: Tuple[float, float]
    height: Tuple[float, float]


SPLIT_STYLES: Dict[str, SplitStyle] = {
    # Light occlusion: people mostly apart, few small objects.
    "train": SplitStyle((1, 3), (0, 1), (0.10, 0.25), 0.3, (0.35, 0.8), (0.55, 0.85)),
    "val": SplitStyle((1, 3), (0, 1), (0.10, 0.25), 0.3, (0.35, 0.8), (0.55, 0.85)),
    # OCHuman-like: overlapping people and objects placed on limb joints.
    "occluded": SplitStyle((2, 4), (1, 3), (0.18, 0.35), 0.9, (0.12, 0.35), (0.6, 0.85)),
}


@dataclass
class RenderedScene:
    """One rendered image.

    Attributes:
        image: (H, W, 3) uint8 BGR.
        owner: (H, W) int32 owner buffer (-1 background, person index, or 1000 + occluder index).
        figures: the people, in depth order (index = owner id; later ones are in front).
        keypoints: (P, 17, 3) float32 COCO keypoints (pixel-index x, y and v in {0, 1, 2}).
        boxes: (P, 4) float32 amodal person boxes XYWH clipped to the image.
        areas: (P,) float32 pixel area of each person's full (amodal) silhouette.
    """

    image: np.ndarray
    owner: np.ndarray
    figures: List[Figure]
    keypoints: np.ndarray
    boxes: np.ndarray
    areas: np.ndarray


def _person_layers(rng, fig: Figure, owner: int, size: Tuple[int, int]) -> List[Layer]:
    tone = _SKIN_TONES[rng.integers(len(_SKIN_TONES))]
    skin = sample_pattern(rng, color=tone, kinds=("solid",))
    materials = {
        "skin": skin,
        "hair": sample_pattern(
            rng, color=_HAIR_TONES[rng.integers(len(_HAIR_TONES))], kinds=("solid",)
        ),
        "eyes": sample_pattern(rng, color=(25, 20, 20), kinds=("solid",)),
        "nose": sample_pattern(rng, color=tuple(int(c * 0.6) for c in tone), kinds=("solid",)),
        "shirt": sample_pattern(rng),
        "pants": sample_pattern(rng),
        "shoes": sample_pattern(rng, kinds=("solid",)),
    }
    layers = []
    for part in fig.parts:
        m = part_mask(part.kind, part.points, part.size, part.angle, size)
        if m is not None:
            layers.append(Layer(m[0], m[1], m[2], materials[part.material], owner))
    return layers


def _occluder_layer(rng, center, extent: float, owner: int, size) -> Layer:
    kind = rng.integers(0, 4)
    c = np.asarray(center, np.float64)
    if kind == 0:  # a rotated box
        w, h = extent * rng.uniform(0.6, 1.2), extent * rng.uniform(0.6, 1.2)
        a = np.deg2rad(rng.uniform(0, 90))
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) * 0.5 @ rot.T + c
        m = part_mask("polygon", corners, (0, 0), 0, size)
    elif kind == 1:  # a ball / bush
        axes = (extent * rng.uniform(0.35, 0.6), extent * rng.uniform(0.35, 0.6))
        m = part_mask("ellipse", c[None], axes, rng.uniform(0, 180), size)
    elif kind == 2:  # a pole
        a = np.deg2rad(rng.uniform(-25, 25))
        d = np.array([np.sin(a), np.cos(a)]) * extent * 1.5
        m = part_mask("capsule", np.stack([c - d, c + d]), (extent * 0.18,) * 2, 0, size)
    else:  # an irregular blob
        n = int(rng.integers(5, 9))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = extent * rng.uniform(0.3, 0.6, n)
        pts = c + np.stack([np.cos(ang) * rad, np.sin(ang) * rad], axis=1)
        m = part_mask("polygon", pts, (0, 0), 0, size)
    if m is None:
        return None
    return Layer(m[0], m[1], m[2], sample_pattern(rng), owner)


def _place_people(rng, style: SplitStyle, n: int, H: int, W: int) -> List[Figure]:
    figures: List[Figure] = []
    x = None
    for _ in range(n):
        for _attempt in range(20):
            h = H * rng.uniform(*style.height)
            if x is None or rng.random() < 0.15:
                cx = rng.uniform(0.2, 0.8) * W
            else:
                cx = x + rng.choice([-1, 1]) * h * rng.uniform(*style.spread)
            cy = rng.uniform(0.48, 0.58) * H  # mid-hip height
            fig = sample_figure(rng, center=(cx, cy), height=h)
            x0, y0, x1, y1 = fig.extent()
            # keep people (nearly) whole in the frame
            if x0 > -0.05 * h and x1 < W + 0.05 * h and y0 > -0.03 * h and y1 < H + 0.05 * h:
                figures.append(fig)
                x = cx
                break
    return figures


def render_scene(
    rng: np.random.Generator, *, style: SplitStyle, height: int = 240, width: int = 320
) -> RenderedScene:
    """Sample and render one image.

    Args:
        rng: all randomness comes from it (seed it per image for reproducible datasets).
        style: the split's crowding and occlusion (see :data:`SPLIT_STYLES`).
        height, width: image size in px.

    Returns:
        a :class:`RenderedScene`.
    """
    size = (height, width)
    image = draw_background(rng, height, width)
    owner = np.full(size, BACKGROUND, np.int32)
    n_people = int(rng.integers(style.people[0], style.people[1] + 1))
    figures = _place_people(rng, style, n_people, height, width)

    layers: List[Layer] = []
    areas = []
    for i, fig in enumerate(figures):
        pl = _person_layers(rng, fig, i, size)
        silhouette = np.zeros(size, bool)
        for layer in pl:
            h, w = layer.mask.shape
            silhouette[layer.y0 : layer.y0 + h, layer.x0 : layer.x0 + w] |= layer.mask
        areas.append(float(silhouette.sum()))
        layers += pl
    n_occ = int(rng.integers(style.occluders[0], style.occluders[1] + 1)) if figures else 0
    for j in range(n_occ):
        fig = figures[int(rng.integers(len(figures)))]
        if rng.random() < style.target_limbs:
            joint = fig.joints[LIMB_JOINT_IDS[int(rng.integers(len(LIMB_JOINT_IDS)))]]
            center = joint + rng.normal(0, 0.04 * fig.height, 2)
        else:
            center = (rng.uniform(0, width), rng.uniform(0.2, 1.0) * height)
        extent = fig.height * rng.uniform(*style.occluder_size)
        layer = _occluder_layer(rng, center, extent, OCCLUDER_BASE + j, size)
        if layer is not None:
            layers.append(layer)
    composite(image, owner, layers, rng)

    keypoints = np.zeros((len(figures), 17, 3), np.float32)
    boxes = np.zeros((len(figures), 4), np.float32)
    for i, fig in enumerate(figures):
        for k, (x, y) in enumerate(fig.joints):
            px, py = int(round(float(x))), int(round(float(y)))
            if not fig.labeled[k] or not (0 <= px < width and 0 <= py < height):
                continue
            keypoints[i, k] = (x, y, 2 if owner[py, px] == i else 1)
        x0, y0, x1, y1 = fig.extent()
        x0, y0 = max(x0, 0.0), max(y0, 0.0)
        x1, y1 = min(x1, width - 1.0), min(y1, height - 1.0)
        boxes[i] = (x0, y0, x1 - x0, y1 - y0)
    return RenderedScene(
        image=image,
        owner=owner,
        figures=figures,
        keypoints=keypoints,
        boxes=boxes,
        areas=np.asarray(areas, np.float32),
    )

"""Articulated 2D person figures with the 17 COCO joints.

A figure is sampled from a few body proportions (fractions of the person's height, close to adult
anthropometry: shoulders at ~0.18 H below the top of the head, hips at ~0.48 H, legs ~0.49 H) and joint
angles. :func:`sample_figure` returns the joint positions (image px, pixel-index convention) and the body
parts as geometric primitives in drawing order; :mod:`ljof.synthetic.raster` turns the parts into pixels.
"""

import math
from dataclasses import dataclass, field
from typing import List, Tuple

import numpy as np

from ljof.data.datasets.builtin_meta import COCO_KEYPOINT_NAMES

__all__ = ["Part", "Figure", "sample_figure", "FACE_JOINTS"]

FACE_JOINTS = ("nose", "left_eye", "right_eye")


@dataclass
class Part:
    """One body part to draw.

    Attributes:
        kind: ``"capsule"`` (thick segment through ``points``), ``"polygon"`` or ``"ellipse"``
            (``points[0]`` = centre, ``size`` = (half-axis x, half-axis y), ``angle`` in degrees).
        points: (N, 2) float image px.
        size: capsule radius (px) or ellipse half-axes.
        material: ``"skin"``, ``"shirt"``, ``"pants"``, ``"shoes"``, ``"hair"``, ``"eyes"`` or
            ``"nose"``: which of the person's textures fills it.
    """

    kind: str
    points: np.ndarray
    size: Tuple[float, float]
    material: str
    angle: float = 0.0


@dataclass
class Figure:
    """A sampled person.

    Attributes:
        joints: (17, 2) float32, image px (pixel-index convention), COCO joint order.
        labeled: (17,) bool, False for joints an annotator would not label (face of a figure seen
            from behind).
        parts: body parts in drawing order (back to front).
        height: the person's height in px.
    """

    joints: np.ndarray
    labeled: np.ndarray
    parts: List[Part] = field(default_factory=list)
    height: float = 0.0

    def extent(self) -> Tuple[float, float, float, float]:
        """Amodal bounding box (x0, y0, x1, y1) of every part, in image px."""
        lo, hi = [], []
        for p in self.parts:
            r = max(p.size)
            lo.append(p.points.min(axis=0) - r)
            hi.append(p.points.max(axis=0) + r)
        lo, hi = np.min(lo, axis=0), np.max(hi, axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _rot(v: np.ndarray, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _limb(
    root: np.ndarray, down: np.ndarray, outward: float, bend: float, lengths: Tuple[float, float]
):
    """Two-segment limb from ``root``: first segment rotated ``outward`` degrees from ``down``,
    second one rotated a further ``bend`` degrees. Returns (middle joint, end joint)."""
    d1 = _rot(down, outward)
    mid = root + d1 * lengths[0]
    end = mid + _rot(d1, bend) * lengths[1]
    return mid, end


def _head_parts(joints, idx, *, head_c, head_r, up, lean, facing_front) -> List[Part]:
    """The head with what tells front from back, as on a real person: ears (both views), then the
    head; seen from the front a face (eyes and nose drawn at their joints, hair on top), seen from
    behind hair over the whole head. Without these cues the figure's left and right could not be
    told apart for people seen from behind (the labels follow the person, not the image)."""
    ear_r = max(1.5, head_r * 0.22)
    parts = [
        Part("ellipse", joints[idx[f"{s}_ear"]][None], (ear_r, ear_r * 1.3), "skin", angle=lean)
        for s in ("left", "right")
    ]
    parts.append(Part("ellipse", head_c[None], (head_r * 0.9, head_r), "skin", angle=lean))
    if not facing_front:
        parts.append(Part("ellipse", head_c[None], (head_r * 0.92, head_r), "hair", angle=lean))
        return parts
    cap = head_c + up * head_r * 0.75
    parts.append(Part("ellipse", cap[None], (head_r * 0.8, head_r * 0.45), "hair", angle=lean))
    eye_r = max(1.2, head_r * 0.14)
    for s in ("left", "right"):
        parts.append(Part("ellipse", joints[idx[f"{s}_eye"]][None], (eye_r, eye_r), "eyes"))
    nose_r = max(1.2, head_r * 0.13)
    parts.append(Part("ellipse", joints[idx["nose"]][None], (nose_r, nose_r), "nose"))
    return parts


def sample_figure(
    rng: np.random.Generator, *, center: Tuple[float, float], height: float, lean_max: float = 15.0
) -> Figure:
    """Sample one person.

    Args:
        rng: the random generator (all randomness comes from it).
        center: (x, y) image px of the mid-hip point.
        height: person height in px (top of head to feet when standing straight).
        lean_max: the largest torso lean, degrees.

    Returns:
        a :class:`Figure`.
    """
    h = float(height)
    idx = {n: i for i, n in enumerate(COCO_KEYPOINT_NAMES)}
    joints = np.zeros((len(COCO_KEYPOINT_NAMES), 2), dtype=np.float64)
    labeled = np.ones(len(COCO_KEYPOINT_NAMES), dtype=bool)

    lean = rng.uniform(-lean_max, lean_max)
    up = _rot(np.array([0.0, -1.0]), lean)
    right = _rot(np.array([1.0, 0.0]), lean)
    down = -up
    facing_front = rng.random() < 0.8
    # Seen from the front the person's left side is on the image's right.
    side = {"left": 1.0 if facing_front else -1.0, "right": -1.0 if facing_front else 1.0}

    mid_hip = np.asarray(center, dtype=np.float64)
    hip_half = h * rng.uniform(0.075, 0.095)
    shoulder_half = h * rng.uniform(0.10, 0.13)
    torso = h * rng.uniform(0.28, 0.32)
    mid_shoulder = mid_hip + up * torso
    head_c = mid_shoulder + _rot(up, rng.uniform(-12, 12)) * h * 0.13
    head_r = h * rng.uniform(0.055, 0.065)
    upper_arm, forearm = h * rng.uniform(0.15, 0.18), h * rng.uniform(0.13, 0.16)
    thigh, shin = h * rng.uniform(0.22, 0.25), h * rng.uniform(0.21, 0.24)

    for s in ("left", "right"):
        sg = side[s]
        joints[idx[f"{s}_hip"]] = mid_hip + right * sg * hip_half
        joints[idx[f"{s}_shoulder"]] = mid_shoulder + right * sg * shoulder_half
        # Arms: angle from hanging down, positive = away from the body; sometimes raised overhead.
        out = rng.uniform(-20, 100) if rng.random() < 0.85 else rng.uniform(100, 170)
        bend = rng.uniform(-20, 130) * (1 if rng.random() < 0.7 else -1)
        mid, end = _limb(
            joints[idx[f"{s}_shoulder"]], down, -sg * out, -sg * bend, (upper_arm, forearm)
        )
        joints[idx[f"{s}_elbow"]], joints[idx[f"{s}_wrist"]] = mid, end
        out = rng.uniform(-12, 35)
        bend = rng.uniform(0, 70) * (1 if rng.random() < 0.5 else -1)
        mid, end = _limb(joints[idx[f"{s}_hip"]], down, -sg * out, sg * bend, (thigh, shin))
        joints[idx[f"{s}_knee"]], joints[idx[f"{s}_ankle"]] = mid, end

    yaw = rng.uniform(-1, 1)  # head turn: shifts the face sideways
    face_up = up
    joints[idx["nose"]] = head_c - face_up * head_r * 0.15 + right * yaw * head_r * 0.35
    for s in ("left", "right"):
        sg = side[s]
        eye = head_c + face_up * head_r * 0.25 + right * (sg * 0.38 + yaw * 0.3) * head_r
        joints[idx[f"{s}_eye"]] = eye
        joints[idx[f"{s}_ear"]] = head_c + right * sg * head_r * 0.8 + face_up * head_r * 0.05
    if not facing_front:
        for n in FACE_JOINTS:
            labeled[idx[n]] = False

    skin = "skin"
    parts: List[Part] = []

    def capsule(a: str, b: str, radius: float, material: str) -> Part:
        return Part(
            "capsule", np.stack([joints[idx[a]], joints[idx[b]]]), (radius, radius), material
        )

    legs = []
    for s in ("left", "right"):
        legs.append(capsule(f"{s}_hip", f"{s}_knee", h * 0.045, "pants"))
        legs.append(capsule(f"{s}_knee", f"{s}_ankle", h * 0.036, "pants"))
        foot = joints[idx[f"{s}_ankle"]] + right * side[s] * h * 0.03 + down * h * 0.01
        legs.append(
            Part("capsule", np.stack([joints[idx[f"{s}_ankle"]], foot]), (h * 0.025,) * 2, "shoes")
        )
    torso_poly = np.stack(
        [
            joints[idx["left_shoulder"]] + right * side["left"] * h * 0.02,
            joints[idx["right_shoulder"]] + right * side["right"] * h * 0.02,
            joints[idx["right_hip"]] + right * side["right"] * h * 0.015,
            joints[idx["left_hip"]] + right * side["left"] * h * 0.015,
        ]
    )
    body = [
        Part("polygon", torso_poly, (0.0, 0.0), "shirt"),
        Part(
            "capsule",
            np.stack([joints[idx["left_hip"]], joints[idx["right_hip"]]]),
            (h * 0.045,) * 2,
            "pants",
        ),
        Part("capsule", np.stack([mid_shoulder, head_c]), (h * 0.028,) * 2, skin),
    ]
    body += _head_parts(joints, idx, head_c=head_c, head_r=head_r, up=up, lean=lean,
                        facing_front=facing_front)  # fmt: skip
    arms = {}
    for s in ("left", "right"):
        arms[s] = [
            capsule(f"{s}_shoulder", f"{s}_elbow", h * 0.032, "shirt"),
            capsule(f"{s}_elbow", f"{s}_wrist", h * 0.025, skin),
            Part("ellipse", joints[idx[f"{s}_wrist"]][None], (h * 0.022, h * 0.022), skin),
        ]
    # An arm is drawn behind the torso now and then (self-occlusion keeps v = 2, as in OCHuman).
    behind = [s for s in ("left", "right") if rng.random() < 0.15]
    parts = [p for s in behind for p in arms[s]] + legs + body
    parts += [p for s in ("left", "right") if s not in behind for p in arms[s]]
    # Thin parts must still cover their joint pixel after rounding.
    for p in parts:
        if p.kind == "capsule":
            p.size = (max(p.size[0], 2.0), max(p.size[1], 2.0))
    return Figure(joints=joints.astype(np.float32), labeled=labeled, parts=parts, height=h)

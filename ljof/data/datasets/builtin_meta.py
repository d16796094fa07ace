"""Keypoint metadata of the two keypoint sets LJOF knows: COCO-17 (COCO, OCHuman) and CrowdPose-14.

Everything downstream (flip, half-body, LJA, the structure loss, OKS) reads these fields from
``MetadataCatalog``; no other module hard-codes joint indices. Fields, as stored by
:func:`get_keypoint_set_metadata`:

* ``keypoint_names`` (K names), ``keypoint_flip_map`` (left/right name pairs) and
  ``keypoint_connection_rules`` (``(name_a, name_b, (r, g, b))``): detectron2's own fields, read by
  ``create_keypoint_hflip_indices`` and ``Visualizer``;
* ``keypoint_oks_sigmas``: K per-joint OKS sigmas (COCO: pycocotools ``cocoeval.py``, ``kpt_oks_sigmas``;
  CrowdPose: crowdposetools ``cocoeval.py``);
* ``keypoint_limb_chains``: the two limb graphs of the paper as index lists (arms: L-wrist, L-elbow,
  L-shoulder, R-shoulder, R-elbow, R-wrist; legs: L-ankle, L-knee, L-hip, R-hip, R-knee, R-ankle);
  neighbours are adjacent entries;
* ``keypoint_upper_body_ids`` / ``keypoint_lower_body_ids``: the groups of half-body augmentation;
* ``keypoint_set``: ``"coco"`` or ``"crowdpose"``.
"""

from collections import OrderedDict
from typing import Dict, List, Tuple

__all__ = ["KEYPOINT_SETS", "VISIBILITY_FLAGS", "COCO_JOINT_WEIGHTS", "get_keypoint_set_metadata"]

# The COCO keypoint format's labelled visibility flags (v = 0: not labelled), in report order.
VISIBILITY_FLAGS = OrderedDict([("visible", 2), ("occluded", 1)])

# fmt: off
COCO_KEYPOINT_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# OKS sigmas as the official tools compute them, ``.26 / 10`` (pycocotools ``Params.setKpParams``,
# crowdposetools): 0.026 written as a literal is one ulp away, which can flip an OKS on a threshold.
COCO_OKS_SIGMAS = tuple(s / 10.0 for s in (
    .26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89,
))
# Per-joint loss weights of COCO-17 (MMPose's ``coco.py`` dataset info ``joint_weights``, HRNet's
# ``joints_weight``): elbows and knees 1.2, wrists and ankles 1.5, the rest 1. Both apply them only when
# asked (MMPose ``GenerateTarget(use_dataset_keypoint_weights=True)``, HRNet
# ``USE_DIFFERENT_JOINTS_WEIGHT``); here ``TopDownDatasetMapper(joint_weights=...)``.
COCO_JOINT_WEIGHTS = (1.0,) * 7 + (1.2, 1.2, 1.5, 1.5, 1.0, 1.0, 1.2, 1.2, 1.5, 1.5)
COCO_UPPER_BODY = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)

# CrowdPose's json calls joint 12 "head" (the top of the head).
CROWDPOSE_KEYPOINT_NAMES = (
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "head", "neck",
)
CROWDPOSE_OKS_SIGMAS = tuple(s / 10.0 for s in (
    .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89, .79, .79,
))
CROWDPOSE_UPPER_BODY = (
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "head", "neck",
)

LIMB_CHAINS = (
    ("left_wrist", "left_elbow", "left_shoulder", "right_shoulder", "right_elbow", "right_wrist"),
    ("left_ankle", "left_knee", "left_hip", "right_hip", "right_knee", "right_ankle"),
)

# Colours (RGB) by body part: left side warm, right side cool, centre green.
_LEFT, _RIGHT, _CENTRE, _HEAD = (255, 128, 0), (0, 160, 255), (0, 200, 80), (230, 60, 200)
COCO_CONNECTIONS = (
    ("left_ankle", "left_knee", _LEFT), ("left_knee", "left_hip", _LEFT),
    ("right_ankle", "right_knee", _RIGHT), ("right_knee", "right_hip", _RIGHT),
    ("left_hip", "right_hip", _CENTRE), ("left_shoulder", "left_hip", _LEFT),
    ("right_shoulder", "right_hip", _RIGHT), ("left_shoulder", "right_shoulder", _CENTRE),
    ("left_shoulder", "left_elbow", _LEFT), ("right_shoulder", "right_elbow", _RIGHT),
    ("left_elbow", "left_wrist", _LEFT), ("right_elbow", "right_wrist", _RIGHT),
    ("left_eye", "right_eye", _HEAD), ("nose", "left_eye", _HEAD), ("nose", "right_eye", _HEAD),
    ("left_eye", "left_ear", _HEAD), ("right_eye", "right_ear", _HEAD),
    ("left_ear", "left_shoulder", _HEAD), ("right_ear", "right_shoulder", _HEAD),
)
CROWDPOSE_CONNECTIONS = (
    ("head", "neck", _HEAD), ("neck", "left_shoulder", _LEFT), ("neck", "right_shoulder", _RIGHT),
    ("left_shoulder", "left_elbow", _LEFT), ("left_elbow", "left_wrist", _LEFT),
    ("right_shoulder", "right_elbow", _RIGHT), ("right_elbow", "right_wrist", _RIGHT),
    ("left_shoulder", "left_hip", _LEFT), ("right_shoulder", "right_hip", _RIGHT),
    ("left_hip", "right_hip", _CENTRE), ("left_hip", "left_knee", _LEFT),
    ("left_knee", "left_ankle", _LEFT), ("right_hip", "right_knee", _RIGHT),
    ("right_knee", "right_ankle", _RIGHT),
)
# fmt: on


def _flip_map(names: Tuple[str, ...]) -> List[Tuple[str, str]]:
    return [(n, "right_" + n[len("left_") :]) for n in names if n.startswith("left_")]


def _build(names, sigmas, upper, connections) -> Dict:
    assert len(names) == len(sigmas), (len(names), len(sigmas))
    index = {n: i for i, n in enumerate(names)}
    return {
        "keypoint_names": list(names),
        "keypoint_flip_map": _flip_map(names),
        "keypoint_connection_rules": [tuple(c) for c in connections],
        "keypoint_oks_sigmas": list(sigmas),
        "keypoint_limb_chains": [[index[n] for n in chain] for chain in LIMB_CHAINS],
        "keypoint_upper_body_ids": [index[n] for n in names if n in upper],
        "keypoint_lower_body_ids": [index[n] for n in names if n not in upper],
        "thing_classes": ["person"],
    }


KEYPOINT_SETS = {
    "coco": _build(COCO_KEYPOINT_NAMES, COCO_OKS_SIGMAS, COCO_UPPER_BODY, COCO_CONNECTIONS),
    "crowdpose": _build(
        CROWDPOSE_KEYPOINT_NAMES, CROWDPOSE_OKS_SIGMAS, CROWDPOSE_UPPER_BODY, CROWDPOSE_CONNECTIONS
    ),
}


def get_keypoint_set_metadata(keypoint_set: str) -> Dict:
    """Metadata fields of a keypoint set, ready for ``MetadataCatalog.get(name).set(**fields)``.

    Args:
        keypoint_set: ``"coco"`` (COCO-17, also used by OCHuman) or ``"crowdpose"`` (CrowdPose-14).

    Returns:
        a fresh dict (safe to modify) with the fields listed in this module's docstring.
    """
    if keypoint_set not in KEYPOINT_SETS:
        raise ValueError(
            f"unknown keypoint_set {keypoint_set!r}; expected one of {sorted(KEYPOINT_SETS)}"
        )
    meta = {
        k: (list(v) if isinstance(v, list) else v) for k, v in KEYPOINT_SETS[keypoint_set].items()
    }
    meta["keypoint_limb_chains"] = [list(c) for c in meta["keypoint_limb_chains"]]
    meta["keypoint_set"] = keypoint_set
    return meta

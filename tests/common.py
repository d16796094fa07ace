"""Helpers shared by the tests: where the real fixtures are, and fresh dataset names."""

import itertools
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The real fixture images and jsons live in tests/data (see its README for sources and licences).
FIXTURES = ROOT / "tests" / "data"
REFERENCE_KEYS_JSON = FIXTURES / "reference" / "hrnet_pose_official_keys.json"

_counter = itertools.count()


def fixture_path(*parts: str) -> str:
    """Absolute path of a file under ``tests/data``; fails loudly if it is missing."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"fixture {path} is missing from the repository's tests/data"
        )
    return str(path)


def unique_name(prefix: str) -> str:
    """A dataset name not used before in this process (MetadataCatalog refuses changed values)."""
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


# The real fixture datasets: folder, annotation json, keypoint set, person-detection json (or None).
FIXTURE_DATASETS = {
    "coco": ("coco", "test_coco.json", "coco", "test_coco_det_AP_H_56.json"),
    "crowdpose": ("crowdpose", "test_crowdpose.json", "crowdpose", "test_crowdpose_det_AP_40.json"),
    "ochuman": ("ochuman", "test_ochuman.json", "coco", None),
}


def register_fixture(which: str, *, detections: bool = False, det_score_thr: float = 0.0) -> str:
    """Register a fixture dataset ("coco", "crowdpose" or "ochuman") under a fresh name; returns it.

    With ``detections=True`` its person records come from the fixture's detection file, keeping boxes
    with ``score >= det_score_thr``.
    """
    from ljof.data.datasets import register_keypoint_dataset

    folder, json_name, keypoint_set, det_name = FIXTURE_DATASETS[which]
    if detections and det_name is None:
        raise ValueError(f"fixture {which!r} has no detection file")
    return register_keypoint_dataset(
        unique_name(f"fx_{which}"),
        fixture_path(folder, json_name),
        fixture_path(folder),
        keypoint_set=keypoint_set,
        det_file=fixture_path(folder, det_name) if detections else None,
        det_score_thr=det_score_thr,
    )

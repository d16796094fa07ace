"""Person records of the real fixtures (COCO, CrowdPose, OCHuman), registered under fresh names."""

import json

from detectron2.data import MetadataCatalog

from ljof.data.datasets import get_topdown_dataset, register_keypoint_dataset
from tests.common import fixture_path, unique_name

FIXTURES = {
    "coco": ("coco", "test_coco.json", "coco"),
    "crowdpose": ("crowdpose", "test_crowdpose.json", "crowdpose"),
    "ochuman": ("ochuman", "test_ochuman.json", "coco"),
}


def register_fixture(which: str) -> str:
    """Register one fixture dataset under a fresh name and return the name."""
    folder, json_name, keypoint_set = FIXTURES[which]
    name = unique_name(f"data_{which}")
    register_keypoint_dataset(
        name, fixture_path(folder, json_name), fixture_path(folder), keypoint_set=keypoint_set
    )
    return name


def fixture_records(which: str):
    """(person records, metadata) of a fixture dataset (GT boxes)."""
    name = register_fixture(which)
    return get_topdown_dataset(name), MetadataCatalog.get(name)


def fixture_annotations(which: str):
    """All raw annotations of a fixture json (including those the top-down loader filters out)."""
    folder, json_name, _ = FIXTURES[which]
    with open(fixture_path(folder, json_name)) as f:
        data = json.load(f)
    return data["annotations"], {im["id"]: im for im in data["images"]}

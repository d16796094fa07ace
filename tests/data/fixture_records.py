"""Person records of the real fixtures (COCO, CrowdPose, OCHuman), registered under fresh names."""

import json

from detectron2.data import MetadataCatalog

from ljof.data.datasets import get_topdown_dataset
from tests.common import FIXTURE_DATASETS, fixture_path, register_fixture


def fixture_records(which: str):
    """(person records, metadata) of a fixture dataset (GT boxes)."""
    name = register_fixture(which)
    return get_topdown_dataset(name), MetadataCatalog.get(name)


def fixture_annotations(which: str):
    """All raw annotations of a fixture json (including those the top-down loader filters out)."""
    folder, json_name = FIXTURE_DATASETS[which][:2]
    with open(fixture_path(folder, json_name)) as f:
        data = json.load(f)
    return data["annotations"], {im["id"]: im for im in data["images"]}

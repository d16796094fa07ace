"""OcclusionEvaluator in a real 2-process gloo group (CPU): each rank processes half of the samples, the
main process reports on all of them (the same figures as one process), the other returns {}."""

import ljof  # noqa: F401  (shims before detectron2)

import json
import math
import os
import tempfile

import numpy as np
from detectron2.utils import comm

from ljof.data import get_topdown_dataset
from ljof.engine import launch
from ljof.evaluation import OcclusionEvaluator
from tests.evaluation.test_occlusion_evaluator import _fake_outputs, _register


def _samples():
    records = get_topdown_dataset(_register())
    samples = [{"image_id": r["image_id"], "annotation_id": r["annotation_id"]} for r in records]
    offsets = {s["annotation_id"]: np.full((17, 2), 15.0 * i) for i, s in enumerate(samples)}
    outputs = _fake_outputs(samples, lambda s: offsets[s["annotation_id"]])
    for i, out in enumerate(outputs):  # distinct scores: COCOeval breaks ties by input order
        out["bbox_score"] = 1.0 - 0.01 * i
    return samples, outputs


def _evaluate(samples, outputs, distributed):
    evaluator = OcclusionEvaluator(_register(), distributed=distributed)
    evaluator.reset()
    evaluator.process(samples, outputs)
    return evaluator.evaluate()


def _worker(out_dir: str) -> None:
    rank, world_size = comm.get_rank(), comm.get_world_size()
    samples, outputs = _samples()
    result = _evaluate(samples[rank::world_size], outputs[rank::world_size], True)
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)


def _same(a, b):
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or abs(a[k] - b[k]) < 1e-9 for k in a
    )


def test_two_process_gather():
    with tempfile.TemporaryDirectory() as tmp:
        # ljof.engine.launch spawns (hotcoco's thread pool does not survive a fork of a process
        # that has evaluated before: the child would deadlock)
        launch(_worker, 2, dist_url="auto", args=(tmp,))
        with open(os.path.join(tmp, "rank0.json")) as f:
            rank0 = json.load(f)
        with open(os.path.join(tmp, "rank1.json")) as f:
            rank1 = json.load(f)
    assert rank1 == {}
    single = _evaluate(*_samples(), distributed=False)["occlusion"]
    assert 0 < single["AP"] < 100  # the offsets make a non-trivial case
    assert _same(rank0["occlusion"], dict(single))

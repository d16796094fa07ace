"""OcclusionEvaluator in a real 2-process gloo group (CPU): each rank processes half of the samples, the
main process reports on all of them (the same figures as one process), the other returns {}."""

import ljof  # noqa: F401  (shims before detectron2)

import json
import math
import os
import socket
import tempfile

import numpy as np
import torch.distributed as dist
import torch.multiprocessing as mp

from ljof.data import get_topdown_dataset
from ljof.evaluation import OcclusionEvaluator
from tests.evaluation.test_occlusion_evaluator import _fake_outputs, _register


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def _worker(rank: int, world_size: int, port: int, out_dir: str) -> None:
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size
    )
    try:
        samples, outputs = _samples()
        result = _evaluate(samples[rank::world_size], outputs[rank::world_size], True)
        with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
            json.dump(result, f)
    finally:
        dist.destroy_process_group()


def _same(a, b):
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or abs(a[k] - b[k]) < 1e-9 for k in a
    )


def test_two_process_gather():
    with tempfile.TemporaryDirectory() as tmp:
        # fork: the workers inherit the imported modules (spawn would re-import torch and detectron2)
        mp.start_processes(
            _worker, args=(2, _free_port(), tmp), nprocs=2, join=True, start_method="fork"
        )
        with open(os.path.join(tmp, "rank0.json")) as f:
            rank0 = json.load(f)
        with open(os.path.join(tmp, "rank1.json")) as f:
            rank1 = json.load(f)
    assert rank1 == {}
    single = _evaluate(*_samples(), distributed=False)["occlusion"]
    assert 0 < single["AP"] < 100  # the offsets make a non-trivial case
    assert _same(rank0["occlusion"], dict(single))

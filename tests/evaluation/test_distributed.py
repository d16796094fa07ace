"""The evaluator in a real 2-process gloo group (CPU): each rank sees half of the predictions, the main
process scores all of them, the other returns {}."""

import ljof  # noqa: F401  (shims before detectron2)

import json
import os
import socket
import tempfile
import unittest

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from ljof.data.datasets import register_keypoint_dataset
from ljof.evaluation import TopDownKeypointEvaluator
from tests.common import fixture_path
from tests.evaluation.test_protocol import ALIGNMENT_TARGET, alignment_predictions


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, port: int, out_dir: str) -> None:
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size
    )
    try:
        name = "dist_eval_coco"
        register_keypoint_dataset(
            name, fixture_path("coco", "test_coco.json"), fixture_path("coco")
        )
        preds = alignment_predictions()[rank::world_size]
        evaluator = TopDownKeypointEvaluator(name, distributed=True, output_dir=out_dir)
        evaluator.reset()
        evaluator.process(
            [{"image_id": p["image_id"]} for p in preds],
            [
                {
                    "image_id": p["image_id"],
                    "keypoints": torch.as_tensor(p["keypoints"]),
                    "bbox_score": p["bbox_score"],
                    "bbox_area": p["area"],
                }
                for p in preds
            ],
        )
        result = evaluator.evaluate()
        with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
            json.dump({"num_local": len(preds), "result": result}, f)
    finally:
        dist.destroy_process_group()


class TestDistributedEvaluation(unittest.TestCase):
    def test_two_process_gather(self):
        with tempfile.TemporaryDirectory() as tmp:
            # fork: the workers inherit the imported modules (spawn would re-import torch and detectron2)
            mp.start_processes(
                _worker, args=(2, _free_port(), tmp), nprocs=2, join=True, start_method="fork"
            )
            with open(os.path.join(tmp, "rank0.json")) as f:
                rank0 = json.load(f)
            with open(os.path.join(tmp, "rank1.json")) as f:
                rank1 = json.load(f)
            with open(os.path.join(tmp, "keypoint_predictions.json")) as f:
                written = json.load(f)
        self.assertEqual((rank0["num_local"], rank1["num_local"]), (7, 7))
        self.assertEqual(rank1["result"], {})
        self.assertEqual(len(written), 14)  # gathered from both ranks
        for key, target in ALIGNMENT_TARGET.items():
            self.assertAlmostEqual(
                rank0["result"]["keypoints"][key] / 100, target, delta=1e-9, msg=key
            )


if __name__ == "__main__":
    unittest.main()

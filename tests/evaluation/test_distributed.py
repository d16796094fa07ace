"""The evaluator in a real 2-process gloo group (CPU): each rank sees half of the predictions, the main
process scores all of them, the other returns {}."""

import ljof  # noqa: F401  (shims before detectron2)

import json
import os
import tempfile
import unittest

import torch
from detectron2.utils import comm

from ljof.data.datasets import register_keypoint_dataset
from ljof.engine import launch
from ljof.evaluation import TopDownKeypointEvaluator
from tests.common import fixture_path
from tests.evaluation.test_protocol import ALIGNMENT_TARGET, alignment_predictions


def _worker(out_dir: str) -> None:
    rank, world_size = comm.get_rank(), comm.get_world_size()
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


class TestDistributedEvaluation(unittest.TestCase):
    def test_two_process_gather(self):
        with tempfile.TemporaryDirectory() as tmp:
            # ljof.engine.launch spawns (hotcoco's thread pool does not survive a fork of a process
            # that has evaluated before: the child would deadlock)
            launch(_worker, 2, dist_url="auto", args=(tmp,))
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

"""LimbLambdaHook: sets λ on the (DDP-wrapped) model's loss before each step and logs it."""

import os
import tempfile
import unittest

import torch
import torch.distributed as dist
from detectron2.engine import SimpleTrainer
from torch import nn

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.engine import LimbLambdaHook, LimbLambdaSchedule
from ljof.modeling.losses import DynamicStructureLoss


class _TinyPose(nn.Module):
    """A 1x1 conv 'pose model' whose loss is DSL; records the λ seen by each forward."""

    def __init__(self):
        super().__init__()
        meta = get_keypoint_set_metadata("coco")
        self.conv = nn.Conv2d(3, 17, 1)
        self.loss = DynamicStructureLoss(limb_chains=meta["keypoint_limb_chains"], num_keypoints=17)
        self.seen = []

    def forward(self, batch):
        self.seen.append(self.loss.lambda_limb)
        pred = self.conv(batch["image"])
        return self.loss([pred], [batch["target"]], [torch.ones(pred.shape[:2])])


def _data():
    g = torch.Generator().manual_seed(0)
    while True:
        yield {
            "image": torch.rand(2, 3, 4, 4, generator=g),
            "target": torch.rand(2, 17, 4, 4, generator=g),
        }


class TestLimbLambdaHook(unittest.TestCase):
    def _run(self, model, start_iter, max_iter, schedule):
        trainer = SimpleTrainer(model, _data(), torch.optim.SGD(model.parameters(), lr=0.01))
        trainer.register_hooks([LimbLambdaHook(schedule=schedule)])
        trainer.train(start_iter, max_iter)
        return trainer

    def test_sets_lambda_on_ddp_model_and_logs_it(self):
        tmp = tempfile.mkdtemp()
        dist.init_process_group(
            "gloo", init_method="file://" + os.path.join(tmp, "pg"), rank=0, world_size=1
        )
        try:
            inner = _TinyPose()
            ddp = nn.parallel.DistributedDataParallel(inner)
            trainer = self._run(ddp, 0, 6, LimbLambdaSchedule(kind="step", milestone=0.5))
        finally:
            dist.destroy_process_group()
        # iterations 0..5 of 6: progress 0, 1/6, ..., 5/6; step at 0.5 -> iterations 3, 4, 5
        self.assertEqual(inner.seen, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
        history = trainer.storage.history("lambda_limb").values()
        self.assertEqual([v for v, _ in history], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
        self.assertEqual([it for _, it in history], list(range(6)))

    def test_lambda_follows_iteration_when_resuming(self):
        model = _TinyPose()
        self._run(model, 4, 8, LimbLambdaSchedule(kind="linear"))  # as after --resume at iter 4
        self.assertEqual(model.seen, [0.5, 0.625, 0.75, 0.875])

    def test_model_without_dsl_is_an_error(self):
        model = nn.Linear(2, 2)
        trainer = SimpleTrainer(model, iter([]), torch.optim.SGD(model.parameters(), lr=0.1))
        trainer.register_hooks([LimbLambdaHook(schedule=LimbLambdaSchedule())])
        with self.assertRaisesRegex(RuntimeError, "lambda_limb"):
            trainer.train(0, 2)


if __name__ == "__main__":
    unittest.main()

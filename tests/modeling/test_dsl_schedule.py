"""DynamicStructureLoss.lambda_schedule: λ(iteration / max_iter) read from detectron2's EventStorage
inside any detectron2 trainer (DDP-wrapped too), continued after a resume, loud outside a trainer."""

import os
import tempfile
import unittest

import torch
import torch.distributed as dist
from detectron2.engine import SimpleTrainer
from detectron2.utils.events import EventStorage
from torch import nn

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.engine import LimbLambdaHook, LimbLambdaSchedule
from ljof.modeling.losses import DynamicStructureLoss
from tests.engine.test_hooks import _data  # the same seeded random batches


def _dsl(schedule, max_iter):
    meta = get_keypoint_set_metadata("coco")
    return DynamicStructureLoss(
        limb_chains=meta["keypoint_limb_chains"],
        num_keypoints=17,
        lambda_schedule=schedule,
        max_iter=max_iter,
    )


class _TinyPose(nn.Module):
    """A 1x1 conv 'pose model' whose loss is a scheduled DSL; records (λ, loss_limb) of each step."""

    def __init__(self, schedule, max_iter):
        super().__init__()
        self.conv = nn.Conv2d(3, 17, 1)
        self.loss = _dsl(schedule, max_iter)
        self.seen = []

    def forward(self, batch):
        pred = self.conv(batch["image"])
        out = self.loss([pred], [batch["target"]], [torch.ones(pred.shape[:2])])
        self.seen.append((self.loss.lambda_limb, float(out["loss_limb"].detach())))
        return out




def _train(model, start_iter, max_iter, hooks=()):
    trainer = SimpleTrainer(model, _data(), torch.optim.SGD(model.parameters(), lr=0.01))
    trainer.register_hooks(list(hooks))
    trainer.train(start_iter, max_iter)
    return trainer


class TestScheduledLambda(unittest.TestCase):
    def test_follows_the_trainer_iteration_on_a_ddp_model_and_logs_it(self):
        tmp = tempfile.mkdtemp()
        dist.init_process_group(
            "gloo", init_method="file://" + os.path.join(tmp, "pg"), rank=0, world_size=1
        )
        try:
            inner = _TinyPose(LimbLambdaSchedule(kind="step", milestone=0.5), max_iter=6)
            trainer = _train(nn.parallel.DistributedDataParallel(inner), 0, 6)
        finally:
            dist.destroy_process_group()
        # iterations 0..5 of 6: progress 0, 1/6, ..., 5/6; step at 0.5 -> iterations 3, 4, 5
        self.assertEqual([lam for lam, _ in inner.seen], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
        self.assertEqual([limb for _, limb in inner.seen[:3]], [0.0, 0.0, 0.0])
        self.assertTrue(all(limb > 0.0 for _, limb in inner.seen[3:]))
        history = trainer.storage.history("lambda_limb").values()
        self.assertEqual([v for v, _ in history], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
        self.assertEqual([it for _, it in history], list(range(6)))

    def test_continues_from_the_resumed_iteration(self):
        model = _TinyPose(LimbLambdaSchedule(kind="linear"), max_iter=8)
        _train(model, 4, 8)  # as after --resume at iteration 4
        self.assertEqual([lam for lam, _ in model.seen], [0.5, 0.625, 0.75, 0.875])

    def test_outside_a_trainer_is_an_error_and_event_storage_is_the_way(self):
        loss = _dsl(LimbLambdaSchedule(kind="linear"), max_iter=4)
        pred, target = torch.rand(1, 17, 4, 4), torch.rand(1, 17, 4, 4)
        with self.assertRaisesRegex(RuntimeError, "EventStorage"):
            loss([pred], [target], [torch.ones(1, 17)])
        with EventStorage(3):
            loss([pred], [target], [torch.ones(1, 17)])
        self.assertEqual(loss.lambda_limb, 0.75)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "max_iter must be a positive integer"):
            _dsl(LimbLambdaSchedule(), max_iter=None)
        with self.assertRaisesRegex(ValueError, "max_iter must be a positive integer"):
            _dsl(LimbLambdaSchedule(), max_iter=0)
        with self.assertRaisesRegex(ValueError, "callable"):
            _dsl("step", max_iter=10)

    def test_hook_on_a_scheduled_loss_is_an_error(self):
        model = _TinyPose(LimbLambdaSchedule(), max_iter=2)
        hook = LimbLambdaHook(schedule=LimbLambdaSchedule())
        with self.assertRaisesRegex(RuntimeError, "remove the hook"):
            _train(model, 0, 2, hooks=[hook])


if __name__ == "__main__":
    unittest.main()

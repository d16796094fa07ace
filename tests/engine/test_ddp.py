"""Two CPU processes (gloo, ljof.engine.launch) under DistributedDataParallel give the loss and gradients
of one process on the combined batch.

Batch norm is frozen (detectron2's ``FrozenBatchNorm2d``) so each sample's output does not depend on the
rest of its batch; with live BN statistics the halves would legitimately differ (use SyncBN on GPUs).
"""

import os
import tempfile
import unittest

import torch
from detectron2.config import LazyConfig, instantiate
from detectron2.engine import create_ddp_model
from detectron2.layers import FrozenBatchNorm2d
from detectron2.utils import comm
from detectron2.utils.events import EventStorage

from ljof.engine import launch
from tests.configs.fixture_data import shrink_model
from tests.engine.train_net_helpers import config_path

BATCH = 4
LAMBDA = 0.5


def _model():
    cfg = shrink_model(LazyConfig.load(config_path("ljof_hrnet_w32_coco_256x192.py")))
    torch.manual_seed(0)
    model = FrozenBatchNorm2d.convert_frozen_batchnorm(instantiate(cfg.model))
    model.loss.lambda_schedule = None  # a constant λ, whatever the iteration
    model.loss.lambda_limb = LAMBDA
    return model.train()


def _batch():
    g = torch.Generator().manual_seed(1)
    samples = []
    for _ in range(BATCH):
        samples.append(
            {
                "image": torch.randint(0, 256, (3, 256, 192), generator=g, dtype=torch.uint8),
                "heatmaps": [torch.rand(17, 64, 48, generator=g)],
                "target_weights": [(torch.rand(17, generator=g) > 0.2).float()],
            }
        )
    return samples


def _step(model, samples):
    with EventStorage():
        losses = model(samples)
    total = sum(losses.values())
    total.backward()
    return {k: v.item() for k, v in losses.items()}


def _worker(out_dir):
    torch.set_num_threads(1)  # two processes on a shared 2-core machine
    rank, world = comm.get_rank(), comm.get_world_size()
    model = create_ddp_model(_model(), device_ids=None, broadcast_buffers=False)
    per_rank = BATCH // world
    losses = _step(model, _batch()[rank * per_rank : (rank + 1) * per_rank])
    grads = {n: p.grad.clone() for n, p in model.module.named_parameters() if p.grad is not None}
    torch.save(
        {"losses": losses, "grads": grads, "world": world}, os.path.join(out_dir, f"rank{rank}.pt")
    )


class TestTwoProcessDDP(unittest.TestCase):
    def test_matches_one_process_on_the_combined_batch(self):
        out = tempfile.mkdtemp(prefix="ljof_ddp_")
        launch(_worker, 2, dist_url="auto", args=(out,))
        ranks = [torch.load(os.path.join(out, f"rank{r}.pt"), weights_only=True) for r in (0, 1)]
        self.assertEqual([r["world"] for r in ranks], [2, 2])

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            single = _model()
            losses = _step(single, _batch())
        finally:
            torch.set_num_threads(threads)
        for key in ("loss_heatmap", "loss_limb"):
            # each loss is a mean over the batch; two equal halves average to the whole
            mean = 0.5 * (ranks[0]["losses"][key] + ranks[1]["losses"][key])
            self.assertAlmostEqual(mean, losses[key], delta=1e-6 * max(1.0, abs(losses[key])))
        self.assertGreater(losses["loss_limb"], 0.0)
        grads = {n: p.grad for n, p in single.named_parameters() if p.grad is not None}
        self.assertEqual(set(grads), set(ranks[0]["grads"]))
        for name, g in grads.items():
            # DDP all-reduces (averages) gradients: both ranks hold the combined-batch gradient
            torch.testing.assert_close(
                ranks[0]["grads"][name], ranks[1]["grads"][name], rtol=0, atol=0
            )
            torch.testing.assert_close(ranks[0]["grads"][name], g, rtol=1e-4, atol=1e-7)


if __name__ == "__main__":
    unittest.main()

"""detectron2's stock ``tools/lazyconfig_train_net.py`` trains an LJOF paper config on the CPU with the
configured λ schedule: no hook is needed, and precision is the configs' float32 (no AMP assertion)."""

import os
import tempfile
import unittest

import torch
from torch.nn.modules.module import register_module_forward_hook

from ljof.modeling import DynamicStructureLoss
from tests.common import register_fixture
from tests.engine.stock_tool import stock_train_net_module
from tests.engine.test_train_net import TINY_HRNET
from tests.engine.train_net_helpers import config_path, read_metrics

MAX_ITER = 6  # the step schedule switches λ from 0 to 1 at a third: iterations 0, 1 | 2 .. 5


class TestStockTool(unittest.TestCase):
    def setUp(self):
        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)

    def tearDown(self):
        torch.set_num_threads(self._threads)

    def test_stock_tool_trains_ljof_with_its_lambda_schedule(self):
        stock = stock_train_net_module()
        self.assertNotIn(os.path.join("LJOF", "tools"), stock.__file__)
        train, test = register_fixture("coco"), register_fixture("coco")
        out = tempfile.mkdtemp(prefix="ljof_stock_")
        argv = ["--config-file", config_path("ljof_hrnet_w32_coco_256x192.py")]
        argv += TINY_HRNET + [
            "train.device=cpu",
            "train.init_checkpoint=",
            f"train.max_iter={MAX_ITER}",
            "train.eval_period=0",
            "train.log_period=1",
            f"train.output_dir={out}",
            f"dataloader.train.dataset.names={train}",
            "dataloader.train.total_batch_size=2",
            "dataloader.train.num_workers=0",
            f"dataloader.test.dataset.names={test}",
            "dataloader.test.batch_size=4",
            "dataloader.test.num_workers=0",
        ]
        args = stock.default_argument_parser().parse_args(argv)
        calls = []  # (λ, loss_limb) of every DSL call, unsmoothed

        def record(module, _inputs, output):
            if isinstance(module, DynamicStructureLoss):
                calls.append((module.lambda_limb, float(output["loss_limb"].detach())))

        handle = register_module_forward_hook(record)
        try:
            with self.assertLogs("ljof.modeling.losses.scheduled_weight") as logs:
                stock.main(args)  # the stock code path: LazyConfig.load, default_setup, do_train
        finally:
            handle.remove()
        self.assertIn(f"over {MAX_ITER} iterations", "\n".join(logs.output))
        self.assertEqual([lam for lam, _ in calls], [0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
        self.assertEqual([limb for _, limb in calls[:2]], [0.0, 0.0])
        for _, limb in calls[2:]:  # after the milestone the structure loss trains
            self.assertGreater(limb, 0.0)
        # what the stock tool logs: λ per iteration; loss_limb as detectron2's writers give it (the
        # median of the last 20 iterations), so 0 before the milestone and > 0 once most are past it
        metrics = read_metrics(out)
        self.assertEqual(
            [metrics[i]["lambda_limb"] for i in range(MAX_ITER)], [lam for lam, _ in calls]
        )
        self.assertEqual(metrics[1]["loss_limb"], 0.0)
        self.assertGreater(metrics[MAX_ITER - 1]["loss_limb"], 0.0)
        self.assertTrue(os.path.exists(os.path.join(out, "model_final.pth")))


if __name__ == "__main__":
    unittest.main()

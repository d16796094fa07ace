"""Learning check: a reduced-width HRNet trained with LJOF (LJA + DSL, step λ) through the training
script on the 12 COCO fixture instances reaches keypoint AP >= 90 (percent) on them (GT boxes, our evaluator).

It proves that the mapper's targets, the loss, the decoding, the crop-to-image mapping and the evaluator
agree. The data pipeline is the config's (256x192 crops, LJA) without the random geometric augmentations, so
that 300 iterations suffice, with the UDP codec (ViTPose's; measured here: AP 1.0 in about 140 s, where
the config's MSRA codec gave 0.91, too close to the bar); it runs with one torch thread (faster than two
on a shared 2-core machine). A second run trains under bfloat16 autocast with channels_last (CPU mixed
precision, ``ljof.engine.CPUAutocastTrainer``) and must pass the same bar.
"""

import os
import tempfile
import unittest

import pytest
import torch
from detectron2.config import LazyCall as L
from detectron2.config import LazyConfig, instantiate
from detectron2.utils.env import seed_all_rng

from ljof.checkpoint import PoseCheckpointer
from ljof.data import UDPHeatmap
from ljof.engine import native_bf16_support
from tests.common import register_fixture
from tests.engine.train_net_helpers import config_path, read_metrics, train_net_module

ITERS = 300
BATCH = 6
WIDTH = 16
LR = 2e-3


def learning_config(output_dir):
    cfg = LazyConfig.load(config_path("ljof_hrnet_w32_coco_256x192.py"))
    name = register_fixture("coco")
    cfg.dataloader.train.dataset.names = name
    cfg.dataloader.test.dataset.names = name
    cfg.dataloader.evaluator.dataset_name = name
    cfg.dataloader.test_datasets = [name]
    cfg.dataloader.train.total_batch_size = BATCH
    cfg.dataloader.train.num_workers = 0
    cfg.dataloader.test.num_workers = 0
    cfg.dataloader.test.batch_size = 12
    cfg.dataloader.train.mapper.augmentations = []  # LJA (mapper.lja) stays on
    codec = L(UDPHeatmap)(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0)
    cfg.dataloader.train.mapper.codecs = [codec]
    cfg.dataloader.test.mapper.codecs = [codec]
    cfg.model.codec = codec
    cfg.model.shift_heatmap = False  # UDP flip test
    cfg.model.backbone.update(
        width=WIDTH,
        num_modules=(1, 1, 1),
        num_blocks=(1, 1, 1),
        stage1_num_blocks=1,
        stem_channels=16,
    )
    cfg.model.head.input_shape.channels = WIDTH
    cfg.train.update(
        max_iter=ITERS,
        eval_period=0,
        device="cpu",
        init_checkpoint="",
        log_period=20,
        output_dir=output_dir,
    )
    cfg.train.checkpointer.period = ITERS
    cfg.optimizer.lr = LR
    # 300 x 6 / 12 = 150 epochs of the fixture; warm-up 20 iterations, x0.1 for the last 30%
    epochs = ITERS * BATCH / 12
    cfg.lr_multiplier.update(
        num_instances=12,
        total_batch_size=BATCH,
        total_epochs=epochs,
        milestones=[0.7 * epochs],
        warmup_iters=20,
    )
    return cfg


@pytest.mark.slow
class TestLearningCheck(unittest.TestCase):
    def _learn(self, **train):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            tool = train_net_module()
            out = tempfile.mkdtemp(prefix="ljof_learn_")
            cfg = learning_config(out)
            cfg.train.update(train)
            seed_all_rng(0)  # model init and LJA draws (the loader runs in this process)
            tool.do_train(tool.build_parser().parse_args(["--config-file", "unused"]), cfg)
            model = instantiate(cfg.model)
            PoseCheckpointer(model).load(os.path.join(out, "model_final.pth"))
            results = tool.do_test(cfg, model)  # float32 evaluation (train.amp.eval_dtype)
        finally:
            torch.set_num_threads(threads)
        ap = results[cfg.dataloader.test_datasets[0]]["keypoints"]["AP"]
        print(f"learning check {train}: keypoint AP {ap:.2f} (percent) after {ITERS} iterations")
        metrics = read_metrics(out)
        first, last = min(metrics), max(metrics)
        self.assertEqual(metrics[last]["lambda_limb"], 1.0)  # the step schedule switched on
        self.assertGreater(metrics[last]["loss_limb"], 0.0)
        self.assertLess(metrics[last]["loss_heatmap"], 0.5 * metrics[first]["loss_heatmap"])
        self.assertGreaterEqual(ap, 90.0)

    def test_reduced_hrnet_with_ljof_fits_the_coco_fixture(self):
        self._learn(amp=dict(enabled=True, cpu_dtype="float32"), memory_format="contiguous")

    @unittest.skipUnless(
        native_bf16_support()[0] or os.environ.get("LJOF_BF16_LEARNING_CHECK") == "1",
        "this CPU has no native bf16: emulated, the run takes 23 min on a 2-core AVX2 machine (AP 0.975) "
        "and exceeds the test timeout; set LJOF_BF16_LEARNING_CHECK=1 (and -o timeout=2400) to run it",
    )
    def test_same_under_bf16_autocast_and_channels_last(self):
        """CPU mixed precision does not cost accuracy: same data, schedule and AP bar."""
        self._learn(amp=dict(enabled=True, cpu_dtype="bfloat16"), memory_format="channels_last")


if __name__ == "__main__":
    unittest.main()

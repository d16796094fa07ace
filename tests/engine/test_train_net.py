"""tools/lazyconfig_train_net.py: two iterations of each model family on the real fixtures, evaluation
and best checkpoint, --register, and --resume continuing λ and the learning rate."""

import os
import subprocess
import sys
import tempfile
import unittest

import torch
from detectron2.config import LazyCall as L
from detectron2.config import LazyConfig
from detectron2.engine import HookBase

from ljof.data.datasets import get_topdown_dataset
from tests.common import ROOT, fixture_path, unique_name
from tests.configs.fixture_data import point_config_at_fixtures, shrink_model
from tests.engine.train_net_helpers import config_path, read_metrics, train_net_module

TINY_HRNET = [
    "model.backbone.width=8",
    "model.backbone.num_modules=[1,1,1]",
    "model.backbone.num_blocks=[1,1,1]",
    "model.backbone.stage1_num_blocks=1",
    "model.backbone.stem_channels=16",
    "model.head.input_shape.channels=8",
]
CPU_SMALL = [
    "train.device=cpu",
    "train.init_checkpoint=",
    "dataloader.train.total_batch_size=2",
    "dataloader.train.num_workers=0",
    "dataloader.test.num_workers=0",
    "dataloader.test.batch_size=4",
    "train.log_period=1",
]


class _CrashAfter(HookBase):
    """Simulates a killed job: raises after the step of index ``iteration``."""

    def __init__(self, iteration):
        self.iteration = iteration

    def after_step(self):
        if self.trainer.iter == self.iteration:
            raise KeyboardInterrupt("simulated crash")


def _cpu_cfg(name, **train):
    cfg = LazyConfig.load(config_path(name))
    point_config_at_fixtures(cfg, batch_size=2)
    shrink_model(cfg)
    cfg.train.device = "cpu"
    cfg.train.init_checkpoint = ""
    cfg.train.log_period = 1
    cfg.train.update(train)
    return cfg


class TestTrainNet(unittest.TestCase):
    def setUp(self):
        # one thread: on a shared 2-core machine two threads per process oversubscribe and run the
        # small models many times slower
        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)
        self.tool = train_net_module()
        self.tmp = tempfile.mkdtemp(prefix="ljof_train_")

    def tearDown(self):
        torch.set_num_threads(self._threads)

    def _args(self, *extra):
        return self.tool.build_parser().parse_args(["--config-file", "unused", *extra])

    def test_cli_register_trains_evaluates_and_keeps_best(self):
        """The real entry point: --register overrides the datasets; 2 iterations, then evaluation."""
        name = unique_name("fx_cli")
        spec = f"{name}={fixture_path('coco', 'test_coco.json')}:{fixture_path('coco')}:coco"
        out = os.path.join(self.tmp, "cli")
        argv = ["--config-file", config_path("ljof_hrnet.py"), "--register", spec]
        argv += TINY_HRNET + CPU_SMALL
        argv += ["train.max_iter=2", "train.eval_period=1", f"train.output_dir={out}"]
        self.tool.main(self.tool.build_parser().parse_args(argv))
        metrics = read_metrics(out)
        self.assertEqual(sorted(metrics), [0, 1, 2])
        for key in ("loss_heatmap", "loss_limb", "lambda_limb", "lr", "total_loss"):
            self.assertIn(key, metrics[1])
        self.assertEqual(metrics[0]["lambda_limb"], 0.0)  # step schedule: 0 before 1/3 of training
        self.assertEqual(metrics[1]["lambda_limb"], 1.0)
        # evaluated on the registered dataset after iteration 0, and at the end (logged at max_iter)
        self.assertIn(f"{name}/keypoints/AP", metrics[0])
        self.assertIn(f"{name}/keypoints/AP", metrics[2])
        for f in ("model_final.pth", "model_best.pth", "config.yaml"):
            self.assertTrue(os.path.exists(os.path.join(out, f)), f)
        self.assertTrue(os.path.exists(os.path.join(out, "inference", name)))
        # eval-only on the trained weights
        ret = self.tool.main(
            self.tool.build_parser().parse_args(
                argv[:4] + ["--eval-only"] + TINY_HRNET + CPU_SMALL
                + [f"train.init_checkpoint={out}/model_final.pth", f"train.output_dir={out}_eval"]
            )
        )  # fmt: skip
        self.assertEqual(set(ret), {name})
        self.assertIn("AP", ret[name]["keypoints"])

    def test_two_cpu_processes_from_the_command_line(self):
        """--num-gpus 2 without CUDA: two gloo processes train and evaluate (predictions gathered)."""
        out = os.path.join(self.tmp, "ddp")
        spec = f"fx2={fixture_path('coco', 'test_coco.json')}:{fixture_path('coco')}"
        cmd = [
            sys.executable,
            os.path.join(str(ROOT), "tools", "lazyconfig_train_net.py"),
            "--num-gpus",
            "2",
        ]
        cmd += (
            ["--config-file", config_path("ljof_hrnet.py"), "--register", spec]
            + TINY_HRNET
            + CPU_SMALL
        )
        cmd += ["train.max_iter=2", "train.eval_period=2", f"train.output_dir={out}"]
        # under bfloat16 autocast with channels_last (DDP gradients of NHWC weights over gloo)
        cmd += ["train.amp.cpu_dtype=bfloat16", "train.memory_format=channels_last"]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        proc = subprocess.run(
            cmd, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=600
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertIn("World size: 2", proc.stdout + proc.stderr)
        self.assertIn("CPU mixed precision: bfloat16", proc.stdout + proc.stderr)
        metrics = read_metrics(out)
        self.assertIn("loss_limb", metrics[1])
        self.assertIn("fx2/keypoints/AP", metrics[2])  # the final evaluation, logged at max_iter
        for f in ("model_final.pth", "model_best.pth"):
            self.assertTrue(os.path.exists(os.path.join(out, f)), f)
        self.assertTrue(os.listdir(os.path.join(out, "inference", "fx2")))

    def test_two_iterations_of_each_family(self):
        for config in (
            "ljof_simplebaseline_r152_crowdpose_256x192.py",
            "ljof_vitpose_b_coco_256x192.py",
            "ljof_srpose_hrnet_w32_coco_256x192.py",
        ):
            with self.subTest(config=config):
                out = os.path.join(self.tmp, config[:-3])
                cfg = _cpu_cfg(config, max_iter=2, eval_period=0, output_dir=out)
                self.tool.do_train(self._args(), cfg)
                metrics = read_metrics(out)
                self.assertEqual(sorted(metrics), [0, 1])
                self.assertGreater(metrics[1]["loss_heatmap"], 0.0)
                self.assertIn("loss_limb", metrics[1])
                self.assertTrue(os.path.exists(os.path.join(out, "model_final.pth")))

    def test_resume_continues_lambda_and_lr(self):
        self._check_resume()

    def test_resume_with_bf16_autocast_and_channels_last(self):
        """--resume under CPU mixed precision: the loop, λ and LR continue; weights stay float32."""
        with self.assertLogs("ljof.engine.precision") as logs:
            self._check_resume(
                amp=dict(enabled=True, cpu_dtype="bfloat16"), memory_format="channels_last"
            )
        text = "\n".join(logs.output)
        self.assertIn("memory format: channels_last", text)
        self.assertTrue("bfloat16" in text, text)
        state = torch.load(
            os.path.join(self.tmp, "part", "model_final.pth"), map_location="cpu", weights_only=True
        )["model"]
        self.assertTrue(all(v.dtype in (torch.float32, torch.int64) for v in state.values()))

    def _check_resume(self, **train):
        def cfg_for(out, crash=None):
            cfg = _cpu_cfg(
                "ljof_hrnet_w32_coco_256x192.py", max_iter=6, eval_period=0, output_dir=out
            )
            cfg.train.update(train)
            cfg.train.checkpointer.period = 3
            cfg.model.loss.lambda_schedule.kind = "linear"  # a different λ at every iteration
            # an LR that changes too: 6 iterations = 1 epoch of 12 instances at batch 2,
            # warm-up over 2 iterations, x0.1 at half the run
            cfg.lr_multiplier.update(
                num_instances=12,
                total_batch_size=2,
                total_epochs=1,
                milestones=[0.5],
                warmup_iters=2,
            )
            if crash is not None:
                cfg.train.hooks.append(L(_CrashAfter)(iteration=crash))
            return cfg

        full = os.path.join(self.tmp, "full")
        self.tool.do_train(self._args(), cfg_for(full))
        part = os.path.join(self.tmp, "part")
        with self.assertRaises(KeyboardInterrupt):
            self.tool.do_train(self._args(), cfg_for(part, crash=3))
        self.assertTrue(os.path.exists(os.path.join(part, "model_0000002.pth")))
        self.tool.do_train(self._args("--resume"), cfg_for(part))
        a, b = read_metrics(full), read_metrics(part)
        lambdas = [a[i]["lambda_limb"] for i in range(6)]
        self.assertEqual(lambdas, [i / 6 for i in range(6)])
        lrs = [a[i]["lr"] for i in range(6)]
        self.assertEqual(len(set(round(v, 12) for v in lrs)), len(lrs) - 2)  # warm-up, flat, drop
        for i in range(3, 6):  # after the resume at iteration 3
            self.assertAlmostEqual(b[i]["lambda_limb"], a[i]["lambda_limb"], places=12)
            self.assertAlmostEqual(b[i]["lr"], a[i]["lr"], places=12)

    def test_register_override_rules(self):
        cfg = LazyConfig.load(config_path("ljof_hrnet.py"))
        one = self.tool.apply_registered_datasets(cfg, ["a"], eval_only=False)
        self.assertEqual(one.dataloader.train.dataset.names, "a")
        self.assertEqual(self.tool.test_dataset_names(one), ["a"])
        cfg = LazyConfig.load(config_path("ljof_hrnet.py"))
        two = self.tool.apply_registered_datasets(cfg, ["a", "b", "c"], eval_only=False)
        self.assertEqual(two.dataloader.train.dataset.names, "a")
        self.assertEqual(self.tool.test_dataset_names(two), ["b", "c"])
        cfg = LazyConfig.load(config_path("ljof_hrnet.py"))
        ev = self.tool.apply_registered_datasets(cfg, ["a", "b"], eval_only=True)
        self.assertEqual(ev.dataloader.train.dataset.names, "ljof_coco_2017_train")
        self.assertEqual(self.tool.test_dataset_names(ev), ["a", "b"])
        # the builtin defaults, untouched without --register
        cfg = LazyConfig.load(config_path("ljof_hrnet.py"))
        self.assertEqual(
            self.tool.test_dataset_names(cfg), ["ljof_ochuman_test", "ljof_coco_2017_val_det"]
        )
        self.assertEqual(
            len(
                get_topdown_dataset(
                    point_config_at_fixtures(cfg) and cfg.dataloader.train.dataset.names
                )
            ),
            12,
        )


if __name__ == "__main__":
    unittest.main()

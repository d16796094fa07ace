"""CPU mixed precision and memory format: the dtype choice (capability query mocked), the trainer
choice, bfloat16 activations and float32 losses inside a real training step, channels_last set-up, and
the evaluation context."""

import itertools
import unittest
from unittest import mock

import torch
from detectron2.config import LazyConfig, instantiate
from detectron2.engine import AMPTrainer, SimpleTrainer
from omegaconf import OmegaConf
from torch import nn

from ljof.engine import (
    CPUAutocastTrainer,
    build_trainer,
    conv_weight_fraction,
    inference_autocast,
    native_bf16_support,
    prepare_memory_format,
    resolve_cpu_dtype,
    resolve_memory_format,
    training_precision,
    run_in_float32,
)
from tests.configs.fixture_data import shrink_model
from tests.engine.train_net_helpers import config_path


def _cpu_has(avx512_bf16: bool, amx: bool, machine: str = "x86_64"):
    """Patches of the capability queries torch answers (the CPU's bf16 instructions)."""
    return [
        mock.patch("platform.machine", return_value=machine),
        mock.patch.object(torch.cpu, "_is_avx512_bf16_supported", return_value=avx512_bf16),
        mock.patch.object(torch.cpu, "_is_amx_tile_supported", return_value=amx),
    ]


class _Patched:
    def __init__(self, patches):
        self.patches = patches

    def __enter__(self):
        for p in self.patches:
            p.start()

    def __exit__(self, *exc):
        for p in reversed(self.patches):
            p.stop()


def _train_cfg(**kw):
    base = dict(device="cpu", amp=dict(enabled=True, cpu_dtype="auto"))
    base.update(kw)
    return OmegaConf.create(base)


class TestDtypeChoice(unittest.TestCase):
    def test_auto_is_float32_without_native_bf16(self):
        with _Patched(_cpu_has(False, False)), self.assertLogs("ljof.engine.precision") as logs:
            self.assertEqual(resolve_cpu_dtype("auto"), torch.float32)
        self.assertIn("neither AVX512-BF16 nor AMX", "\n".join(logs.output))

    def test_auto_is_bfloat16_with_avx512_bf16_or_amx(self):
        for avx, amx, found in ((True, False, "AVX512-BF16"), (False, True, "AMX")):
            with _Patched(_cpu_has(avx, amx)), self.assertLogs("ljof.engine.precision") as logs:
                self.assertEqual(resolve_cpu_dtype("auto"), torch.bfloat16)
            self.assertIn(found, "\n".join(logs.output))

    def test_arm_asks_onednn(self):
        for answer, dtype in ((True, torch.bfloat16), (False, torch.float32)):
            with (
                _Patched(_cpu_has(False, False, machine="aarch64")),
                mock.patch.object(
                    torch.ops.mkldnn, "_is_mkldnn_bf16_supported", return_value=answer
                ),
            ):
                self.assertEqual(native_bf16_support()[0], answer)
                self.assertEqual(resolve_cpu_dtype("auto"), dtype)

    def test_no_onednn_means_no_bf16(self):
        with (
            _Patched(_cpu_has(True, True)),
            mock.patch.object(torch.backends.mkldnn, "is_available", return_value=False),
        ):
            native, reason = native_bf16_support()
        self.assertFalse(native)
        self.assertIn("oneDNN", reason)

    def test_explicit_values_and_errors(self):
        with (
            _Patched(_cpu_has(False, False)),
            self.assertLogs("ljof.engine.precision", level="WARNING") as logs,
        ):
            # forced: bfloat16, with a warning
            self.assertEqual(resolve_cpu_dtype("bfloat16"), torch.bfloat16)
        self.assertIn("slow", "\n".join(logs.output))
        with _Patched(_cpu_has(True, True)):
            self.assertEqual(resolve_cpu_dtype("float32"), torch.float32)
        with self.assertRaisesRegex(ValueError, "train.amp.cpu_dtype='fp16'"):
            resolve_cpu_dtype("fp16")

    def test_training_precision_names_the_trainers_choice_and_why(self):
        cases = [
            (_train_cfg(), False, "float32", "neither AVX512-BF16 nor AMX"),
            (_train_cfg(), True, "bfloat16", "the CPU has AVX512-BF16"),
            (
                _train_cfg(amp=dict(enabled=True, cpu_dtype="float32")),
                True,
                "float32",
                "cpu_dtype=float32",
            ),
            (_train_cfg(device="cuda"), False, "float16 AMP", "amp.enabled=True on CUDA"),
            (_train_cfg(device="cuda", amp=dict(enabled=False)), False, "float32", "on CUDA"),
        ]
        for cfg, native, precision, why in cases:
            with _Patched(_cpu_has(native, False)):
                got, reason = training_precision(cfg)
            self.assertEqual(got, precision, OmegaConf.to_container(cfg))
            self.assertIn(why, reason)
        with self.assertRaisesRegex(ValueError, "train.amp.cpu_dtype='fp16'"):
            training_precision(_train_cfg(amp=dict(enabled=False, cpu_dtype="fp16")))

    def test_trainer_choice(self):
        model = nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loader = [None]
        cases = [
            (_train_cfg(amp=dict(enabled=False)), True, SimpleTrainer),
            (_train_cfg(), False, SimpleTrainer),  # auto on a CPU without bf16
            (_train_cfg(), True, CPUAutocastTrainer),
            (_train_cfg(amp=dict(enabled=True, cpu_dtype="float32")), True, SimpleTrainer),
            (_train_cfg(device="cuda"), True, AMPTrainer),  # detectron2's fp16 AMP on CUDA
        ]
        for cfg, native, cls in cases:
            with (
                _Patched(_cpu_has(native, False)),
                mock.patch("torch.cuda.amp.GradScaler", return_value=None),
            ):
                trainer = build_trainer(cfg, model, loader, opt)
            self.assertIs(type(trainer), cls, (OmegaConf.to_container(cfg), native))
        with _Patched(_cpu_has(True, False)):
            trainer = build_trainer(_train_cfg(), model, loader, opt)
        self.assertEqual(trainer.dtype, torch.bfloat16)


class _ToyLoss(nn.Module):
    """A loss with a matrix product (autocast would run it in bf16) that records what it sees."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mix", torch.eye(4), persistent=False)
        self.seen = []

    def forward(self, outputs, targets):
        mixed = torch.einsum("jk,bkhw->bjhw", self.mix, outputs[0])
        self.seen.append((outputs[0].dtype, mixed.dtype, torch.is_autocast_enabled("cpu")))
        return {"loss_toy": ((mixed - targets[0]) ** 2).mean()}


class _ToyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
        self.head = nn.Conv2d(4, 4, 1)
        self.loss = _ToyLoss()

    def forward(self, batch):
        images = torch.stack([b["image"] for b in batch])
        targets = torch.stack([b["target"] for b in batch])
        return self.loss([self.head(self.backbone(images))], [targets])


def _toy_batch():
    g = torch.Generator().manual_seed(0)
    return [
        {"image": torch.randn(3, 8, 6, generator=g), "target": torch.rand(4, 8, 6, generator=g)}
    ]


class TestAutocastStep(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.model = _ToyModel().train()
        self.seen = []
        self.model.backbone.register_forward_hook(
            lambda m, i, o: self.seen.append(("backbone", i[0].dtype, o.dtype))
        )
        self.model.head.register_forward_hook(lambda m, i, o: self.seen.append(("head", o.dtype)))

    def _train(self, trainer, iters=2):
        before = [p.detach().clone() for p in self.model.parameters()]
        trainer.train(0, iters)
        return before

    def test_module_sees_bf16_activations_and_the_loss_float32(self):
        opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
        data = itertools.repeat(_toy_batch())
        trainer = CPUAutocastTrainer(self.model, data, opt, dtype=torch.bfloat16)
        before = self._train(trainer)
        self.assertEqual(
            self.seen[:2], [("backbone", torch.float32, torch.bfloat16), ("head", torch.bfloat16)]
        )
        # the loss got float32 inputs and ran its einsum in float32, with autocast off inside it
        self.assertEqual(self.model.loss.seen[0], (torch.float32, torch.float32, False))
        self.assertFalse(torch.is_autocast_enabled("cpu"))  # restored after the step
        for p, b in zip(self.model.parameters(), before):
            self.assertEqual(p.dtype, torch.float32)
            self.assertEqual(p.grad.dtype, torch.float32)
            self.assertFalse(torch.equal(p, b))  # the step updated every parameter
        logged = [v for v, _ in trainer.storage.history("total_loss").values()]
        self.assertEqual(len(logged), 2)
        self.assertTrue(all(isinstance(v, float) and v > 0 for v in logged))

    def test_simple_trainer_stays_float32(self):
        opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
        trainer = SimpleTrainer(self.model, itertools.repeat(_toy_batch()), opt)
        self._train(trainer, iters=1)
        self.assertEqual(self.seen[1], ("head", torch.float32))

    def test_float32_hook_restores_autocast_after_an_error(self):
        class Failing(nn.Module):
            def forward(self, x):
                raise RuntimeError("bad input")

        failing = run_in_float32(Failing())
        with torch.autocast("cpu", dtype=torch.bfloat16):
            with self.assertRaisesRegex(RuntimeError, "bad input"):
                failing(torch.ones(2))
            self.assertTrue(torch.is_autocast_enabled("cpu"))
        self.assertIs(run_in_float32(failing), failing)  # hooked once
        self.assertEqual(len(failing._forward_pre_hooks), 1)


class TestMemoryFormat(unittest.TestCase):
    def _model(self, config, shrink=True):
        cfg = LazyConfig.load(config_path(config))
        if shrink:
            shrink_model(cfg)
        torch.manual_seed(0)
        return instantiate(cfg.model).train()

    def test_auto_picks_channels_last_for_hrnet_not_for_vit(self):
        hrnet = self._model("ljof_hrnet_w32_coco_256x192.py")
        vit = self._model("vitpose_b_coco_256x192.py", shrink=False)  # full size: mostly Linear
        self.assertGreater(conv_weight_fraction(hrnet), 0.5)
        self.assertLess(conv_weight_fraction(vit), 0.5)
        self.assertIs(resolve_memory_format("auto", hrnet, "cpu"), torch.channels_last)
        self.assertIs(resolve_memory_format("auto", vit, "cpu"), torch.contiguous_format)
        self.assertIs(resolve_memory_format("auto", hrnet, "cuda"), torch.contiguous_format)
        self.assertIs(resolve_memory_format("channels_last", vit, "cpu"), torch.channels_last)
        with self.assertRaisesRegex(ValueError, "train.memory_format='nhwc'"):
            resolve_memory_format("nhwc", hrnet, "cpu")

    def test_prepare_converts_weights_and_the_batch(self):
        model = self._model("ljof_hrnet_w32_coco_256x192.py")
        params = list(model.parameters())
        fmt = prepare_memory_format(model, _train_cfg(memory_format="auto"))
        self.assertIs(fmt, torch.channels_last)
        self.assertEqual([id(p) for p in model.parameters()], [id(p) for p in params])
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
        self.assertTrue(
            all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convs)
        )
        seen = []
        model.backbone.register_forward_pre_hook(
            lambda m, a: seen.append(a[0].is_contiguous(memory_format=torch.channels_last))
        )
        sample = {
            "image": torch.randint(0, 256, (3, 256, 192), dtype=torch.uint8),
            "heatmaps": [torch.rand(17, 64, 48)],
            "target_weights": [torch.ones(17)],
        }
        from detectron2.utils.events import EventStorage

        with EventStorage():
            losses = model([sample, sample])
        self.assertEqual(seen, [True])
        self.assertTrue(torch.isfinite(sum(losses.values())))

    def test_contiguous_leaves_the_model_alone(self):
        model = self._model("ljof_hrnet_w32_coco_256x192.py")
        prepare_memory_format(model, _train_cfg(memory_format="contiguous"))
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size[0] > 1]
        self.assertTrue(all(c.weight.is_contiguous() for c in convs))
        self.assertEqual(len(model.backbone._forward_pre_hooks), 0)


class TestInferenceAutocast(unittest.TestCase):
    def test_float32_by_default_bf16_on_request(self):
        conv = nn.Conv2d(3, 2, 1)
        x = torch.randn(1, 3, 4, 4)
        with inference_autocast(_train_cfg()):
            self.assertEqual(conv(x).dtype, torch.float32)
        with inference_autocast(_train_cfg(amp=dict(enabled=True, eval_dtype="bfloat16"))):
            self.assertEqual(conv(x).dtype, torch.bfloat16)
        with self.assertRaisesRegex(ValueError, "eval_dtype='float16'"):
            inference_autocast(_train_cfg(amp=dict(enabled=True, eval_dtype="float16")))


if __name__ == "__main__":
    unittest.main()

"""Training loops by device and precision: detectron2's ``AMPTrainer`` (CUDA with ``train.amp.enabled``,
float16 + GradScaler), a bfloat16 autocast loop for the CPU (``train.amp.cpu_dtype``), or detectron2's plain
``SimpleTrainer``; and the channels_last setup.

detectron2's ``AMPTrainer`` (``detectron2/engine/train_loop.py``) asserts CUDA and uses float16 with a
GradScaler. On the CPU, PyTorch's autocast uses bfloat16, whose exponent range is float32's, so no loss
scaling is needed (https://pytorch.org/docs/stable/amp.html#cpu-op-specific-behavior).
"""

import logging
import time
from typing import Optional

import torch
from detectron2.engine import AMPTrainer, SimpleTrainer
from torch import nn

from .precision import resolve_cpu_dtype, resolve_memory_format

__all__ = [
    "CPUAutocastTrainer",
    "build_trainer",
    "channels_last_inputs",
    "prepare_memory_format",
    "run_in_float32",
    "unwrap_model",
]

logger = logging.getLogger(__name__)


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside ``DistributedDataParallel`` / ``DataParallel`` wrappers (any depth)."""
    while isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
        model = model.module
    return model


def _to_float32(value):
    if isinstance(value, torch.Tensor):
        return (
            value.float() if value.is_floating_point() and value.dtype != torch.float32 else value
        )
    if isinstance(value, (list, tuple)):
        return type(value)(_to_float32(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_float32(v) for k, v in value.items()}
    return value


def run_in_float32(module: nn.Module, device_type: str = "cpu") -> nn.Module:
    """Make ``module`` (a loss) compute in float32 even when called under autocast.

    Forward hooks (so the module, its class and its state dict stay as they are): before ``forward``
    every floating-point tensor argument (also inside lists, tuples, dicts) is cast to float32 and
    ``device_type`` autocast is switched off; after it (also when it raises), autocast is restored.

    Returns:
        ``module``, hooked (once: calling again changes nothing).
    """
    if getattr(module, "_ljof_float32_hooked", False):
        return module
    saved = []

    def before(_module, args, kwargs):
        saved.append(torch.is_autocast_enabled(device_type))
        torch.set_autocast_enabled(device_type, False)
        return _to_float32(args), _to_float32(kwargs)

    def after(_module, _args, _output):
        torch.set_autocast_enabled(device_type, saved.pop())

    module.register_forward_pre_hook(before, with_kwargs=True)
    module.register_forward_hook(after, always_call=True)
    module._ljof_float32_hooked = True
    return module


def channels_last_inputs(module: nn.Module) -> nn.Module:
    """Convert a 4-D first positional argument of ``module`` (the image batch) to channels_last."""

    def before(_module, args):
        if args and isinstance(args[0], torch.Tensor) and args[0].dim() == 4:
            return (args[0].contiguous(memory_format=torch.channels_last), *args[1:])
        return None

    module.register_forward_pre_hook(before)
    return module


def prepare_memory_format(model: nn.Module, train_cfg) -> torch.memory_format:
    """Apply ``train.memory_format`` (default ``"auto"``) to ``model`` in place, before DDP wrapping.

    With channels_last, the parameters are converted (same ``Parameter`` objects, so an optimizer built
    before or after sees them) and, when the model has a ``backbone`` (``TopDownPoseEstimator``), the
    backbone's input batch is converted too.

    Args:
        model: the model, on ``train_cfg.device``.
        train_cfg: the config's ``train`` node (``device``, optional ``memory_format``).

    Returns:
        the memory format chosen (see :func:`ljof.engine.resolve_memory_format`).
    """
    fmt = resolve_memory_format(
        train_cfg.get("memory_format", "auto"), unwrap_model(model), train_cfg.device
    )
    if fmt is torch.channels_last:
        model.to(memory_format=torch.channels_last)
        backbone = getattr(unwrap_model(model), "backbone", None)
        if isinstance(backbone, nn.Module):
            channels_last_inputs(backbone)
    return fmt


class CPUAutocastTrainer(SimpleTrainer):
    """detectron2's ``SimpleTrainer`` with the forward pass under ``torch.autocast("cpu", dtype)``.

    The loss module (the model's ``loss`` attribute, e.g. ``KeypointMSELoss`` or
    ``DynamicStructureLoss``) is hooked by :func:`run_in_float32`, so the backbone and head run in
    ``dtype`` while the losses are computed, summed and back-propagated from float32. Backward and the
    optimizer step run outside autocast (as PyTorch's AMP recipe does); parameters, gradients and the
    optimizer state stay float32, and there is no GradScaler (bfloat16 has float32's exponent range).
    """

    def __init__(self, model, data_loader, optimizer, *, dtype: torch.dtype = torch.bfloat16):
        """
        Args:
            model, data_loader, optimizer: as for detectron2's ``SimpleTrainer``.
            dtype: the autocast dtype (``torch.bfloat16``; ``torch.float16`` also works on recent
                CPUs).
        """
        super().__init__(model, data_loader, optimizer)
        self.dtype = dtype
        loss = getattr(unwrap_model(model), "loss", None)
        if isinstance(loss, nn.Module):
            run_in_float32(loss, "cpu")
        else:
            logger.warning(
                "CPUAutocastTrainer: the model has no `loss` module; losses follow autocast's rules"
            )

    def run_step(self):
        if not self.model.training:
            raise RuntimeError("CPUAutocastTrainer: the model was switched to eval mode")
        start = time.perf_counter()
        data = next(self._data_loader_iter)
        data_time = time.perf_counter() - start

        with torch.autocast("cpu", dtype=self.dtype):
            loss_dict = self.model(data)
        if isinstance(loss_dict, torch.Tensor):
            loss_dict = {"total_loss": loss_dict}
        loss_dict = {k: v.float() for k, v in loss_dict.items()}
        losses = sum(loss_dict.values())

        self.optimizer.zero_grad()
        losses.backward()
        self._write_metrics(loss_dict, data_time)
        self.optimizer.step()


def build_trainer(train_cfg, model, data_loader, optimizer) -> SimpleTrainer:
    """The training loop for ``train.device`` and ``train.amp`` of a LazyConfig.

    * CUDA: ``amp.enabled`` chooses, as in detectron2's stock ``tools/lazyconfig_train_net.py``:
      detectron2's ``AMPTrainer`` (float16, GradScaler) when True, else ``SimpleTrainer`` (float32,
      the configs' default: docs/training.md, "Precision");
    * CPU: ``amp.cpu_dtype`` alone chooses (``amp.enabled`` is CUDA's switch; detectron2's
      ``AMPTrainer`` asserts CUDA): :class:`CPUAutocastTrainer` with the dtype it resolves to
      (``"auto"``, the configs' value: bfloat16 where the CPU has it natively,
      :func:`ljof.engine.resolve_cpu_dtype`), or ``SimpleTrainer`` for float32, also when the key is
      absent (detectron2's own ``configs/common/train.py`` has none);
    * any other device: ``SimpleTrainer``.

    Args:
        train_cfg: the config's ``train`` node.
        model: the (possibly DDP-wrapped) model, on ``train_cfg.device``.
    """
    amp = train_cfg.get("amp", None) or {}
    device = torch.device(train_cfg.device)
    if device.type == "cuda":
        return (AMPTrainer if amp.get("enabled", False) else SimpleTrainer)(
            model, data_loader, optimizer
        )
    if device.type != "cpu":
        if amp.get("enabled", False):
            logger.warning("train.amp.enabled on %s: not supported, training in float32", device)
        return SimpleTrainer(model, data_loader, optimizer)
    if amp.get("enabled", False):
        logger.info(
            "train.amp.enabled=True is CUDA's float16 switch and is not used on the CPU, where "
            "train.amp.cpu_dtype chooses (detectron2's stock tool stops on it: set it False there)"
        )
    dtype: Optional[torch.dtype] = resolve_cpu_dtype(amp.get("cpu_dtype", "float32"))
    if dtype == torch.float32:
        return SimpleTrainer(model, data_loader, optimizer)
    return CPUAutocastTrainer(model, data_loader, optimizer, dtype=dtype)

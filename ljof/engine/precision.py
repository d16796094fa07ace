"""CPU training precision and memory format: which dtype autocast uses, whether tensors are channels_last.

* bfloat16 autocast on the CPU (``torch.autocast("cpu", dtype=torch.bfloat16)``, PyTorch's CPU AMP:
  https://pytorch.org/docs/stable/amp.html#cpu-op-specific-behavior) is fast only where the CPU has
  bf16 arithmetic in hardware (x86 AVX512-BF16 or AMX, Arm BF16); elsewhere oneDNN emulates it, several
  times slower than float32. ``"auto"`` therefore asks torch which instructions the CPU has
  (``torch.cpu._is_avx512_bf16_supported``, ``torch.cpu._is_amx_tile_supported``,
  ``torch.ops.mkldnn._is_mkldnn_bf16_supported``; PyTorch ``torch/cpu/__init__.py``) and picks float32
  when none is there.
* channels_last (NHWC; https://pytorch.org/tutorials/intermediate/memory_format_tutorial.html) lets
  oneDNN run convolutions without reordering; it helps convolutional networks and does nothing useful for
  a ViT, whose work is in ``Linear`` layers. ``"auto"`` turns it on on the CPU when most of the model's
  weights are convolution weights.
"""

import logging
import platform
from typing import Tuple

import torch
from torch import nn

__all__ = [
    "CPU_DTYPES",
    "MEMORY_FORMATS",
    "conv_weight_fraction",
    "inference_autocast",
    "native_bf16_support",
    "resolve_cpu_dtype",
    "resolve_memory_format",
    "training_precision",
]

logger = logging.getLogger(__name__)

CPU_DTYPES = ("auto", "bfloat16", "float32")
MEMORY_FORMATS = ("auto", "channels_last", "contiguous")


def _query(name: str) -> bool:
    fn = getattr(torch.cpu, name, None)
    return bool(fn()) if fn is not None else False


def native_bf16_support() -> Tuple[bool, str]:
    """Whether this CPU computes bfloat16 in hardware, as torch/oneDNN report it.

    Returns:
        ``(supported, reason)``; the reason names the instruction set found or missing.
    """
    if not torch.backends.mkldnn.is_available():
        return False, "torch was built without oneDNN (mkldnn), which runs bf16 convolutions"
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64", "i386", "i686"):
        found = [
            label
            for label, query in (
                ("AVX512-BF16", "_is_avx512_bf16_supported"),
                ("AMX", "_is_amx_tile_supported"),
            )
            if _query(query)
        ]
        if found:
            return True, f"the CPU has {' and '.join(found)}"
        return False, "the CPU has neither AVX512-BF16 nor AMX, so oneDNN would emulate bf16"
    # Arm (and others): oneDNN's own check is the hardware BF16 extension there
    if bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()):
        return True, f"oneDNN reports native bf16 on this {machine} CPU"
    return False, f"oneDNN reports no native bf16 on this {machine} CPU"


def _choose_cpu_dtype(name: str) -> Tuple[torch.dtype, str]:
    """The rule behind :func:`resolve_cpu_dtype` and :func:`training_precision`, without logging:
    ``(dtype, reason)`` for the config value ``train.amp.cpu_dtype``."""
    if name not in CPU_DTYPES:
        raise ValueError(f"train.amp.cpu_dtype={name!r}: expected one of {CPU_DTYPES}")
    if name != "auto":
        return getattr(torch, name), f"train.amp.cpu_dtype={name}"
    native, reason = native_bf16_support()
    return (torch.bfloat16 if native else torch.float32), f"train.amp.cpu_dtype=auto: {reason}"


def resolve_cpu_dtype(name: str) -> torch.dtype:
    """The autocast dtype of CPU training for the config value ``train.amp.cpu_dtype``.

    Args:
        name: ``"auto"`` (bfloat16 where :func:`native_bf16_support`, else float32), ``"bfloat16"``
            or ``"float32"`` (no autocast).

    Returns:
        ``torch.bfloat16`` or ``torch.float32``; the choice and its reason are logged.

    Raises:
        ValueError: ``name`` is not one of :data:`CPU_DTYPES`.
    """
    dtype, why = _choose_cpu_dtype(name)
    if name == "bfloat16":
        native, reason = native_bf16_support()
        if not native:
            logger.warning(
                "CPU mixed precision: bfloat16 (train.amp.cpu_dtype=bfloat16) although %s: expect "
                "slow steps",
                reason,
            )
        else:
            logger.info("CPU mixed precision: bfloat16 (train.amp.cpu_dtype=bfloat16; %s)", reason)
        return torch.bfloat16
    if name == "float32":
        logger.info("CPU mixed precision off: float32 (train.amp.cpu_dtype=float32)")
        return torch.float32
    logger.info("CPU mixed precision: %s (%s)", str(dtype)[6:], why)
    return dtype


def training_precision(train_cfg) -> Tuple[str, str]:
    """The precision a config's ``train`` node trains in, and why, without building anything: the rule
    of :func:`ljof.engine.build_trainer` (CUDA: ``amp.enabled``; CPU: ``amp.cpu_dtype`` alone).

    Returns:
        ``(precision, reason)``, e.g. ``("float32", "train.amp.cpu_dtype=auto: the CPU has neither
        AVX512-BF16 nor AMX, so oneDNN would emulate bf16")``.
    """
    amp = train_cfg.get("amp", None) or {}
    device = torch.device(train_cfg.device)
    if device.type == "cuda":
        if amp.get("enabled", False):
            return "float16 AMP", "train.amp.enabled=True on CUDA"
        return "float32", "train.amp.enabled=False on CUDA"
    if device.type != "cpu":
        return "float32", f"{device.type}: no mixed precision"
    dtype, why = _choose_cpu_dtype(amp.get("cpu_dtype", "float32"))
    return str(dtype)[6:], why


def conv_weight_fraction(model: nn.Module) -> float:
    """Fraction of the model's parameter elements that are weights of 2-D convolutions (``Conv2d``,
    ``ConvTranspose2d``); 0 for a model without parameters."""
    conv = total = 0
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            total += p.numel()
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)) and name == "weight":
                conv += p.numel()
    return conv / total if total else 0.0


def resolve_memory_format(name: str, model: nn.Module, device) -> torch.memory_format:
    """The memory format of the model and its input batches for the config value
    ``train.memory_format``.

    Args:
        name: ``"auto"`` (channels_last on a CPU device when :func:`conv_weight_fraction` is at
            least 0.5, else contiguous), ``"channels_last"`` or ``"contiguous"``.
        model: the (unwrapped) model, for ``"auto"``.
        device: the training device (``train.device``).

    Returns:
        ``torch.channels_last`` or ``torch.contiguous_format``; the choice and its reason are logged.

    Raises:
        ValueError: ``name`` is not one of :data:`MEMORY_FORMATS`.
    """
    if name not in MEMORY_FORMATS:
        raise ValueError(f"train.memory_format={name!r}: expected one of {MEMORY_FORMATS}")
    if name != "auto":
        fmt = torch.channels_last if name == "channels_last" else torch.contiguous_format
        logger.info("memory format: %s (train.memory_format=%s)", name, name)
        return fmt
    if torch.device(device).type != "cpu":
        logger.info("memory format: contiguous (train.memory_format=auto: not a CPU device)")
        return torch.contiguous_format
    frac = conv_weight_fraction(model)
    fmt = torch.channels_last if frac >= 0.5 else torch.contiguous_format
    logger.info(
        "memory format: %s (train.memory_format=auto: %.0f%% of the parameters are 2-D convolution "
        "weights; channels_last from 50%%)",
        "channels_last" if fmt is torch.channels_last else "contiguous",
        100 * frac,
    )
    return fmt


def inference_autocast(train_cfg):
    """Context for evaluation: float32 (no autocast) unless ``train.amp.eval_dtype`` is ``"bfloat16"``.

    Args:
        train_cfg: the config's ``train`` node (``device``, optional ``amp.eval_dtype``).

    Raises:
        ValueError: ``eval_dtype`` is neither ``"float32"`` nor ``"bfloat16"``.
    """
    amp = train_cfg.get("amp", None) or {}
    name = amp.get("eval_dtype", "float32")
    if name not in ("float32", "bfloat16"):
        raise ValueError(f"train.amp.eval_dtype={name!r}: expected 'float32' or 'bfloat16'")
    device_type = torch.device(train_cfg.device).type
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=name == "bfloat16")

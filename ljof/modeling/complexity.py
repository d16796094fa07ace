"""Parameter and compute counts of pose networks: fvcore FLOPs and the HRNet repository's convention.

The HRNet repository reports "GFLOPs" as the sum over convolutions of ``weight.numel() * H_out * W_out``
(multiply-adds of the conv weights only; a transposed conv counted at its output size), divided by 2^30.
That convention is not what fvcore computes (fvcore counts one multiply-add of every op, in 1e9), so it is
implemented here with forward hooks on ``Conv2d``/``ConvTranspose2d``; fvcore gives the other figure.
"""

import logging
from typing import Sequence

import torch
from fvcore.nn import FlopCountAnalysis
from torch import nn

__all__ = ["PoseNetwork", "hrnet_convention_gflops", "fvcore_gflops"]

logger = logging.getLogger(__name__)


class PoseNetwork(nn.Module):
    """``head(backbone(x))[-1]``: a tensor-in, tensor-out view of a pose model for analysis tools."""

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))[-1]


def hrnet_convention_gflops(model: nn.Module, input_size: Sequence[int] = (256, 192)) -> float:
    """Conv multiply-adds ``sum(weight.numel() * H_out * W_out) / 2**30`` on one ``(1, 3, H, W)`` input.

    Args:
        model: a module taking ``(B, 3, H, W)`` (e.g. :class:`PoseNetwork`).
        input_size: (H, W) px.
    """
    total = [0]

    def hook(module, _inputs, output):
        total[0] += module.weight.numel() * output.shape[-2] * output.shape[-1]

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))
    ]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, *input_size, device=_device(model)))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return total[0] / 2**30


def fvcore_gflops(model: nn.Module, input_size: Sequence[int] = (256, 192)) -> float:
    """fvcore's count (one multiply-add = one flop) in 1e9 on one ``(1, 3, H, W)`` input."""
    was_training = model.training
    model.eval()
    try:
        flops = FlopCountAnalysis(model, torch.zeros(1, 3, *input_size, device=_device(model)))
        flops.unsupported_ops_warnings(False)
        flops.uncalled_modules_warnings(False)
        return flops.total() / 1e9
    finally:
        model.train(was_training)


def _device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")

"""Optimizer helpers for LazyConfig: ViTPose's layer-wise LR decay and global gradient clipping.

detectron2 v0.6's ``get_default_optimizer_params`` has no per-layer LR factor (upstream added
``lr_factor_func`` later) and its gradient clipping is configured through the yacs ``SOLVER`` node only,
so these two small pieces are written here; they work the same on v0.6 and on upstream main.
"""

import logging
import re
from typing import Any, Dict, List, Optional, Sequence, Type

import torch
from torch import nn

__all__ = ["build_optimizer", "vit_layer_decay_param_groups", "vit_layer_id"]

logger = logging.getLogger(__name__)


def vit_layer_id(name: str, num_layers: int) -> int:
    """Depth of a ViT parameter for layer-wise decay (MMPose/BEiT convention).

    ``pos_embed`` and ``patch_embed`` are layer 0, ``blocks.i`` is layer ``i + 1``, everything after the
    blocks (final norm, head) is layer ``num_layers + 1``.
    """
    if re.search(r"(^|\.)(pos_embed|patch_embed|cls_token)($|\.)", name):
        return 0
    m = re.search(r"(^|\.)blocks\.(\d+)\.", name)
    if m:
        return int(m.group(2)) + 1
    return num_layers + 1


def vit_layer_decay_param_groups(
    model: nn.Module,
    *,
    base_lr: float,
    weight_decay: float,
    layer_decay: float = 0.75,
    num_layers: int = 12,
    no_decay_names: Sequence[str] = ("pos_embed", "cls_token"),
) -> List[Dict[str, Any]]:
    """Parameter groups with ``lr = base_lr * layer_decay ** (num_layers + 1 - layer_id)``.

    Weight decay is 0 for 1-D parameters (biases, norm scales) and for ``no_decay_names`` (ViTPose's
    ``custom_keys``), ``weight_decay`` otherwise. Parameters outside the backbone (the head) get the full
    LR. One group per parameter keeps the mapping obvious; optimizers accept that.
    """
    groups = []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        layer = (
            vit_layer_id(name, num_layers)
            if "backbone." in name or name.startswith("blocks.")
            else (num_layers + 1)
        )
        scale = layer_decay ** (num_layers + 1 - layer)
        no_decay = p.ndim == 1 or any(n in name.split(".") for n in no_decay_names)
        groups.append(
            {
                "params": [p],
                "lr": base_lr * scale,
                "weight_decay": 0.0 if no_decay else weight_decay,
                "name": name,
            }
        )
    return groups


def build_optimizer(
    *,
    optimizer_class: Type[torch.optim.Optimizer],
    params,
    max_grad_norm: Optional[float] = None,
    **kwargs,
) -> torch.optim.Optimizer:
    """``optimizer_class(params, **kwargs)``, clipping the global gradient norm before every step.

    Args:
        optimizer_class: e.g. ``torch.optim.AdamW``.
        params: parameters or parameter groups (e.g. from ``get_default_optimizer_params``; LazyConfig
            files leave ``params.model`` for the training script to fill, as in detectron2).
        max_grad_norm: clip the 2-norm of all gradients together to this value (MMPose's
            ``clip_grad=dict(max_norm=...)``); None for no clipping.
        kwargs: the optimizer's own arguments (lr, weight_decay, betas, ...).
    """
    optimizer = optimizer_class(params, **kwargs)
    if max_grad_norm is not None:
        if max_grad_norm <= 0:
            raise ValueError(f"max_grad_norm must be positive, got {max_grad_norm}")
        tensors = [p for g in optimizer.param_groups for p in g["params"]]

        # A step pre-hook runs inside optimizer.step(), after AMP's GradScaler has unscaled the grads.
        def _clip(opt, args, kw):
            torch.nn.utils.clip_grad_norm_(tensors, max_norm=max_grad_norm)

        optimizer.register_step_pre_hook(_clip)
    return optimizer

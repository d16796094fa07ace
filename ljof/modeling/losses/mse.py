"""Weighted heatmap MSE (MMPose's ``KeypointMSELoss``): mean over all elements of ``(pred - gt)^2 * w``."""

import logging
from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

__all__ = ["KeypointMSELoss", "weighted_heatmap_mse"]

logger = logging.getLogger(__name__)


def weighted_heatmap_mse(
    pred: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor]
) -> torch.Tensor:
    """``mean_{B,K,H,W}((pred - target)^2 * weight[b, k])`` (no 0.5 factor).

    Args:
        pred, target: ``(B, K, H, W)`` heatmaps.
        weight: ``(B, K)`` per-joint weights, or None for all ones.
    """
    if pred.shape != target.shape:
        raise ValueError(
            f"heatmap MSE: prediction {tuple(pred.shape)} and target {tuple(target.shape)} differ"
        )
    err = (pred - target) ** 2
    if weight is not None:
        if weight.shape != pred.shape[:2]:
            raise ValueError(
                f"heatmap MSE: weights {tuple(weight.shape)} do not match (B, K) = "
                f"{tuple(pred.shape[:2])}"
            )
        err = err * weight[:, :, None, None]
    return err.mean()


class KeypointMSELoss(nn.Module):
    """Heatmap MSE over every head output; returns ``{"loss_heatmap": sum_i output_weights[i] * mse_i}``.

    Signature (docs/interfaces.md): ``loss(outputs, targets, weights)`` with lists of ``(B, K, h_i, w_i)``
    predictions and targets and ``(B, K)`` weights, one entry per head output.

    Args:
        use_target_weight: multiply the squared error by the per-joint weights.
        loss_weight: global factor.
        output_weights: one factor per head output (default: 1 for each).
    """

    def __init__(
        self,
        *,
        use_target_weight: bool = True,
        loss_weight: float = 1.0,
        output_weights: Optional[Sequence[float]] = None,
    ):
        super().__init__()
        self.use_target_weight = use_target_weight
        self.loss_weight = float(loss_weight)
        self.output_weights = None if output_weights is None else [float(w) for w in output_weights]

    def forward(
        self,
        outputs: List[torch.Tensor],
        targets: List[torch.Tensor],
        weights: List[torch.Tensor],
    ) -> Dict[str, torch.Tensor]:
        if len(outputs) != len(targets) or len(outputs) != len(weights):
            raise ValueError(
                f"KeypointMSELoss: {len(outputs)} outputs, {len(targets)} targets and "
                f"{len(weights)} weight tensors; the mapper must give one target per head output"
            )
        factors = self.output_weights or [1.0] * len(outputs)
        if len(factors) != len(outputs):
            raise ValueError(
                f"KeypointMSELoss: {len(factors)} output_weights for {len(outputs)} outputs"
            )
        total = outputs[0].new_zeros(())
        for pred, gt, w, f in zip(outputs, targets, weights, factors):
            total = total + f * weighted_heatmap_mse(
                pred, gt, w if self.use_target_weight else None
            )
        return {"loss_heatmap": total * self.loss_weight}

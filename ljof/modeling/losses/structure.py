"""Heatmap MSE plus a λ-weighted *structure* term: the common form of the LJOF paper's Dynamic Structure
Loss (its Eq. 4-6) and of the structure-aware loss of Ke et al. (ECCV 2018) that its Table 9 compares.

``L = L_MSE + λ · L_S`` with

* ``L_MSE = mean((P - G)^2 · w)`` over all elements (MMPose's ``KeypointMSELoss`` scale,
  ``mmpose/models/losses/heatmap_loss.py``);
* ``L_S = mean((M(w·P) - M(w·G))^2)`` over the R structure maps ``S_r = Σ_k M[r, k] · w_k · H_k``,
  where ``M`` is a fixed 0/1 matrix (R, K): row r has ones at the joints of group r (a joint and its
  neighbours). The two losses differ only in ``M`` (limb chains vs the whole skeleton).

``λ`` follows ``lambda_schedule`` of training progress ``iteration / max_iter``, the iteration read from
detectron2's ``EventStorage`` at every training forward (:class:`~.scheduled_weight.ScheduledWeight`), so
every detectron2 trainer, the stock ``tools/lazyconfig_train_net.py`` included, applies it; without a
schedule λ is the constant attribute ``lambda_limb``. ``M`` is applied over the channel dimension with
``einsum``, so the loss does not depend on the heatmap resolution and works on every output of a
multi-output head (SRPose).
"""

from typing import Callable, Dict, List, Optional

import torch
from torch import nn

from .mse import weighted_heatmap_mse
from .scheduled_weight import ScheduledWeight

__all__ = ["HeatmapStructureLoss"]


class HeatmapStructureLoss(nn.Module):
    """Weighted heatmap MSE plus λ × the structure-map MSE of a fixed 0/1 matrix, on a list of outputs.

    ``forward`` returns ``{"loss_heatmap": ..., <structure_key>: ...}``, each already multiplied by its
    weight (``loss_weight``; the structure term also by ``lambda_limb``), so detectron2's trainer sums them
    and both appear in the logs. With several outputs (a multi-stage head) each term is summed over them.
    Subclasses build the matrix and name the structure term (``structure_key``).
    """

    structure_key = "loss_structure"

    def __init__(
        self,
        *,
        structure_matrix: torch.Tensor,
        lambda_limb: float = 0.0,
        lambda_schedule: Optional[Callable[[float], float]] = None,
        max_iter: Optional[int] = None,
        loss_weight: float = 1.0,
        use_target_weight: bool = True,
        normalize_maps: bool = False,
    ):
        """
        Args:
            structure_matrix: float (R, K) 0/1 matrix; row r selects the joints of structure map r.
            lambda_limb: λ when there is no ``lambda_schedule``; with one, the λ of the last call.
            lambda_schedule: ``progress in [0, 1] -> λ`` (``ljof.engine.LimbLambdaSchedule``); when
                given, every call reads the iteration from detectron2's ``EventStorage`` (and raises
                ``RuntimeError`` outside one) and logs λ as the scalar ``lambda_limb``.
            max_iter: iterations of the whole schedule (the configs: ``"${train.max_iter}"``);
                required with ``lambda_schedule``.
            loss_weight: factor on both terms.
            use_target_weight: multiply each joint by its target weight (MMPose's default). When
                False, every joint has weight 1.
            normalize_maps: divide structure map r by ``sqrt(n_r)``, ``n_r`` the number of joints it
                sums (row r of the matrix scaled by ``1 / sqrt(n_r)``). With independent per-joint
                errors of equal variance the structure term then has the heatmap term's scale, so λ = 1
                weighs the two alike; without it a map of n joints weighs about n times (the limb maps
                sum 2 or 3 joints, 8/3 on average for the two 6-joint chains of COCO
                and CrowdPose). This project's option; the paper
                is silent on the scale (docs/training.md).
        """
        super().__init__()
        if structure_matrix.dim() != 2 or structure_matrix.shape[0] == 0:
            raise ValueError(
                f"structure_matrix must be (R, K) with R > 0, got {tuple(structure_matrix.shape)}"
            )
        self.num_keypoints = int(structure_matrix.shape[1])
        self.lambda_limb = float(lambda_limb)
        self.lambda_schedule = (
            None
            if lambda_schedule is None
            else ScheduledWeight(schedule=lambda_schedule, max_iter=max_iter, name="lambda_limb")
        )
        self.loss_weight = float(loss_weight)
        self.use_target_weight = bool(use_target_weight)
        self.normalize_maps = bool(normalize_maps)
        structure_matrix = structure_matrix.to(torch.float32)
        if self.normalize_maps:
            counts = structure_matrix.sum(dim=1, keepdim=True)
            if (counts <= 0).any():
                raise ValueError(
                    "normalize_maps: every row of structure_matrix must select a joint"
                )
            structure_matrix = structure_matrix / counts.sqrt()
        # Not persistent: the matrix follows from the metadata, and a checkpoint of a model trained with
        # a structure loss must have exactly the keys of the baseline's (no extra inference state).
        self.register_buffer("structure_matrix", structure_matrix, persistent=False)

    def _check(self, i: int, pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor):
        if pred.dim() != 4 or pred.shape[1] != self.num_keypoints:
            raise ValueError(
                f"output {i}: expected predicted heatmaps (B, {self.num_keypoints}, h, w), "
                f"got shape {tuple(pred.shape)}"
            )
        if target.shape != pred.shape:
            raise ValueError(
                f"output {i}: target shape {tuple(target.shape)} != prediction shape {tuple(pred.shape)}"
            )
        if weight is not None and tuple(weight.shape) != tuple(pred.shape[:2]):
            raise ValueError(
                f"output {i}: target weights must be (B, K) = {tuple(pred.shape[:2])}, "
                f"got {tuple(weight.shape)}"
            )

    def forward(
        self,
        outputs: List[torch.Tensor],
        targets: List[torch.Tensor],
        weights: Optional[List[torch.Tensor]] = None,
    ) -> Dict[str, torch.Tensor]:
        """
        Args:
            outputs: predicted heatmaps, a list of (B, K, h_i, w_i) tensors (any resolutions).
            targets: target heatmaps of the same shapes.
            weights: per-joint target weights, a list of (B, K) tensors (ignored when
                ``use_target_weight`` is False; may then be None).

        Returns:
            dict with scalar tensors ``loss_heatmap`` (loss_weight · Σ_i mean((P - G)^2 · w)) and
            ``<structure_key>`` (loss_weight · λ · Σ_i mean((M(w·P) - M(w·G))^2)).
        """
        name = type(self).__name__
        if not isinstance(outputs, (list, tuple)) or not isinstance(targets, (list, tuple)):
            raise TypeError(f"{name} expects lists of heatmap tensors (one per output)")
        if len(outputs) == 0 or len(outputs) != len(targets):
            raise ValueError(f"{name}: got {len(outputs)} outputs and {len(targets)} targets")
        if self.use_target_weight:
            if weights is None or len(weights) != len(outputs):
                raise ValueError(
                    f"{name}: use_target_weight=True needs one (B, K) weight tensor per output, "
                    f"got {weights!r:.80}"
                )
        if self.lambda_schedule is not None:
            self.lambda_limb = self.lambda_schedule()
        loss_hm = outputs[0].new_zeros(())
        loss_structure = outputs[0].new_zeros(())
        for i, (pred, target) in enumerate(zip(outputs, targets)):
            weight = weights[i] if self.use_target_weight else None
            self._check(i, pred, target, weight)
            target = target.to(pred.dtype)
            if weight is None:
                w = pred.new_ones(pred.shape[:2])
            else:
                w = weight.to(pred.dtype)
            loss_hm = loss_hm + weighted_heatmap_mse(pred, target, w)
            # (pred - target) summed through M equals M·pred - M·target: one einsum instead of two.
            matrix = self.structure_matrix.to(dtype=pred.dtype)
            diff = torch.einsum("jk,bkhw->bjhw", matrix, (pred - target) * w[:, :, None, None])
            loss_structure = loss_structure + (diff**2).mean()
        return {
            "loss_heatmap": loss_hm * self.loss_weight,
            self.structure_key: loss_structure * (self.loss_weight * self.lambda_limb),
        }

    def extra_repr(self) -> str:
        return (
            f"num_keypoints={self.num_keypoints}, structure_maps={self.structure_matrix.shape[0]}, "
            f"lambda_limb={self.lambda_limb}, loss_weight={self.loss_weight}"
        )

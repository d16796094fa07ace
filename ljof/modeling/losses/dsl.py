"""The Dynamic Structure Loss (DSL) of the LJOF paper (its Eq. 4-6).

``L = L_MSE + λ(t) · L_LSL``:

* ``L_MSE`` is the target-weighted heatmap MSE, the mean over all elements of ``(P - G)^2 · w``
  (MMPose's ``KeypointMSELoss`` scale, ``mmpose/models/losses/heatmap_loss.py``);
* ``L_LSL`` is the same mean over the 12 limb *structure maps*: for limb joint j with chain neighbours
  N(j), ``S_j = Σ_{n ∈ {j} ∪ N(j)} w_n · H_n``, formed identically from the prediction and the target
  (the target weighting is this project's choice where the paper is silent; docs/training.md). The
  neighbours come from the dataset metadata field ``keypoint_limb_chains`` (two index lists; adjacent
  entries are neighbours), never from hard-coded indices;
* ``λ(t)`` follows ``lambda_schedule`` of training progress ``t = iteration / max_iter``; the iteration is
  read from detectron2's ``EventStorage`` at every training forward (:class:`ScheduledWeight`), so any
  detectron2 trainer, detectron2's stock ``tools/lazyconfig_train_net.py`` included, trains with the
  configured schedule (docs/training.md, "λ schedule"). Without a schedule λ is the constant
  :attr:`DynamicStructureLoss.lambda_limb`.

The structure maps are a fixed 0/1 matrix ``M`` of shape (J, K) (J = number of limb joints, 12) applied
over the channel dimension with ``einsum`` (:class:`~ljof.modeling.losses.structure.HeatmapStructureLoss`,
shared with Ke et al.'s structure-aware loss), so the loss does not depend on the heatmap resolution and
works on every output of a multi-output head (SRPose).
"""

import logging
from typing import Callable, List, Optional, Sequence

import torch

from .structure import HeatmapStructureLoss

__all__ = ["DynamicStructureLoss", "limb_chains_from_metadata", "limb_structure_matrix"]

logger = logging.getLogger(__name__)


def limb_chains_from_metadata(metadata) -> List[List[int]]:
    """The ``keypoint_limb_chains`` field of a dataset's metadata (``MetadataCatalog.get(name)`` or a dict).

    Raises:
        ValueError: the metadata has no such field (a dataset registered without a keypoint set).
    """
    chains = metadata.get("keypoint_limb_chains", None)
    if not chains:
        name = getattr(metadata, "name", "the given metadata")
        raise ValueError(
            f"dataset '{name}': its metadata has no keypoint_limb_chains; register it with a keypoint "
            "set (ljof.data.register_keypoint_dataset(..., keypoint_set=...))"
        )
    return [[int(i) for i in chain] for chain in chains]


def limb_structure_matrix(limb_chains: Sequence[Sequence[int]], num_keypoints: int) -> torch.Tensor:
    """The 0/1 matrix that forms limb structure maps from joint heatmaps.

    Args:
        limb_chains: chains of keypoint indices (metadata ``keypoint_limb_chains``); each entry's
            neighbours are the entries right before and after it in its chain.
        num_keypoints: K, the number of heatmap channels.

    Returns:
        float32 tensor (J, K), J = total number of chain entries; row r has ones at the r-th limb joint
        and at its chain neighbours. Rows follow the chains in order.
    """
    if num_keypoints <= 0:
        raise ValueError(f"num_keypoints must be positive, got {num_keypoints}")
    rows = []
    seen = set()
    for c, chain in enumerate(limb_chains):
        chain = [int(i) for i in chain]
        if len(chain) < 2:
            raise ValueError(f"limb chain {c} needs at least 2 joints, got {chain}")
        for joint in chain:
            if not 0 <= joint < num_keypoints:
                raise ValueError(
                    f"limb chain {c} = {chain} has keypoint index {joint}, outside [0, {num_keypoints})"
                )
            if joint in seen:
                raise ValueError(f"keypoint {joint} appears twice in the limb chains {limb_chains}")
            seen.add(joint)
        for pos, joint in enumerate(chain):
            row = torch.zeros(num_keypoints, dtype=torch.float32)
            row[chain[max(pos - 1, 0) : pos + 2]] = 1.0  # the joint and its chain neighbours
            rows.append(row)
    if not rows:
        raise ValueError("limb_chains is empty")
    return torch.stack(rows)


class DynamicStructureLoss(HeatmapStructureLoss):
    """Weighted heatmap MSE plus λ × limb structure loss, on a list of outputs
    (:class:`~ljof.modeling.losses.structure.HeatmapStructureLoss` with the limb matrix).

    ``forward`` returns ``{"loss_heatmap": ..., "loss_limb": ...}``, each already multiplied by its
    weight (``loss_weight``; the limb term also by ``lambda_limb``), so detectron2's trainer sums them and
    both appear in the logs. With several outputs (a multi-stage head) each term is summed over them.
    """

    structure_key = "loss_limb"

    def __init__(
        self,
        *,
        limb_chains: Sequence[Sequence[int]],
        num_keypoints: int,
        lambda_limb: float = 0.0,
        lambda_schedule: Optional[Callable[[float], float]] = None,
        max_iter: Optional[int] = None,
        loss_weight: float = 1.0,
        use_target_weight: bool = True,
        normalize_maps: bool = False,
    ):
        """
        Args:
            limb_chains: metadata ``keypoint_limb_chains`` of the dataset (two index lists for COCO-17
                and CrowdPose-14).
            num_keypoints: K, the number of heatmap channels.
            lambda_limb: λ when there is no ``lambda_schedule``; with one, the λ of the last call.
            lambda_schedule: ``progress in [0, 1] -> λ`` (``ljof.engine.LimbLambdaSchedule``); when
                given, every call reads the iteration from detectron2's ``EventStorage`` (and raises
                ``RuntimeError`` outside one) and logs λ as ``lambda_limb``.
            max_iter: iterations of the whole schedule (the configs: ``"${train.max_iter}"``);
                required with ``lambda_schedule``.
            loss_weight: factor on both terms.
            use_target_weight: multiply each joint by its target weight (MMPose's default). When
                False, every joint has weight 1.
            normalize_maps: scale each limb map by ``1 / sqrt(joints in it)`` so that λ = 1 weighs
                the limb term like the heatmap term
                (:class:`~ljof.modeling.losses.structure.HeatmapStructureLoss`).

        Raises:
            ValueError: ``lambda_schedule`` without a positive ``max_iter``.
        """
        super().__init__(
            structure_matrix=limb_structure_matrix(limb_chains, int(num_keypoints)),
            lambda_limb=lambda_limb,
            lambda_schedule=lambda_schedule,
            max_iter=max_iter,
            loss_weight=loss_weight,
            use_target_weight=use_target_weight,
            normalize_maps=normalize_maps,
        )

    def extra_repr(self) -> str:
        return (
            f"num_keypoints={self.num_keypoints}, limb_joints={self.structure_matrix.shape[0]}, "
            f"lambda_limb={self.lambda_limb}, loss_weight={self.loss_weight}, "
            f"normalize_maps={self.normalize_maps}"
        )

"""The structure-aware loss of Ke et al. (ECCV 2018, "Multi-Scale Structure-Aware Network for Human Pose
Estimation", §3.3), as the LJOF paper's Table 9 compares it with its Dynamic Structure Loss.

Ke et al. add to the per-joint heatmap loss, for every joint i, a term between the predicted and the
ground-truth heatmaps of the *group* ``S_i`` = joint i and its neighbours on the skeleton, weighted by a
factor (their α; λ here), and average over the N joints:
``L = 1/N Σ_i (‖P_i − G_i‖ + α ‖P_{S_i} − G_{S_i}‖)``.

Here ``S_i`` comes from the whole skeleton of the keypoint set's metadata (detectron2's
``keypoint_connection_rules``; COCO-17: 19 edges including the face and ear-shoulder ones, CrowdPose-14:
14 edges through head and neck), so there are K groups, one per joint, where the DSL has 12 over the
two limb chains.

**The group is summed, not stacked.** A stacked group under the squared error (the heatmap MSE that
every loss of this project uses) gives ``Σ_{n ∈ S_i} ‖P_n − G_n‖²``, i.e. only a per-joint reweighting of
the MSE (joint n weighted by 1 + λ·(deg n + 1)) in which no two joints interact. Summing the group's
heatmaps, ``‖Σ_{n ∈ S_i} (P_n − G_n)‖²``, keeps the cross terms between neighbours, which is what makes
the term structural; it is also how the LJOF paper forms its structure heatmaps from Ke et al.'s idea
(§3.3), so Table 9 then compares what the paper says differs: the neighbourhoods (whole skeleton vs limb
chains) and the weighting (constant vs step λ). The norm is the squared mean of
:class:`~ljof.modeling.losses.structure.HeatmapStructureLoss`, the DSL's scale, so λ means the same in
both losses.
"""

from typing import Callable, List, Optional, Sequence, Tuple

import torch

from .structure import HeatmapStructureLoss

__all__ = [
    "StructureAwareLoss",
    "skeleton_edges_from_metadata",
    "skeleton_structure_matrix",
]


def skeleton_edges_from_metadata(metadata) -> List[Tuple[int, int]]:
    """The skeleton's edges as index pairs, from ``keypoint_connection_rules`` and ``keypoint_names``.

    Args:
        metadata: detectron2 ``Metadata`` or a dict with ``keypoint_names`` (K names) and
            ``keypoint_connection_rules`` (``(name_a, name_b, color)`` triples, detectron2's field).

    Raises:
        ValueError: a field is missing, or a rule names a joint that is not in ``keypoint_names``.
    """
    names = metadata.get("keypoint_names", None)  # detectron2 Metadata and dict alike
    rules = metadata.get("keypoint_connection_rules", None)
    if not names or not rules:
        raise ValueError(
            "metadata needs keypoint_names and keypoint_connection_rules for the skeleton's edges"
        )
    index = {n: i for i, n in enumerate(names)}
    edges = []
    for rule in rules:
        a, b = rule[0], rule[1]
        if a not in index or b not in index:
            raise ValueError(
                f"keypoint_connection_rules entry {tuple(rule)!r} names a joint not in keypoint_names"
            )
        edges.append((index[a], index[b]))
    return edges


def skeleton_structure_matrix(edges: Sequence[Sequence[int]], num_keypoints: int) -> torch.Tensor:
    """The (K, K) 0/1 matrix ``I + A`` of the skeleton: row i has ones at joint i and its neighbours.

    Args:
        edges: index pairs (i, j) of the skeleton (undirected; repeats are harmless).
        num_keypoints: K.

    Raises:
        ValueError: K <= 0, no edge, an index outside [0, K), or an edge from a joint to itself.
    """
    if num_keypoints <= 0:
        raise ValueError(f"num_keypoints must be positive, got {num_keypoints}")
    if len(edges) == 0:
        raise ValueError("the skeleton has no edge")
    matrix = torch.eye(num_keypoints, dtype=torch.float32)
    for e, edge in enumerate(edges):
        a, b = (int(v) for v in edge)
        if not (0 <= a < num_keypoints and 0 <= b < num_keypoints):
            raise ValueError(f"skeleton edge {e} = {(a, b)} is outside [0, {num_keypoints})")
        if a == b:
            raise ValueError(f"skeleton edge {e} joins keypoint {a} to itself")
        matrix[a, b] = matrix[b, a] = 1.0
    return matrix


class StructureAwareLoss(HeatmapStructureLoss):
    """Heatmap MSE plus λ × Ke et al.'s structure-aware term over each joint's skeleton neighbourhood.

    ``forward(outputs, targets, weights)`` (lists of (B, K, h, w) heatmaps and (B, K) weights) returns
    ``{"loss_heatmap": mean((P − G)²·w), "loss_structure": λ · mean((M(w·P) − M(w·G))²)}`` with
    ``M = I + A`` (K, K) from the skeleton, both times ``loss_weight``. λ is the attribute
    ``lambda_limb``, constant (Ke et al.'s fixed weight) or following ``lambda_schedule`` of the trainer's
    iteration like the DSL's (the step schedule is Table 9's "with dynamic weights" row).
    """

    structure_key = "loss_structure"

    def __init__(
        self,
        *,
        skeleton_edges: Sequence[Sequence[int]],
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
            skeleton_edges: index pairs of the skeleton (:func:`skeleton_edges_from_metadata`).
            num_keypoints: K, the number of heatmap channels.
            lambda_limb: the weight λ of the structure term when there is no ``lambda_schedule`` (Ke et
                al.'s constant weight).
            lambda_schedule, max_iter: λ as a schedule of training progress, read from detectron2's
                ``EventStorage`` (:class:`~ljof.modeling.losses.structure.HeatmapStructureLoss`).
            loss_weight: factor on both terms.
            use_target_weight: multiply each joint by its target weight (MMPose's default).
            normalize_maps: scale each structure map by ``1 / sqrt(joints in it)``
                (:class:`~ljof.modeling.losses.structure.HeatmapStructureLoss`).
        """
        super().__init__(
            structure_matrix=skeleton_structure_matrix(skeleton_edges, int(num_keypoints)),
            lambda_limb=lambda_limb,
            lambda_schedule=lambda_schedule,
            max_iter=max_iter,
            loss_weight=loss_weight,
            use_target_weight=use_target_weight,
            normalize_maps=normalize_maps,
        )

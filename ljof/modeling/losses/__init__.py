"""Losses of the top-down heatmap models (all share the signature of docs/interfaces.md)."""

from .dsl import DynamicStructureLoss, limb_chains_from_metadata, limb_structure_matrix
from .mse import KeypointMSELoss, weighted_heatmap_mse
from .scheduled_weight import ScheduledWeight
from .structure import HeatmapStructureLoss
from .structure_aware import (
    StructureAwareLoss,
    skeleton_edges_from_metadata,
    skeleton_structure_matrix,
)

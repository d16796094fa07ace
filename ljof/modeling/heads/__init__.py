"""Heatmap heads; each returns a list of (B, K, h_i, w_i) tensors, the last one decoded."""

from .heatmap_head import HeatmapHead, init_head_weights
from .srpose_head import SRPoseHead

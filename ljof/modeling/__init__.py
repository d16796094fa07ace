"""Modeling: backbones, heatmap heads, losses and the top-down meta-architecture."""
from .losses import *

"""Modeling: backbones, heatmap heads, losses and the top-down meta-architecture."""
from .losses import *
from .backbone import *
from .heads import *
from .meta_arch import *

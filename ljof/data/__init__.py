"""Data: dataset registration (``ljof.data.datasets``), the top-down mapper, LJA and heatmap codecs."""
from .datasets import *

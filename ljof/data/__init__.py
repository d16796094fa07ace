"""Data: dataset registration (``ljof.data.datasets``), the top-down mapper, LJA and heatmap codecs."""

from .datasets import *
from .codecs import DARKHeatmap, HeatmapCodec, MSRAHeatmap, UDPHeatmap, build_codec
from .transforms import crop_to_image

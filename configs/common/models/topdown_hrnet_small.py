"""A reduced HRNet for CPU jobs: width 16, one module of two blocks per stage, two stage-1 bottlenecks,
a 32-channel stem; 1,268,993 parameters with 17 keypoints. Everything else as HRNet-W32.
"""

from .topdown_hrnet import model

model.backbone.update(
    width=16, num_modules=(1, 1, 1), num_blocks=(2, 2, 2), stage1_num_blocks=2, stem_channels=32
)

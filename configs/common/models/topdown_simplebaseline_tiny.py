"""A reduced SimpleBaseline for CPU tests: ResNet-18 trunk + two 4x4 deconvolutions of 32 channels;
11,455,729 parameters with 17 keypoints (heatmaps at stride 8).
"""

from .topdown_simplebaseline import model

model.backbone.depth = 18  # the head's input (512 channels) follows
model.head.update(deconv_out_channels=(32, 32), deconv_kernel_sizes=(4, 4))
model.codec.heatmap_size = (24, 32)  # stride 8 on the 192x256 crops: the head's output size

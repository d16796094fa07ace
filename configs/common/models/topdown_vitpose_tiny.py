"""A reduced ViTPose for CPU tests: ViT with 64 dimensions, 2 blocks, 4 heads, no drop path, and two
deconvolutions of 32 channels; 211,505 parameters with 17 keypoints.
"""

from .topdown_vitpose import model

model.backbone.update(embed_dim=64, depth=2, num_heads=4, drop_path_rate=0.0)
model.head.deconv_out_channels = (32, 32)

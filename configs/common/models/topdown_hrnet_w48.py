"""HRNet-W48 top-down model, 256x192, COCO-17: 63,595,745 parameters (MMPose
``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w48_8xb32-210e_coco-256x192.py``).
"""

from .topdown_hrnet import model

model.backbone.width = 48  # the head's input follows

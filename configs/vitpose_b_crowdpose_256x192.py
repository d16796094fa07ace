"""ViTPose-B, 256x192, trained on CrowdPose trainval -> CrowdPose test
with detections (baseline).

Reproduces: Table 4 row "ViTPose-B" (CrowdPose test, AP / AP easy / medium / hard)
and Table 6 row "ViTPose-B" (CrowdPose test columns: AP 66.5).
Same model and recipe as vitpose_b_coco_256x192.py with 14 keypoints and batch 8 x 32.
"""

from .common.crowdpose import use_crowdpose as _use_crowdpose
from .vitpose_b_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

_use_crowdpose(dataloader=dataloader, model=model, train=train, lr_multiplier=lr_multiplier)
train.output_dir = "./output/vitpose_b_crowdpose_256x192"

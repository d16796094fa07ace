"""SRPose-style HRNet-W32, 256x192, trained on CrowdPose trainval -> CrowdPose test
with detections (baseline).

Reproduces: Table 4 row "SRPose, HRNet-W32" (CrowdPose test, AP / AP easy / medium / hard).
Same model and recipe as srpose_hrnet_w32_coco_256x192.py with 14 keypoints and batch 8 x 32.
"""

from .common.crowdpose import use_crowdpose as _use_crowdpose
from .srpose_hrnet_w32_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

_use_crowdpose(dataloader=dataloader, model=model, train=train, lr_multiplier=lr_multiplier)
train.output_dir = "./output/srpose_hrnet_w32_crowdpose_256x192"

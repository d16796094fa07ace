"""HRNet-W48, 256x192, trained on COCO train2017 (baseline).

Reproduces: Table 1 row "HRNet, HRNet-W48, 256x192" (OCHuman test, GT boxes: AP 61.1) and Table 3 row
"HRNet-W48" (COCO val2017, AP56 detections; MMPose 0.756).
"""

from .common.models.topdown_hrnet_w48 import model
from .common.schedule import use_total_batch_size as _use_total_batch_size
from .hrnet_w32_coco_256x192 import dataloader, lr_multiplier, optimizer, train

train.init_checkpoint = (
    "https://download.openmmlab.com/mmpose/pretrain_models/hrnet_w48-8ef0771d.pth"
)
train.output_dir = "./output/hrnet_w48_coco_256x192"
# 8 x 32 (MMPose td-hm_hrnet-w48_8xb32-210e): 586 it/epoch, 123,060 iterations
_use_total_batch_size(256, dataloader=dataloader, train=train, lr_multiplier=lr_multiplier)

"""HRNet-W32, 256x192, trained on COCO train2017 (baseline).

Reproduces: Table 1 row "HRNet, HRNet-W32, 256x192" (OCHuman test, GT boxes: AP 59.1) and Table 3 row
"HRNet-W32" (COCO val2017 with AP56 person detections; MMPose 0.749). Evaluates on both, in that order.
"""

from .common.data.topdown_coco import dataloader
from .common.models.topdown_hrnet import model
from .common.schedule import lr_multiplier, optimizer, train

# ImageNet HRNet-W32 (MMPose's pretrained model, also the official HRNet repository's), converted by
# ljof.checkpoint.PoseCheckpointer
train.init_checkpoint = (
    "https://download.openmmlab.com/mmpose/pretrain_models/hrnet_w32-36af842e.pth"
)
train.output_dir = "./output/hrnet_w32_coco_256x192"
# batch: the data config's 8 x 64 (MMPose td-hm_hrnet-w32_8xb64-210e_coco-256x192)

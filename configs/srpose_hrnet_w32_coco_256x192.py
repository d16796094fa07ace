"""SRPose-style HRNet-W32 (multi-resolution head), 256x192, trained on COCO train2017 (baseline).

Reproduces: Table 1 row "SRPose*, HRNet-W32, 256x192" (OCHuman test, GT boxes: AP 61.4) and Table 3 row
"SRPose" (COCO val2017; SRPose README 75.9). Every head output is supervised (one target per output).
"""

from .common.models.topdown_srpose import _SRPOSE_CODECS
from .common.models.topdown_srpose import model
from .common.schedule import use_total_batch_size as _use_total_batch_size
from .hrnet_w32_coco_256x192 import dataloader, lr_multiplier, optimizer, train

train.output_dir = "./output/srpose_hrnet_w32_coco_256x192"
dataloader.train.mapper.codecs = list(_SRPOSE_CODECS)  # the test data decode model.codec only
# SRPose: 32 per GPU (SRPose configs/top_down/srpose/coco/hrnet_w32_srpose_coco_256x192.py); 8 GPUs
_use_total_batch_size(256, dataloader=dataloader, train=train, lr_multiplier=lr_multiplier)

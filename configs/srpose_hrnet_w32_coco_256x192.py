"""SRPose-style HRNet-W32 (multi-resolution head), 256x192, trained on COCO train2017 (baseline).

Reproduces: Table 1 row "SRPose*, HRNet-W32, 256x192" (OCHuman test, GT boxes: AP 61.4) and Table 3 row
"SRPose" (COCO val2017; SRPose README 75.9). Every head output is supervised (one target per output).
"""

from ljof.engine import COCO_TRAIN_INSTANCES, epoch_train_settings

from .common.models.topdown_srpose import _SRPOSE_CODECS
from .common.models.topdown_srpose import model
from .hrnet_w32_coco_256x192 import dataloader, lr_multiplier, optimizer, train

train.output_dir = "./output/srpose_hrnet_w32_coco_256x192"
dataloader.train.mapper.codecs = list(_SRPOSE_CODECS)
dataloader.test.mapper.codecs = [model.codec]
# SRPose: 32 per GPU (reference §2.2); 8 GPUs
dataloader.train.total_batch_size = 256
train.update(epoch_train_settings(num_instances=COCO_TRAIN_INSTANCES, total_batch_size=256))
lr_multiplier.total_batch_size = 256

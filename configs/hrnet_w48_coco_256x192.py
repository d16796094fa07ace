"""HRNet-W48, 256x192, trained on COCO train2017 (baseline).

Reproduces: Table 1 row "HRNet, HRNet-W48, 256x192" (OCHuman test, GT boxes: AP 61.1) and Table 3 row
"HRNet-W48" (COCO val2017, AP56 detections; MMPose 0.756).
"""

from ljof.engine import COCO_TRAIN_INSTANCES, epoch_train_settings

from .hrnet_w32_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

model.backbone.width = 48
model.head.input_shape.channels = 48
train.init_checkpoint = (
    "https://download.openmmlab.com/mmpose/pretrain_models/hrnet_w48-8ef0771d.pth"
)
train.output_dir = "./output/hrnet_w48_coco_256x192"
# 8 x 32 (MMPose td-hm_hrnet-w48_8xb32-210e): 586 it/epoch, 123,060 iterations
dataloader.train.total_batch_size = 256
train.update(epoch_train_settings(num_instances=COCO_TRAIN_INSTANCES, total_batch_size=256))
lr_multiplier.total_batch_size = 256

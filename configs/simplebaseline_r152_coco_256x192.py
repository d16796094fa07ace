"""SimpleBaseline ResNet-152, 256x192, trained on COCO train2017 (baseline).

Reproduces: Table 1 row "SimpleBaseline, ResNet-152, 256x192" (OCHuman test, GT boxes: AP 57.0) and
Table 3 row "SimpleBaseline" (COCO val2017, AP56 detections; MMPose 0.736).
"""

from .common.models.topdown_simplebaseline import model
from .common.schedule import use_total_batch_size as _use_total_batch_size
from .hrnet_w32_coco_256x192 import dataloader, lr_multiplier, optimizer, train

# torchvision ImageNet ResNet-152 (MMPose torchvision://resnet152), converted by PoseCheckpointer
train.init_checkpoint = "https://download.pytorch.org/models/resnet152-394f9c45.pth"
train.output_dir = "./output/simplebaseline_r152_coco_256x192"
# 8 x 32 (MMPose td-hm_res152_8xb32-210e): 586 it/epoch, 123,060 iterations
_use_total_batch_size(256, dataloader=dataloader, train=train, lr_multiplier=lr_multiplier)

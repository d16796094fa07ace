"""ViTPose-B (classic decoder), 256x192, trained on COCO train2017 (baseline).

Reproduces: Table 1 row "ViTPose-B*, ViT-B, 256x192" (OCHuman test, GT boxes: AP 59.5), Table 3 row
"ViTPose-B" (COCO val2017; MMPose 0.757) and the baseline row of the ablations (Tables 6-8).
Recipe of MMPose
``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_ViTPose-base_8xb64-210e_coco-256x192.py``: AdamW
5e-4, weight decay 0.1 (none on biases, norms and the position embedding), layer-wise LR decay 0.75 over
12 blocks, drop path 0.3, gradient clipping at norm 1.0, UDP.
"""

import torch
from detectron2.config import LazyCall as L

from ljof.engine import build_optimizer, vit_layer_decay_param_groups

from .common.models.topdown_vitpose import model
from .hrnet_w32_coco_256x192 import dataloader, lr_multiplier, train

# MAE ImageNet ViT-B/16 (MMPose mae_pretrain_vit_base_20230913), converted (pos embed resized) on load
train.init_checkpoint = (
    "https://download.openmmlab.com/mmpose/v1/pretrained_models/mae_pretrain_vit_base_20230913.pth"
)
train.output_dir = "./output/vitpose_b_coco_256x192"
# batch: the data config's 8 x 64 (MMPose td-hm_ViTPose-base_8xb64-210e); the data follow the model's
# UDP codec (targets and warp, in training and test)

optimizer = L(build_optimizer)(
    optimizer_class=torch.optim.AdamW,
    params=L(vit_layer_decay_param_groups)(
        base_lr=5e-4, weight_decay=0.1, layer_decay=0.75, num_layers=12
    ),
    lr=5e-4,
    betas=(0.9, 0.999),
    weight_decay=0.1,
    max_grad_norm=1.0,
)

"""The documented entry point: HRNet-W32 + LJOF trained on COCO, evaluated on OCHuman test (GT boxes)
and COCO val2017. Same as ljof_hrnet_w32_coco_256x192.py (paper Table 1 row "HRNet+LJOF, HRNet-W32").

    python tools/lazyconfig_train_net.py --config-file configs/ljof_hrnet.py
"""

from .ljof_hrnet_w32_coco_256x192 import dataloader, lr_multiplier, model, optimizer, train

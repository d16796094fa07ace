"""Occlusion augmentations LJA competes with, for ``dataloader.train.mapper.lja`` (LJA's crop-space slot;
``ljof.data.occlusion_baselines``). Sizes are fractions of the crop, so each recipe keeps its proportions
at any crop size.

* ``coarse_dropout_mmpose``: MMPose's HRNet-W32 recipe
  (``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_coarsedropout-8xb64-210e_coco-256x192.py``):
  1-8 holes of 10-40 px at 256x192, black, on half of the crops;
* ``coarse_dropout_rtmpose``: RTMPose's single large hole
  (``projects/rtmpose/rtmpose/body_2d_keypoint/rtmpose-m_8xb256-420e_coco-256x192.py``): one hole of
  0.2-0.4 of the crop's height and width, black, on every crop (its first stage; the last 30 of 420
  epochs use p = 0.5, which is not modelled);
* ``keypoint_dropout``: AID-style information dropping around keypoints: 1-2 labelled joints of any kind
  each covered by a black block of 0.1-0.2 of the crop side (this project's numbers; AID's top-down
  settings are not reproduced).
"""

from detectron2.config import LazyCall as L

from ljof.data import CoarseDropout, KeypointCentredDropout

coarse_dropout_mmpose = L(CoarseDropout)(
    num_holes=(1, 8),
    hole_height=(10 / 256, 40 / 256),
    hole_width=(10 / 192, 40 / 192),
    fill=0,
    prob=0.5,
)
coarse_dropout_rtmpose = L(CoarseDropout)(
    num_holes=(1, 1), hole_height=(0.2, 0.4), hole_width=(0.2, 0.4), fill=0, prob=1.0
)
keypoint_dropout = L(KeypointCentredDropout)(num_joints=(1, 2), size=(0.1, 0.2), fill=0, prob=1.0)

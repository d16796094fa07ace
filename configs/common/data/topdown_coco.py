"""COCO person keypoints for top-down training; OCHuman test (GT boxes) and COCO val (AP56 boxes) tests.

The pipeline and metric of MMPose
``configs/body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py`` (COCO val
with the AP56 person detections); OCHuman test with GT boxes as MMPose 0.x
``configs/body/2d_kpt_sview_rgb_img/topdown_heatmap/ochuman/hrnet_w32_ochuman_256x192.py`` (COCO-trained).
The crop size and the targets come from the model's codec (``${model.codec}``: the leaf config's model),
so a model config that changes its codec changes the data with it.
Nothing here reads a file when the config is loaded: datasets are read when the loaders are built.
"""

from detectron2.config import LazyCall as L
from detectron2.data import MetadataCatalog, build_detection_train_loader
from omegaconf import OmegaConf

from ljof.data import (
    TopDownDatasetMapper,
    get_topdown_dataset,
)
from ljof.engine import build_topdown_test_loader
from ljof.evaluation import TopDownKeypointEvaluator

# the metadata (flip map, half-body groups) of the dataset each loader reads
_meta = L(MetadataCatalog.get)(name="${...dataset.names}")

dataloader = OmegaConf.create()
dataloader.train = L(build_detection_train_loader)(
    dataset=L(get_topdown_dataset)(names="ljof_coco_2017_train"),
    mapper=L(TopDownDatasetMapper)(
        is_train=True,
        codecs=["${model.codec}"],  # one per head output (SRPose: several); they give the crop size
        metadata=_meta,  # flip pairs, half-body groups (MMPose's RandomFlip, RandomHalfBody)
        lja=None,  # the +LJOF configs set Limb Joint Augmentation here
        image_format="BGR",
    ),
    total_batch_size=512,  # 8 GPUs x 64 (MMPose 8xb64); leaves change it with use_total_batch_size
    aspect_ratio_grouping=False,
    num_workers=4,
)
dataloader.test = L(build_topdown_test_loader)(
    dataset=L(get_topdown_dataset)(names="ljof_ochuman_test"),
    mapper=L(TopDownDatasetMapper)(
        is_train=False,
        codecs="${...train.mapper.codecs}",  # the training mapper's: one statement of each fact
        metadata=_meta,
        image_format="${...train.mapper.image_format}",
    ),
    batch_size=32,
    num_workers=4,
)
# MMPose CocoMetric defaults (mmpose/evaluation/metrics/coco_metric.py): rescoring at 0.2, OKS-NMS at 0.9,
# even with GT boxes
dataloader.evaluator = L(TopDownKeypointEvaluator)(
    dataset_name="${..test.dataset.names}", rescore=True, keypoint_score_thr=0.2, oks_nms_thr=0.9
)
# evaluated in this order every train.eval_period; the first one's AP picks model_best.pth
dataloader.test_datasets = ["ljof_ochuman_test", "ljof_coco_2017_val_det"]

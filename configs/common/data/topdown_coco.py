"""COCO person keypoints for top-down training; OCHuman test (GT boxes) and COCO val (AP56 boxes) tests.

Reference §1.3 (pipeline), §1.6 (COCO val with detections), §1.8 (OCHuman: COCO-trained, GT boxes).
Nothing here reads a file when the config is loaded: datasets are read when the loaders are built.
"""

from detectron2.config import LazyCall as L
from detectron2.data import MetadataCatalog, build_detection_train_loader
from omegaconf import OmegaConf

from ljof.data import (
    MSRAHeatmap,
    TopDownDatasetMapper,
    get_topdown_dataset,
)
from ljof.engine import build_topdown_test_loader
from ljof.evaluation import TopDownKeypointEvaluator

# (w, h) of the crops and of the heatmaps; MSRA codec, sigma 2 (reference §1.3)
INPUT_SIZE = (192, 256)
_codec = L(MSRAHeatmap)(input_size=INPUT_SIZE, heatmap_size=(48, 64), sigma=2.0)
# the metadata (flip map, half-body groups) of the dataset each loader reads
_meta = L(MetadataCatalog.get)(name="${...dataset.names}")

dataloader = OmegaConf.create()
dataloader.train = L(
    build_detection_train_loader
)(
    dataset=L(get_topdown_dataset)(names="ljof_coco_2017_train"),
    mapper=L(TopDownDatasetMapper)(
        is_train=True,
        input_size=INPUT_SIZE,
        codecs=[_codec],
        metadata=_meta,  # flip pairs, half-body groups of the standard augmentations
        lja=None,  # the +LJOF configs set Limb Joint Augmentation here
        image_format="BGR",
    ),
    total_batch_size=512,  # 8 GPUs x 64 (MMPose 8xb64); the leaf files set theirs
    aspect_ratio_grouping=False,
    num_workers=4,
)
dataloader.test = L(build_topdown_test_loader)(
    dataset=L(get_topdown_dataset)(names="ljof_ochuman_test"),
    mapper=L(TopDownDatasetMapper)(
        is_train=False, input_size=INPUT_SIZE, codecs=[_codec], metadata=_meta, image_format="BGR"
    ),
    batch_size=32,
    num_workers=4,
)
# MMPose CocoMetric defaults: rescoring at 0.2, OKS-NMS at 0.9, even with GT boxes (reference §1.6, §1.8)
dataloader.evaluator = L(TopDownKeypointEvaluator)(
    dataset_name="ljof_ochuman_test", rescore=True, keypoint_score_thr=0.2, oks_nms_thr=0.9
)
# evaluated in this order every train.eval_period; the first one's AP picks model_best.pth
dataloader.test_datasets = ["ljof_ochuman_test", "ljof_coco_2017_val_det"]

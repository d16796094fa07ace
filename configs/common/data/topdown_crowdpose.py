"""CrowdPose: train on trainval, test on test with the YOLOv3 detections (reference §1.7, paper §4.1).

Same pipeline as COCO with the CrowdPose-14 keypoint set; the evaluator uses xtcocotools'
``keypoints_crowd`` protocol (AP easy / medium / hard) from the dataset's metadata.
"""

from detectron2.config import LazyCall as L

from ljof.data import get_keypoint_set_metadata

from .topdown_coco import dataloader

_meta = L(get_keypoint_set_metadata)(keypoint_set="crowdpose")

dataloader.train.dataset.names = "ljof_crowdpose_trainval"
dataloader.train.mapper.metadata = _meta
dataloader.test.dataset.names = "ljof_crowdpose_test_det"
dataloader.test.mapper.metadata = _meta
dataloader.evaluator.dataset_name = "ljof_crowdpose_test_det"
dataloader.test_datasets = ["ljof_crowdpose_test_det"]
# the paper retrains CrowdPose models with 32 per GPU (its §4.4); 8 GPUs
dataloader.train.total_batch_size = 256

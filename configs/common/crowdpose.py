"""Turn a COCO-17 config into its CrowdPose-14 counterpart (paper §4.4, reference §1.7).

Train on CrowdPose trainval, test on CrowdPose test with the YOLOv3 person detections, 14 keypoints,
CrowdPose's flip pairs, batch 32 per GPU on 8 GPUs (the paper retrains every CrowdPose model with 32 per
GPU). The evaluator follows the dataset's metadata (xtcocotools ``keypoints_crowd``: AP easy/medium/hard).
"""

from detectron2.config import LazyCall as L

from detectron2.data.detection_utils import create_keypoint_hflip_indices

from ljof.engine import CROWDPOSE_TRAINVAL_INSTANCES, epoch_train_settings

CROWDPOSE_BATCH = 256  # 8 GPUs x 32


def use_crowdpose(*, dataloader, model, train, lr_multiplier):
    """Patch the four config nodes in place (called by the CrowdPose leaf files at load time)."""
    dataloader.train.dataset.names = "ljof_crowdpose_trainval"
    dataloader.train.total_batch_size = CROWDPOSE_BATCH
    dataloader.test.dataset.names = "ljof_crowdpose_test_det"
    dataloader.evaluator.dataset_name = "ljof_crowdpose_test_det"
    dataloader.test_datasets = ["ljof_crowdpose_test_det"]
    model.head.num_keypoints = 14
    model.keypoint_flip_indices = L(create_keypoint_hflip_indices)(
        dataset_names="ljof_crowdpose_trainval"
    )
    train.update(
        epoch_train_settings(
            num_instances=CROWDPOSE_TRAINVAL_INSTANCES, total_batch_size=CROWDPOSE_BATCH
        )
    )
    lr_multiplier.num_instances = CROWDPOSE_TRAINVAL_INSTANCES
    lr_multiplier.total_batch_size = CROWDPOSE_BATCH

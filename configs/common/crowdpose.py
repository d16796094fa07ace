"""Turn a COCO-17 config into its CrowdPose-14 counterpart (paper §4.4; MMPose
``configs/body_2d_keypoint/topdown_heatmap/crowdpose/td-hm_hrnet-w32_8xb64-210e_crowdpose-256x192.py``).

Train on CrowdPose trainval, test on CrowdPose test with the YOLOv3 person detections, 14 keypoints,
CrowdPose's flip pairs, batch 32 per GPU on 8 GPUs (the paper retrains every CrowdPose model with 32 per
GPU). The evaluator follows the dataset's metadata (xtcocotools ``keypoints_crowd``: AP easy/medium/hard).
"""

from ljof.engine import CROWDPOSE_TRAINVAL_INSTANCES
from ljof.modeling import use_keypoint_set

from .schedule import use_total_batch_size

CROWDPOSE_BATCH = 256  # 8 GPUs x 32

def use_crowdpose(*, dataloader, model, train, lr_multiplier):
    """Patch the four config nodes in place (called by the CrowdPose leaf files at load time)."""
    dataloader.train.dataset.names = "ljof_crowdpose_trainval"
    dataloader.test.dataset.names = "ljof_crowdpose_test_det"
    dataloader.test_datasets = ["ljof_crowdpose_test_det"]
    use_keypoint_set(model, "crowdpose")  # 14 heatmaps, CrowdPose's flip map
    use_total_batch_size(
        CROWDPOSE_BATCH,
        dataloader=dataloader,
        train=train,
        lr_multiplier=lr_multiplier,
        num_instances=CROWDPOSE_TRAINVAL_INSTANCES,
    )

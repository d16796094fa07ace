"""The builtin COCO / OCHuman / CrowdPose splits, registered at ``import ljof`` (reads no file).

Files are looked up under ``$DETECTRON2_DATASETS`` (default ``./datasets``) with the layout of
:data:`LAYOUT`, which is also printed when a split's files are missing.
"""

import os

from .register import register_keypoint_dataset

__all__ = ["BUILTIN_SPLITS", "register_all_keypoint_datasets", "LAYOUT", "DATASETS_ROOT"]

LAYOUT = """\
Expected layout under $DETECTRON2_DATASETS (default ./datasets):
  coco/
    annotations/person_keypoints_{train,val}2017.json
    person_detection_results/COCO_val2017_detections_AP_H_56_person.json
    train2017/  val2017/
  ochuman/
    annotations/ochuman_coco_format_{val,test}_range_0.00_1.00.json
    images/
  crowdpose/
    annotations/mmpose_crowdpose_{train,val,trainval,test}.json
    annotations/det_for_crowd_test_0.1_0.5.json
    images/"""

_SOURCES = {
    "coco": (
        "COCO 2017 images and person_keypoints annotations: https://cocodataset.org/#download "
        "(train2017.zip, val2017.zip, annotations_trainval2017.zip). The person detections "
        "COCO_val2017_detections_AP_H_56_person.json (person AP 56.4) are those of the HRNet repository "
        "(github.com/leoxiaobin/deep-high-resolution-net.pytorch, 'person_detection_results'), also "
        "linked from MMPose's COCO dataset page."
    ),
    "ochuman": (
        "OCHuman images and annotations: github.com/liruilong940607/OCHumanApi; the COCO-format files "
        "ochuman_coco_format_{val,test}_range_0.00_1.00.json come from its toCocoFormart converter "
        "(also linked from MMPose's OCHuman dataset page)."
    ),
    "crowdpose": (
        "CrowdPose images and annotations: github.com/Jeff-sjtu/CrowdPose; the mmpose_crowdpose_*.json "
        "annotations (with crowdIndex) and the YOLOv3 detections det_for_crowd_test_0.1_0.5.json are "
        "linked from MMPose's CrowdPose dataset page."
    ),
}

# name -> (keypoint_set, source, image_root, json_file, det_file), paths relative to the root.
BUILTIN_SPLITS = {
    "ljof_coco_2017_train": (
        "coco",
        "coco",
        "coco/train2017",
        "coco/annotations/person_keypoints_train2017.json",
        None,
    ),
    "ljof_coco_2017_val": (
        "coco",
        "coco",
        "coco/val2017",
        "coco/annotations/person_keypoints_val2017.json",
        None,
    ),
    "ljof_coco_2017_val_det": (
        "coco",
        "coco",
        "coco/val2017",
        "coco/annotations/person_keypoints_val2017.json",
        "coco/person_detection_results/COCO_val2017_detections_AP_H_56_person.json",
    ),
    "ljof_ochuman_val": (
        "coco",
        "ochuman",
        "ochuman/images",
        "ochuman/annotations/ochuman_coco_format_val_range_0.00_1.00.json",
        None,
    ),
    "ljof_ochuman_test": (
        "coco",
        "ochuman",
        "ochuman/images",
        "ochuman/annotations/ochuman_coco_format_test_range_0.00_1.00.json",
        None,
    ),
    **{
        f"ljof_crowdpose_{split}": (
            "crowdpose",
            "crowdpose",
            "crowdpose/images",
            f"crowdpose/annotations/mmpose_crowdpose_{split}.json",
            None,
        )
        for split in ("train", "val", "trainval", "test")
    },
    "ljof_crowdpose_test_det": (
        "crowdpose",
        "crowdpose",
        "crowdpose/images",
        "crowdpose/annotations/mmpose_crowdpose_test.json",
        "crowdpose/annotations/det_for_crowd_test_0.1_0.5.json",
    ),
}


def register_all_keypoint_datasets(root: str) -> None:
    """Register every split of :data:`BUILTIN_SPLITS` with paths under ``root``. Reads no file."""
    for name, (keypoint_set, source, image_root, json_file, det_file) in BUILTIN_SPLITS.items():
        register_keypoint_dataset(
            name,
            os.path.join(root, json_file),
            os.path.join(root, image_root),
            keypoint_set=keypoint_set,
            det_file=None if det_file is None else os.path.join(root, det_file),
            det_score_thr=0.0,
            data_hint=f"{LAYOUT}\nGet the data: {_SOURCES[source]}",
        )


# The root the builtin splits were registered under at import.
DATASETS_ROOT = os.path.expanduser(os.getenv("DETECTRON2_DATASETS", "datasets"))

if __name__.endswith(".builtin"):
    # As detectron2's builtin.py: registered on import, under $DETECTRON2_DATASETS.
    register_all_keypoint_datasets(DATASETS_ROOT)

"""Evaluation: OKS, OKS-NMS, OKS AP per protocol and the top-down keypoint evaluator (percent units)."""

from .keypoint_results import KeypointResults
from .oks import batched_oks_nms, keypoint_extent_area, oks_iou, oks_nms
from .oks_ap import (
    COCO_METRIC_NAMES,
    CROWD_INDEX_THRESHOLDS,
    CROWDPOSE_METRIC_NAMES,
    KeypointGroundTruth,
    coco_oks_ap,
    compute_oks_ap,
    crowdpose_oks_ap,
    load_keypoint_gt,
)
from .protocol import (
    PredictionArrays,
    apply_protocol,
    evaluate_keypoint_predictions,
    predictions_to_arrays,
    rescore_by_keypoints,
)
from .topdown_evaluator import TopDownKeypointEvaluator
from .occlusion import OcclusionEvaluator

__all__ = [
    "COCO_METRIC_NAMES",
    "CROWDPOSE_METRIC_NAMES",
    "CROWD_INDEX_THRESHOLDS",
    "KeypointGroundTruth",
    "load_keypoint_gt",
    "coco_oks_ap",
    "crowdpose_oks_ap",
    "compute_oks_ap",
    "oks_iou",
    "oks_nms",
    "batched_oks_nms",
    "keypoint_extent_area",
    "PredictionArrays",
    "KeypointResults",
    "predictions_to_arrays",
    "rescore_by_keypoints",
    "apply_protocol",
    "evaluate_keypoint_predictions",
    "TopDownKeypointEvaluator",
    "OcclusionEvaluator",
]

"""Evaluation: OKS, OKS-NMS and the top-down keypoint evaluator (COCO / OCHuman / CrowdPose)."""

from .coco_eval import COCO_METRIC_NAMES, CROWDPOSE_METRIC_NAMES, check_gt_json, compute_oks_ap
from .oks import batched_oks_nms, oks_iou, oks_nms
from .protocol import (
    PredictionArrays,
    apply_protocol,
    evaluate_keypoint_predictions,
    predictions_to_arrays,
    rescore_instances,
)
from .topdown_evaluator import TopDownKeypointEvaluator
from .occlusion_evaluator import OcclusionEvaluator

__all__ = [
    "COCO_METRIC_NAMES",
    "CROWDPOSE_METRIC_NAMES",
    "check_gt_json",
    "compute_oks_ap",
    "oks_iou",
    "oks_nms",
    "batched_oks_nms",
    "PredictionArrays",
    "predictions_to_arrays",
    "rescore_instances",
    "apply_protocol",
    "evaluate_keypoint_predictions",
    "TopDownKeypointEvaluator",
    "OcclusionEvaluator",
]

"""Instance scores from keypoint scores, shared by the models' outputs and the evaluation protocol.

It lives below both ``ljof.modeling`` (``TopDownPoseEstimator(rescore_keypoint_thr=...)``) and
``ljof.evaluation`` (the protocol's rescoring), so neither imports the other for it.
"""

import numpy as np

__all__ = ["rescore_by_keypoints"]


def rescore_by_keypoints(
    keypoint_scores: np.ndarray, bbox_scores: np.ndarray, keypoint_score_thr: float = 0.2
) -> np.ndarray:
    """MMPose's ``bbox_keypoint`` instance score: ``bbox_score x mean(keypoint scores > thr)``.

    0 when no keypoint score exceeds ``thr``. Source: MMPose 1.x
    ``mmpose/evaluation/metrics/coco_metric.py`` (``CocoMetric.compute_metrics``, score_mode
    ``"bbox_keypoint"``).

    Args:
        keypoint_scores: (N, K) or (K,) per-joint scores; bbox_scores: (N,) or scalar box scores.
        keypoint_score_thr: joints with a score above it count.

    Returns:
        (N,) float64 (a 0-d array for (K,) input).
    """
    keypoint_scores = np.asarray(keypoint_scores, dtype=np.float64)
    single = keypoint_scores.ndim == 1
    keypoint_scores = np.atleast_2d(keypoint_scores)
    # Summed joint by joint, in MMPose's order, so the scores (and their ties) match it bit for bit;
    # rows of the (K, N) transpose are contiguous.
    columns = np.ascontiguousarray(keypoint_scores.T)
    total = np.zeros(len(keypoint_scores))
    count = np.zeros(len(keypoint_scores), dtype=np.int64)
    for column in columns:
        above = column > keypoint_score_thr
        total += np.where(above, column, 0.0)
        count += above
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    scores = np.asarray(bbox_scores, dtype=np.float64) * mean
    return scores[0] if single else scores

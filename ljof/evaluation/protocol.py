"""The top-down keypoint evaluation protocol as plain functions (used by the evaluator, the tool and tests).

Per-instance predictions → rescoring → OKS-NMS per image → OKS AP (:mod:`.coco_eval`):

* **rescoring** (MMPose ``score_mode="bbox_keypoint"``): ``score = bbox_score x mean(keypoint scores
  > keypoint_score_thr)``, 0 when no keypoint score exceeds the threshold;
* **OKS-NMS** per image at ``oks_nms_thr`` (``<= 0`` or ``None`` turns it off), with the OKS scale
  ``area`` of each instance (the padded, aspect-fixed crop area ``bbox_area`` for the top-down model);
* **OKS AP** with pycocotools (COCO / OCHuman) or xtcocotools ``keypoints_crowd`` (CrowdPose).

Prediction format (COCO results format plus optional fields), one dict per person instance:
``image_id``; ``keypoints``: ``[x, y, score] * K`` (or a (K, 3) array) in original-image pixel-index px;
``bbox_score`` (else ``score``) the detector's box score; ``area`` (px^2), else ``bbox`` ``[x, y, w, h]``
(area w·h), else the keypoints' extent is the OKS-NMS scale. ``category_id`` if given must be 1.
"""

import json
import logging
import os
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..data.datasets.builtin_meta import get_keypoint_set_metadata
from .coco_eval import check_gt_json, compute_oks_ap
from .oks import batched_oks_nms

__all__ = [
    "PredictionArrays",
    "predictions_to_arrays",
    "rescore_instances",
    "apply_protocol",
    "evaluate_keypoint_predictions",
]

logger = logging.getLogger(__name__)


class PredictionArrays:
    """N person predictions as arrays: ``image_ids`` (N,) int64, ``keypoints`` (N, K, 3) float64
    [x, y, score] px, ``bbox_scores`` (N,) float64, ``areas`` (N,) float64 px^2."""

    def __init__(self, image_ids, keypoints, bbox_scores, areas):
        self.image_ids = np.asarray(image_ids, dtype=np.int64).reshape(-1)
        self.keypoints = np.asarray(keypoints, dtype=np.float64)
        self.bbox_scores = np.asarray(bbox_scores, dtype=np.float64).reshape(-1)
        self.areas = np.asarray(areas, dtype=np.float64).reshape(-1)
        n = len(self.image_ids)
        if self.keypoints.shape[:1] != (n,) or len(self.bbox_scores) != n or len(self.areas) != n:
            raise ValueError(
                f"PredictionArrays: inconsistent lengths: image_ids {n}, keypoints "
                f"{self.keypoints.shape}, bbox_scores {len(self.bbox_scores)}, areas {len(self.areas)}"
            )

    def __len__(self) -> int:
        return len(self.image_ids)


def _keypoint_extent_area(kpts: np.ndarray) -> np.ndarray:
    """(N, K, 2+) -> (N,) area of the box spanned by all keypoints."""
    if kpts.shape[1] == 0:
        return np.zeros(len(kpts))
    span = kpts[..., :2].max(axis=1) - kpts[..., :2].min(axis=1)
    return span[:, 0] * span[:, 1]


def predictions_to_arrays(
    predictions: Sequence[Dict], num_keypoints: int, source: str = "predictions"
) -> PredictionArrays:
    """Validate a list of prediction dicts (module docstring) and stack them.

    Raises ``ValueError`` naming ``source`` and the record index when a record is malformed.
    """
    n = len(predictions)
    image_ids = np.zeros(n, dtype=np.int64)
    keypoints = np.zeros((n, num_keypoints, 3), dtype=np.float64)
    bbox_scores = np.zeros(n, dtype=np.float64)
    areas = np.full(n, np.nan, dtype=np.float64)
    for i, p in enumerate(predictions):
        try:
            image_ids[i] = p["image_id"]
            kpts = np.asarray(p["keypoints"], dtype=np.float64)
            keypoints[i] = kpts.reshape(num_keypoints, 3)
            bbox_scores[i] = p["bbox_score"] if "bbox_score" in p else p["score"]
            if p.get("area") is not None:
                areas[i] = p["area"]
            elif p.get("bbox") is not None:
                areas[i] = float(p["bbox"][2]) * float(p["bbox"][3])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(
                f"{source}, record {i}: expected image_id, keypoints ([x, y, score] * {num_keypoints}) "
                f"and score or bbox_score ({type(e).__name__}: {e})"
            ) from e
        if p.get("category_id", 1) != 1:
            raise ValueError(
                f"{source}, record {i}: category_id {p['category_id']} is not 1 (person)"
            )
    missing = np.isnan(areas)
    if missing.any():
        areas[missing] = _keypoint_extent_area(keypoints[missing])
    if not np.isfinite(keypoints).all():
        bad = int(np.flatnonzero(~np.isfinite(keypoints).all(axis=(1, 2)))[0])
        raise ValueError(f"{source}, record {bad}: keypoints contain NaN or inf")
    return PredictionArrays(image_ids, keypoints, bbox_scores, areas)


def rescore_instances(
    keypoint_scores: np.ndarray, bbox_scores: np.ndarray, keypoint_score_thr: float = 0.2
) -> np.ndarray:
    """Instance scores ``bbox_score x mean(keypoint scores > thr)`` (0 when none exceeds ``thr``).

    Args:
        keypoint_scores: (N, K); bbox_scores: (N,).

    Returns:
        (N,) float64.
    """
    keypoint_scores = np.asarray(keypoint_scores, dtype=np.float64)
    above = keypoint_scores > keypoint_score_thr
    # Summed joint by joint, in MMPose's order, so the scores (and their ties) match it bit for bit.
    total = np.zeros(len(keypoint_scores))
    for k in range(keypoint_scores.shape[1]):
        total = total + np.where(above[:, k], keypoint_scores[:, k], 0.0)
    count = above.sum(axis=1)
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return np.asarray(bbox_scores, dtype=np.float64) * mean


def apply_protocol(
    preds: PredictionArrays,
    sigmas: Sequence[float],
    *,
    rescore: bool = True,
    keypoint_score_thr: float = 0.2,
    oks_nms_thr: Optional[float] = 0.9,
) -> List[Dict]:
    """Rescoring and OKS-NMS; returns the COCO results list that the OKS evaluation scores.

    Returns:
        list of ``{"image_id", "category_id": 1, "keypoints": [x, y, s] * K, "score"}``, sorted by image,
        then score descending.
    """
    if rescore:
        scores = rescore_instances(preds.keypoints[..., 2], preds.bbox_scores, keypoint_score_thr)
    else:
        scores = preds.bbox_scores.copy()
    if oks_nms_thr is not None and oks_nms_thr > 0:
        keep = batched_oks_nms(
            preds.image_ids, preds.keypoints, scores, preds.areas, oks_nms_thr, sigmas
        )
    else:
        keep = np.lexsort((-scores, preds.image_ids))
    kept_kpts = preds.keypoints[keep].reshape(len(keep), preds.keypoints.shape[1] * 3).tolist()
    kept_ids = preds.image_ids[keep].tolist()
    kept_scores = scores[keep].tolist()
    return [
        {"image_id": i, "category_id": 1, "keypoints": k, "score": s}
        for i, k, s in zip(kept_ids, kept_kpts, kept_scores)
    ]


def _check_image_ids(preds: PredictionArrays, gt: Dict, gt_json: str, source: str) -> None:
    known = np.asarray(sorted(img["id"] for img in gt["images"]), dtype=np.int64)
    unknown = ~np.isin(preds.image_ids, known)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise ValueError(
            f"{source}, record {i}: image_id {int(preds.image_ids[i])} is not an image of the ground "
            f"truth {gt_json} ({int(unknown.sum())} predictions have unknown image ids)"
        )


def evaluate_keypoint_predictions(
    predictions,
    gt_json: str,
    *,
    keypoint_set: str = "coco",
    sigmas: Optional[Sequence[float]] = None,
    rescore: bool = True,
    keypoint_score_thr: float = 0.2,
    oks_nms_thr: Optional[float] = 0.9,
    output_dir: Optional[str] = None,
    source: str = "predictions",
) -> Dict[str, float]:
    """Score per-instance predictions against a GT json with the full protocol.

    Args:
        predictions: list of prediction dicts (module docstring) or a :class:`PredictionArrays`.
        gt_json: COCO-format GT file (CrowdPose: with ``crowdIndex``).
        keypoint_set: ``"coco"`` (COCO, OCHuman: pycocotools) or ``"crowdpose"`` (xtcocotools).
        sigmas: K OKS sigmas (default: the keypoint set's).
        rescore, keypoint_score_thr, oks_nms_thr: protocol steps (``oks_nms_thr <= 0``/None: no NMS).
        output_dir: if given, writes ``keypoint_results.json`` (what was scored) and
            ``keypoint_metrics.json`` there.
        source: name used in error messages (e.g. the predictions file).

    Returns:
        metric name -> value (see :mod:`.coco_eval`).
    """
    meta = get_keypoint_set_metadata(keypoint_set)
    sigmas = meta["keypoint_oks_sigmas"] if sigmas is None else list(sigmas)
    num_keypoints = len(meta["keypoint_names"])
    if len(sigmas) != num_keypoints:
        raise ValueError(f"{len(sigmas)} OKS sigmas for a {num_keypoints}-keypoint set")
    gt = check_gt_json(gt_json, keypoint_set)
    if not isinstance(predictions, PredictionArrays):
        predictions = predictions_to_arrays(predictions, num_keypoints, source)
    if predictions.keypoints.shape[1:] != (num_keypoints, 3):
        raise ValueError(
            f"{source}: keypoints {predictions.keypoints.shape[1:]}, expected ({num_keypoints}, 3)"
        )
    _check_image_ids(predictions, gt, gt_json, source)
    if len(predictions) == 0:
        logger.warning(f"{source}: no predictions; every AP is 0 (or -1 where there is no GT)")
    results = apply_protocol(
        predictions,
        sigmas,
        rescore=rescore,
        keypoint_score_thr=keypoint_score_thr,
        oks_nms_thr=oks_nms_thr,
    )
    logger.info(
        f"Evaluating {len(results)} of {len(predictions)} predictions (rescore={rescore}, "
        f"oks_nms_thr={oks_nms_thr}) against {gt_json} ({keypoint_set} protocol)"
    )
    metrics = compute_oks_ap(gt_json, results, keypoint_set, sigmas)
    if output_dir:
        os.makedirs(output_dir, exist_ok=True)
        with open(os.path.join(output_dir, "keypoint_results.json"), "w") as f:
            json.dump(results, f)
        with open(os.path.join(output_dir, "keypoint_metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2)
    return metrics

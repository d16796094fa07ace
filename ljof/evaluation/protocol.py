"""The top-down keypoint evaluation protocol as plain functions (used by the evaluator, the tool and tests).

Per-instance predictions -> rescoring -> OKS-NMS per image -> OKS AP (:mod:`.oks_ap`):

* **rescoring** (MMPose ``score_mode="bbox_keypoint"``, ``mmpose/evaluation/metrics/coco_metric.py``):
  ``score = bbox_score x mean(keypoint scores > keypoint_score_thr)``, 0 when no keypoint score exceeds
  the threshold (:func:`rescore_by_keypoints`);
* **OKS-NMS** per image at ``oks_nms_thr`` (``<= 0`` or ``None`` turns it off), with the OKS scale
  ``area`` of each instance (the padded, aspect-fixed crop area ``bbox_area`` for the top-down model);
* **OKS AP** with pycocotools' statistics (COCO / OCHuman) or crowdposetools' (CrowdPose), in percent.

Prediction format (COCO results format plus optional fields), one dict per person instance:
``image_id``; ``keypoints``: ``[x, y, score] * K`` (or a (K, 3) array) in original-image pixel-index px;
``bbox_score`` (else ``score``) the detector's box score; ``area`` (px^2), else ``bbox`` ``[x, y, w, h]``
(area w·h), else the keypoints' extent is the OKS-NMS scale. ``category_id``, if given, must mean person
(the GT's person id, or 1). Other keys are not read. A ``bbox`` also goes with the prediction into the
scored results, where it sets the result's area as pycocotools ``loadRes`` does
(:mod:`.keypoint_results`: all boxes when the first record has one); ``image_id`` is kept exact.
"""

import json
import logging
import operator
import os
from itertools import repeat
from operator import itemgetter
from typing import Dict, FrozenSet, Optional, Sequence

import numpy as np

from ..data.datasets.builtin_meta import get_keypoint_set_metadata
from ..data.datasets.person_category import LJOF_PERSON_CATEGORY_ID
from ..structures import rescore_by_keypoints  # defined with the models' scores; re-exported here
from .json_files import read_json_list
from .oks import batched_oks_nms, keypoint_extent_area
from .keypoint_results import (
    KeypointResults,
    check_categories,
    id_problem,
    check_image_ids,
    image_ids_of,
    image_score_order,
    result_boxes,
    stack_keypoint_lists,
)
from .oks_ap import _coco_stats, _crowdpose_stats, gc_paused, load_keypoint_gt

__all__ = [
    "PredictionArrays",
    "predictions_to_arrays",
    "check_predictions",
    "rescore_by_keypoints",
    "apply_protocol",
    "evaluate_keypoint_predictions",
]

logger = logging.getLogger(__name__)


class PredictionArrays:
    """N person predictions as arrays: ``image_ids`` (N,) int64, ``keypoints`` (N, K, 3) float64
    [x, y, score] px, ``bbox_scores`` (N,) float64, ``areas`` (N,) float64 px^2 (the OKS-NMS scale),
    ``boxes`` (N, 4) float64 [x, y, w, h] px or None (passed on to the scored results, whose
    ``loadRes`` area they set)."""

    def __init__(self, image_ids, keypoints, bbox_scores, areas, boxes=None):
        self.image_ids = np.asarray(image_ids, dtype=np.int64).reshape(-1)
        self.keypoints = np.asarray(keypoints, dtype=np.float64)
        self.bbox_scores = np.asarray(bbox_scores, dtype=np.float64).reshape(-1)
        self.areas = np.asarray(areas, dtype=np.float64).reshape(-1)
        self.boxes = None if boxes is None else np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        n = len(self.image_ids)
        if (
            self.keypoints.shape[:1] != (n,)
            or len(self.bbox_scores) != n
            or len(self.areas) != n
            or (self.boxes is not None and len(self.boxes) != n)
        ):
            raise ValueError(
                f"PredictionArrays: inconsistent lengths: image_ids {n}, keypoints "
                f"{self.keypoints.shape}, bbox_scores {len(self.bbox_scores)}, areas "
                f"{len(self.areas)}, boxes {None if self.boxes is None else len(self.boxes)}"
            )

    def __len__(self) -> int:
        return len(self.image_ids)


def _malformed(source: str, i: int, num_keypoints: int, error: Exception) -> ValueError:
    return ValueError(
        f"{source}, record {i}: expected image_id, keypoints ([x, y, score] * {num_keypoints}) "
        f"and score or bbox_score ({type(error).__name__}: {error})"
    )


def _record_area(p: Dict):
    """``area``, else bbox w x h, else NaN (filled with the keypoints' extent later).

    Raises:
        ValueError: an ``area`` given as NaN (it would otherwise read as absent).
    """
    area = p.get("area")
    if area is not None:
        if np.isnan(float(area)):
            raise ValueError(f"area {area!r} is not a number")
        return area
    box = p.get("bbox")
    return np.nan if box is None else float(box[2]) * float(box[3])


def _record_arrays(p: Dict, num_keypoints: int):
    """(image_id, (K, 3) keypoints, box score, area or NaN) of one prediction dict."""
    image_id = p["image_id"]
    problem = id_problem(image_id)
    if problem:
        raise ValueError(f"image_id {image_id!r} {problem}")
    return (
        int(image_id),
        np.asarray(p["keypoints"], dtype=np.float64).reshape(num_keypoints, 3),
        float(p["bbox_score"] if "bbox_score" in p else p["score"]),
        float(_record_area(p)),
    )


def predictions_to_arrays(
    predictions: Sequence[Dict],
    num_keypoints: int,
    source: str = "predictions",
    *,
    category_ids: FrozenSet[int] = frozenset({LJOF_PERSON_CATEGORY_ID}),
) -> PredictionArrays:
    """Validate a list of prediction dicts (module docstring) and stack them.

    Args:
        predictions: the dicts; num_keypoints: K.
        source: name used in error messages (e.g. the predictions file).
        category_ids: the ``category_id`` values that mean person (absent also means person).

    Raises:
        ValueError naming ``source`` and the record index when a record is malformed, has another
        category, an ``image_id`` that is not an exact int64 (:func:`.keypoint_results.exact_ids`), an
        ``area`` given as NaN, non-finite numbers, or no ``bbox`` while the first record has one.
    """
    n = len(predictions)
    try:  # fast path: one C-level pass per field; any failure is located by the per-record pass below
        image_ids = image_ids_of(predictions, source)
        keypoints = stack_keypoint_lists(predictions, num_keypoints)
        if any(map(operator.contains, predictions, repeat("bbox_score"))):
            given = [p["bbox_score"] if "bbox_score" in p else p["score"] for p in predictions]
        else:
            given = map(itemgetter("score"), predictions)
        bbox_scores = np.fromiter(given, np.float64, count=n)
        areas = np.fromiter(map(dict.get, predictions, repeat("area")), np.float64, count=n)
        for i in np.flatnonzero(np.isnan(areas)).tolist():  # absent (None reads as NaN) or NaN
            try:
                areas[i] = _record_area(predictions[i])
            except ValueError as e:
                raise ValueError(f"{source}, record {i}: {e}") from e
    except (KeyError, TypeError, ValueError, IndexError) as e:
        if isinstance(e, ValueError) and str(e).startswith(f"{source}, record "):
            raise  # already names the record
        image_ids = np.zeros(n, dtype=np.int64)
        keypoints = np.zeros((n, num_keypoints, 3), dtype=np.float64)
        bbox_scores = np.zeros(n, dtype=np.float64)
        areas = np.zeros(n, dtype=np.float64)
        for i, p in enumerate(predictions):
            try:
                image_ids[i], keypoints[i], bbox_scores[i], areas[i] = _record_arrays(
                    p, num_keypoints
                )
            except (KeyError, TypeError, ValueError, IndexError) as e:
                raise _malformed(source, i, num_keypoints, e) from e
    check_categories(predictions, category_ids, source=source, noun="record")
    boxes = result_boxes(predictions, source, "record")
    missing = np.isnan(areas)
    if missing.any():
        areas[missing] = keypoint_extent_area(np.nan_to_num(keypoints[missing]))
    preds = PredictionArrays(image_ids, keypoints, bbox_scores, areas, boxes)
    check_predictions(preds, num_keypoints, source)
    return preds


def check_predictions(preds: PredictionArrays, num_keypoints: int, source: str) -> None:
    """The checks every prediction path runs before anything is scored or written.

    Raises:
        ValueError naming ``source``, the first bad record (index and image) and what is wrong:
        keypoints other than (K, 3), NaN or inf in keypoints, score or area.
    """
    if preds.keypoints.shape[1:] != (num_keypoints, 3):
        raise ValueError(
            f"{source}: keypoints of shape {preds.keypoints.shape[1:]} per prediction, expected "
            f"({num_keypoints}, 3): the dataset's keypoint set has {num_keypoints} keypoints"
        )
    fields = {
        "keypoints or score": np.isfinite(preds.keypoints).all(axis=(1, 2))
        & np.isfinite(preds.bbox_scores),
        "area": np.isfinite(preds.areas),
    }
    for field, finite in fields.items():
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            raise ValueError(
                f"{source}, record {bad}: {field} contain NaN or inf (image "
                f"{int(preds.image_ids[bad])}; {int((~finite).sum())} such records); nothing was "
                "scored or written"
            )


def apply_protocol(
    preds: PredictionArrays,
    sigmas: Sequence[float],
    *,
    rescore: bool = True,
    keypoint_score_thr: float = 0.2,
    oks_nms_thr: Optional[float] = 0.9,
) -> KeypointResults:
    """Rescoring and OKS-NMS: the results that the OKS evaluation scores.

    Returns:
        :class:`~ljof.evaluation.keypoint_results.KeypointResults` sorted by image, then score
        descending (``.to_coco(category_id)`` gives the COCO results list).
    """
    if rescore:
        scores = rescore_by_keypoints(
            preds.keypoints[..., 2], preds.bbox_scores, keypoint_score_thr
        )
    else:
        scores = preds.bbox_scores.copy()
    if oks_nms_thr is not None and oks_nms_thr > 0:
        keep = batched_oks_nms(
            preds.image_ids, preds.keypoints, scores, preds.areas, oks_nms_thr, sigmas
        )
    else:
        keep = image_score_order(preds.image_ids, scores)
    boxes = None if preds.boxes is None else preds.boxes[keep]
    return KeypointResults(preds.image_ids[keep], preds.keypoints[keep], scores[keep], boxes)


def evaluate_keypoint_predictions(
    predictions,
    gt,
    *,
    keypoint_set: str = "coco",
    sigmas: Optional[Sequence[float]] = None,
    rescore: bool = True,
    keypoint_score_thr: float = 0.2,
    oks_nms_thr: Optional[float] = 0.9,
    output_dir: Optional[str] = None,
    source: str = "predictions",
) -> Dict[str, float]:
    """Score per-instance predictions against a GT with the full protocol; the GT is parsed once.

    Args:
        predictions: list of prediction dicts (module docstring), a json file of them (path; read by
            :func:`~.json_files.read_json_list`) or a :class:`PredictionArrays`.
        gt: GT json path (CrowdPose: images with ``crowdIndex``), its dict, a COCO-API object or a
            :class:`ljof.evaluation.KeypointGroundTruth`.
        keypoint_set: ``"coco"`` (COCO, OCHuman) or ``"crowdpose"``.
        sigmas: K OKS sigmas (default: the keypoint set's).
        rescore, keypoint_score_thr, oks_nms_thr: protocol steps (``oks_nms_thr <= 0``/None: no NMS).
        output_dir: if given, writes ``keypoint_results.json`` (what was scored) and
            ``keypoint_metrics.json`` (full precision, NaN for empty ranges) there.
        source: name used in error messages (e.g. the predictions file).

    Returns:
        metric name -> percent, NaN where a range has no GT (see :mod:`.oks_ap`).
    """
    meta = get_keypoint_set_metadata(keypoint_set)
    sigmas = meta["keypoint_oks_sigmas"] if sigmas is None else list(sigmas)
    num_keypoints = len(meta["keypoint_names"])
    if len(sigmas) != num_keypoints:
        raise ValueError(f"{len(sigmas)} OKS sigmas for a {num_keypoints}-keypoint set")
    with gc_paused():
        # the GT first: a GT that breaks the contract is named before any prediction problem
        gt = load_keypoint_gt(gt, keypoint_set, num_keypoints=num_keypoints)
        if isinstance(predictions, (str, os.PathLike)):
            source = os.fspath(predictions) if source == "predictions" else source
            predictions = read_json_list(predictions, "predictions")
        if not isinstance(predictions, PredictionArrays):
            predictions = predictions_to_arrays(
                predictions, num_keypoints, source, category_ids=gt.accepted_category_ids
            )
        else:
            check_predictions(predictions, num_keypoints, source)
        check_image_ids(
            predictions.image_ids, gt.image_ids, gt_source=gt.source, source=source, noun="record"
        )
        results = apply_protocol(
            predictions,
            sigmas,
            rescore=rescore,
            keypoint_score_thr=keypoint_score_thr,
            oks_nms_thr=oks_nms_thr,
        )
        if len(predictions) == 0:
            logger.warning(f"{source}: no predictions; every AP is 0 (NaN where there is no GT)")
        logger.info(
            f"Evaluating {len(results)} of {len(predictions)} predictions (rescore={rescore}, "
            f"oks_nms_thr={oks_nms_thr}) against {gt.source} ({keypoint_set} protocol)"
        )
        stats = _crowdpose_stats if keypoint_set == "crowdpose" else _coco_stats
        metrics = stats(gt, results, sigmas)
        if output_dir:
            os.makedirs(output_dir, exist_ok=True)
            with open(os.path.join(output_dir, "keypoint_results.json"), "w") as f:
                json.dump(results.to_coco(gt.person_category_id), f)
            with open(os.path.join(output_dir, "keypoint_metrics.json"), "w") as f:
                json.dump(metrics, f, indent=2)
    return metrics

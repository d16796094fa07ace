"""The occlusion analysis of a set of person predictions: AP by joint visibility, per-joint localisation
by visibility, and AP by person occlusion level. All figures in percent (as detectron2's evaluators).

Every AP / AR is the standard OKS evaluation (:func:`ljof.evaluation.compute_oks_ap`: pycocotools for
COCO / OCHuman, xtcocotools ``keypoints_crowd`` for CrowdPose) of the protocol's results (rescoring and
OKS-NMS, :func:`ljof.evaluation.apply_protocol`) against a GT copy from :mod:`.occlusion_gt`; the one
call into it is :func:`_oks_ap_percent`.

Per-joint localisation: for a GT joint with flag v and its person's prediction, the OKS keypoint
similarity ``exp(-d^2 / (2 s^2 k^2))`` (d: distance px; s^2: the OKS scale, GT ``area`` for COCO,
``0.53 * box w * h`` for CrowdPose; k = 2 sigma), the term whose mean over labeled joints is the OKS
(pycocotools ``cocoeval.py`` ``computeOks``; xtcocotools ``cocoeval.py`` for CrowdPose). The prediction
of a person is its own when the predictions carry ``annotation_id`` (GT boxes); otherwise the one the OKS
evaluation matches to it at OKS threshold 0.5 (``COCOeval.evalImgs`` ``gtMatches``); an unmatched
person's joints count with similarity 0.
"""

import contextlib
import io
import json
import logging
import os
import tempfile
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from .coco_eval import compute_oks_ap
from .occlusion_gt import (
    MAX_IOU_BUCKETS,
    OCCLUDED_FRACTION_BUCKETS,
    annotation_keypoints,
    assign_buckets,
    bucket_label,
    evaluated_annotations,
    mark_occluded,
    max_iou,
    occluded_fraction,
    restrict_to,
    visibility_subset,
)
from .oks import oks_iou
from .protocol import PredictionArrays, apply_protocol

__all__ = [
    "VISIBILITY_FLAGS",
    "SIMILARITY_THRESHOLD",
    "joint_similarity",
    "oks_scale",
    "oks_matches",
    "per_joint_localisation",
    "occlusion_metrics",
]

logger = logging.getLogger(__name__)

VISIBILITY_FLAGS = OrderedDict([("visible", 2), ("occluded", 1)])
SIMILARITY_THRESHOLD = 0.5
# CrowdPose (xtcocotools keypoints_crowd, use_area=False): OKS scale = 0.53 x GT box area.
_CROWDPOSE_AREA_FACTOR = 0.53


def _percent(value: float) -> Optional[float]:
    """A library fraction in percent; None for the libraries' -1 (no ground truth)."""
    return None if value < 0 else 100.0 * float(value)


def _write_gt(gt: Mapping, workdir: str, name: str) -> str:
    path = os.path.join(workdir, f"{name}.json")
    with open(path, "w") as f:
        json.dump(gt, f)
    return path


def _oks_ap_percent(
    gt: Mapping,
    results: List[Dict],
    keypoint_set: str,
    sigmas: Sequence[float],
    workdir: str,
    name: str,
) -> Dict[str, Optional[float]]:
    """OKS AP/AR (percent) of ``results`` against the GT dict ``gt``: the single call site of the OKS
    evaluation in the occlusion analysis."""
    metrics = compute_oks_ap(_write_gt(gt, workdir, name), results, keypoint_set, sigmas)
    return OrderedDict((k, _percent(v)) for k, v in metrics.items())


def oks_scale(ann: Mapping, keypoint_set: str) -> float:
    """The OKS scale s^2 (px^2) of a GT annotation: ``area`` (COCO protocol) or ``0.53 * w * h`` of its
    ``bbox`` (CrowdPose protocol, xtcocotools ``use_area=False``)."""
    if keypoint_set == "crowdpose":
        return _CROWDPOSE_AREA_FACTOR * float(ann["bbox"][2]) * float(ann["bbox"][3])
    return float(ann["area"])


def joint_similarity(
    gt_xy: np.ndarray, pred_xy: np.ndarray, scales: np.ndarray, sigmas: Sequence[float]
) -> np.ndarray:
    """Per-joint OKS keypoint similarity ``exp(-d^2 / (2 s^2 (2 sigma)^2))``.

    Args:
        gt_xy, pred_xy: (M, K, 2+) GT and predicted keypoints, px.
        scales: (M,) OKS scale s^2 of each GT person, px^2.
        sigmas: K OKS sigmas.

    Returns:
        (M, K) float64 in [0, 1]. Its mean over a person's labeled joints is pycocotools' OKS.
    """
    gt_xy = np.asarray(gt_xy, np.float64)[..., :2]
    pred_xy = np.asarray(pred_xy, np.float64)[..., :2]
    m, k = gt_xy.shape[:2]
    if pred_xy.shape != gt_xy.shape or len(sigmas) != k:
        raise ValueError(
            f"joint_similarity: GT {gt_xy.shape}, predictions {pred_xy.shape}, {len(sigmas)} sigmas"
        )
    out = np.zeros((m, k))
    if m == 0:
        return out
    # oks_iou of a single joint is its similarity; with the displacement divided by the scale's root,
    # one call per joint type covers every person (unit area for all).
    root = np.sqrt(np.asarray(scales, np.float64) + np.spacing(1))[:, None]
    for j in range(k):
        d = (pred_xy[:, j] - gt_xy[:, j]) / root
        out[:, j] = oks_iou(np.zeros((1, 2)), d[:, None, :], 1.0, np.ones(m), [sigmas[j]])
    return out


def oks_matches(
    gt_path: str, results: List[Dict], keypoint_set: str, sigmas: Sequence[float]
) -> Dict[int, int]:
    """The OKS evaluation's matching at OKS 0.5 (area range "all", 20 detections per image).

    Runs the protocol's library (pycocotools / xtcocotools ``COCOeval.evaluate``) and reads
    ``evalImgs[*]["gtMatches"][0]`` (threshold 0.5).

    Returns:
        GT annotation id -> index in ``results`` of the prediction matched to it (unmatched: absent).
    """
    if not results:
        return {}
    results = [dict(r) for r in results]  # loadRes writes into them
    with contextlib.redirect_stdout(io.StringIO()):
        if keypoint_set == "crowdpose":
            from xtcocotools.coco import COCO
            from xtcocotools.cocoeval import COCOeval

            gt = COCO(gt_path)
            ev = COCOeval(
                gt, gt.loadRes(results), "keypoints_crowd", np.asarray(sigmas), use_area=False
            )
        else:
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval

            gt = COCO(gt_path)
            ev = COCOeval(gt, gt.loadRes(results), "keypoints")
            ev.params.kpt_oks_sigmas = np.asarray(sigmas, dtype=np.float64)
        ev.params.useSegm = None
        ev.evaluate()
    if not np.isclose(ev.params.iouThrs[0], SIMILARITY_THRESHOLD):
        raise RuntimeError(f"COCOeval's first OKS threshold is {ev.params.iouThrs[0]}, not 0.5")
    num_images = len(ev.params.imgIds)
    matches = {}
    for e in ev.evalImgs[:num_images]:  # category person, area range "all"
        if e is None:
            continue
        for gt_id, dt_id in zip(e["gtIds"], e["gtMatches"][0]):
            if dt_id > 0:
                matches[int(gt_id)] = int(dt_id) - 1  # loadRes numbers results 1..N in order
    return matches


def per_joint_localisation(
    gt: Mapping,
    predicted_xy: Mapping[int, np.ndarray],
    keypoint_set: str,
    sigmas: Sequence[float],
    keypoint_names: Sequence[str],
) -> Dict:
    """Per joint type and visibility: count, mean similarity and fraction with similarity >= 0.5.

    Args:
        gt: GT dict; its evaluated annotations (:func:`~.occlusion_gt.evaluated_annotations`) are scored.
        predicted_xy: annotation id -> (K, 2) predicted keypoints px; a person without an entry scores 0.
        keypoint_set, sigmas, keypoint_names: the keypoint set.

    Returns:
        ``{"joints": {name: {"visible": row, "occluded": row}}, "all": {"visible": row, ...},
        "people": n, "people_with_prediction": n}``; a row is ``{"count", "mean_similarity",
        "fraction_above_0.5"}`` in percent (None when count is 0).
    """
    k = len(keypoint_names)
    anns = evaluated_annotations(gt)
    gt_kpts = np.stack([annotation_keypoints(a, k) for a in anns]) if anns else np.zeros((0, k, 3))
    has_pred = np.array([a["id"] in predicted_xy for a in anns], dtype=bool)
    pred_xy = (
        np.stack(
            [
                np.asarray(predicted_xy[a["id"]], np.float64)[:, :2] if h else np.zeros((k, 2))
                for a, h in zip(anns, has_pred)
            ]
        )
        if anns
        else np.zeros((0, k, 2))
    )
    scales = np.array([oks_scale(a, keypoint_set) for a in anns], dtype=np.float64)
    sim = joint_similarity(gt_kpts, pred_xy, scales, sigmas)
    sim[~has_pred] = 0.0

    def row(mask: np.ndarray) -> Dict:
        n = int(mask.sum())
        if n == 0:
            return {"count": 0, "mean_similarity": None, "fraction_above_0.5": None}
        values = sim[mask]
        return {
            "count": n,
            "mean_similarity": 100.0 * float(values.mean()),
            "fraction_above_0.5": 100.0 * float((values >= SIMILARITY_THRESHOLD).mean()),
        }

    joints = OrderedDict()
    for j, name in enumerate(keypoint_names):
        joints[name] = OrderedDict(
            (vis, row(np.eye(k, dtype=bool)[j][None, :] & (gt_kpts[:, :, 2] == flag)))
            for vis, flag in VISIBILITY_FLAGS.items()
        )
    overall = OrderedDict(
        (vis, row(gt_kpts[:, :, 2] == flag)) for vis, flag in VISIBILITY_FLAGS.items()
    )
    return {
        "joints": joints,
        "all": overall,
        "people": len(anns),
        "people_with_prediction": int(has_pred.sum()),
    }


def _bucket_rows(
    gt: Mapping,
    values: Mapping[int, Optional[float]],
    buckets,
    results: List[Dict],
    keypoint_set: str,
    sigmas: Sequence[float],
    workdir: str,
    name: str,
) -> List[Dict]:
    k = len(sigmas)
    rows = []
    for i, (bucket, ids) in enumerate(zip(buckets, assign_buckets(values, buckets))):
        label = bucket_label(bucket, last=i == len(buckets) - 1)
        row = OrderedDict(bucket=label, people=len(ids))
        if not ids:
            row.update(empty=True, AP=None, AR=None)
        else:
            metrics = _oks_ap_percent(
                restrict_to(gt, ids, k), results, keypoint_set, sigmas, workdir, f"{name}_{i}"
            )
            row.update(empty=False, **metrics)
        rows.append(row)
    return rows


def occlusion_metrics(
    predictions: Sequence[Mapping],
    gt: Mapping,
    *,
    keypoint_set: str,
    sigmas: Sequence[float],
    keypoint_names: Sequence[str],
    rescore: bool = True,
    keypoint_score_thr: float = 0.2,
    oks_nms_thr: Optional[float] = 0.9,
    buckets: bool = True,
    per_joint: bool = True,
    source: str = "predictions",
) -> Dict:
    """The occlusion analysis (module docstring) of per-instance predictions.

    Args:
        predictions: dicts with ``image_id``, ``keypoints`` (K, 3) [x, y, score] px, ``bbox_score``,
            ``area`` (OKS-NMS scale, px^2), optionally ``annotation_id`` (the GT person whose box made the
            crop) and ``occluded_joints`` ((K,) bool: joints a synthetic block covers; needs
            ``annotation_id``).
        gt: COCO-format GT dict (CrowdPose: with ``crowdIndex``); not modified.
        keypoint_set: ``"coco"`` or ``"crowdpose"``; sigmas, keypoint_names: K each.
        rescore, keypoint_score_thr, oks_nms_thr: the protocol (:func:`ljof.evaluation.apply_protocol`).
        buckets: compute the AP by occluded fraction and by MaxIoU.
        per_joint: compute the per-joint localisation table.
        source: name used in error messages.

    Returns:
        a json-serialisable dict: ``overall`` / ``visible`` / ``occluded`` metric dicts (percent; None
        where undefined), ``per_joint``, ``occluded_fraction_buckets``, ``max_iou_buckets``, counts.
    """
    k = len(keypoint_names)
    if len(sigmas) != k:
        raise ValueError(f"{len(sigmas)} OKS sigmas for {k} keypoint names")
    image_ids = {img["id"] for img in gt["images"]}
    ann_ids = {a.get("id") for a in gt["annotations"]}
    occluded, own_xy = {}, {}
    for i, p in enumerate(predictions):
        if p["image_id"] not in image_ids:
            raise ValueError(f"{source}, record {i}: image_id {p['image_id']} is not in the GT")
        ann_id = p.get("annotation_id")
        if ann_id is None:
            continue
        if ann_id not in ann_ids or ann_id in own_xy:
            raise ValueError(
                f"{source}, record {i}: annotation_id {ann_id} is "
                + ("not in the GT" if ann_id not in ann_ids else "predicted twice")
            )
        own_xy[ann_id] = np.asarray(p["keypoints"], np.float64).reshape(k, 3)[:, :2]
        if p.get("occluded_joints") is not None:
            occluded[ann_id] = np.asarray(p["occluded_joints"], bool)
    own_boxes = bool(predictions) and len(own_xy) == len(predictions)
    if occluded and not own_boxes:
        raise ValueError(f"{source}: occluded_joints need annotation_id on every prediction")
    # The keypoint evaluation reads no masks: dropping them keeps the many GT copies small.
    gt = dict(
        gt,
        annotations=[
            {f: v for f, v in a.items() if f != "segmentation"} for a in gt["annotations"]
        ],
    )
    if occluded:
        gt = mark_occluded(gt, occluded, k)

    arrays = PredictionArrays(
        [p["image_id"] for p in predictions],
        np.stack([np.asarray(p["keypoints"], np.float64).reshape(k, 3) for p in predictions])
        if predictions
        else np.zeros((0, k, 3)),
        [p["bbox_score"] for p in predictions],
        [p["area"] for p in predictions],
    )
    results = apply_protocol(
        arrays,
        sigmas,
        rescore=rescore,
        keypoint_score_thr=keypoint_score_thr,
        oks_nms_thr=oks_nms_thr,
    )
    anns = evaluated_annotations(gt)
    report = OrderedDict(
        keypoint_set=keypoint_set,
        predictions=len(predictions),
        scored_results=len(results),
        people=len(anns),
        synthetic_occluded_joints=int(sum(m.sum() for m in occluded.values())),
    )
    with tempfile.TemporaryDirectory(prefix="ljof_occlusion_") as workdir:
        gt_path = _write_gt(gt, workdir, "gt")
        report["overall"] = _oks_ap_percent(gt, results, keypoint_set, sigmas, workdir, "all")
        for vis, flag in VISIBILITY_FLAGS.items():
            subset = visibility_subset(gt, flag, k)
            metrics = OrderedDict(people=len(evaluated_annotations(subset)))
            if metrics["people"] == 0:
                metrics.update(empty=True, AP=None, AR=None)
            else:
                metrics.update(_oks_ap_percent(subset, results, keypoint_set, sigmas, workdir, vis))
            report[vis] = metrics
        if per_joint:
            if own_boxes:
                xy, matching = own_xy, "own prediction (GT boxes)"
            else:
                matched = oks_matches(gt_path, results, keypoint_set, sigmas)
                xy = {
                    a: np.asarray(results[r]["keypoints"], np.float64).reshape(k, 3)[:, :2]
                    for a, r in matched.items()
                }
                matching = "OKS evaluation match at OKS 0.5"
            report["per_joint"] = per_joint_localisation(
                gt, xy, keypoint_set, sigmas, keypoint_names
            )
            report["per_joint"]["matching"] = matching
        if buckets:
            fractions = {a["id"]: occluded_fraction(a, k) for a in anns}
            ious = max_iou(gt)
            ious = {a["id"]: ious.get(a["id"]) for a in anns}
            report["occluded_fraction_buckets"] = _bucket_rows(
                gt,
                fractions,
                OCCLUDED_FRACTION_BUCKETS,
                results,
                keypoint_set,
                sigmas,
                workdir,
                "occfrac",
            )
            report["max_iou_buckets"] = _bucket_rows(
                gt, ious, MAX_IOU_BUCKETS, results, keypoint_set, sigmas, workdir, "maxiou"
            )
    return report

"""The occlusion analysis of a set of person predictions: AP by joint visibility, per-joint localisation
by visibility, and AP by person occlusion level. All figures in percent (as detectron2's evaluators).

Every AP / AR is the standard OKS evaluation (:func:`ljof.evaluation.compute_oks_ap`: pycocotools'
statistics for COCO / OCHuman, crowdposetools' for CrowdPose) of the protocol's results (rescoring and
OKS-NMS, :func:`ljof.evaluation.apply_protocol`) against the GT, parsed once, or a subset of it as a
mask over the parsed people (:func:`ljof.evaluation.oks_ap.with_person_keypoints`: some joints or
people unlabelled); the one call into it is :func:`_oks_ap_percent`.

The per-joint localisation is :mod:`.joints`.
"""

from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ...data.datasets.person_category import LJOF_PERSON_CATEGORY_ID
from ..oks_ap import (
    KeypointGroundTruth,
    checked_results,
    compute_oks_ap,
    load_keypoint_gt,
    with_person_keypoints,
)
from .gt import (
    MAX_IOU_BUCKETS,
    OCCLUDED_FRACTION_BUCKETS,
    assign_buckets,
    bucket_label,
    evaluated_annotations,
    keep_visibility,
    mark_occluded,
    max_iou,
    occluded_fraction,
)
from ..keypoint_results import KeypointResults
from .joints import VISIBILITY_FLAGS, oks_matches, per_joint_localisation
from ..protocol import PredictionArrays, apply_protocol, check_predictions

__all__ = [
    "VISIBILITY_FLAGS",
    "occlusion_metrics",
    "prepare_occlusion_inputs",
    "visibility_subsets",
]


def _oks_ap_percent(
    gt: KeypointGroundTruth,
    results: KeypointResults,
    keypoint_set: str,
    sigmas: Sequence[float],
) -> Dict[str, Optional[float]]:
    """OKS AP/AR (percent) of ``results`` against the parsed GT or a subset of it: the single call
    site of the OKS evaluation in the occlusion analysis."""
    metrics = compute_oks_ap(gt, results, keypoint_set, sigmas)  # percent, NaN for an empty range
    return OrderedDict((k, None if np.isnan(v) else float(v)) for k, v in metrics.items())


def visibility_subsets(gt: KeypointGroundTruth) -> "OrderedDict[str, KeypointGroundTruth]":
    """``"visible"`` / ``"occluded"`` -> the parsed GT in which only the joints with that flag
    (:data:`VISIBILITY_FLAGS`) stay labelled, as masks over it (a person left with none is ignored)."""
    return OrderedDict(
        (name, with_person_keypoints(gt, keep_visibility(gt.people.keypoints, flag)))
        for name, flag in VISIBILITY_FLAGS.items()
    )


def _scored_people(gt: KeypointGroundTruth) -> int:
    """The people the OKS evaluation scores: not crowd, with a labelled joint."""
    return int(np.count_nonzero(~gt.people.ignore))


def _bucket_rows(
    gt: KeypointGroundTruth,
    values: Mapping[int, Optional[float]],
    buckets,
    results: KeypointResults,
    keypoint_set: str,
    sigmas: Sequence[float],
) -> List[Dict]:
    rows = []
    for i, (bucket, ids) in enumerate(zip(buckets, assign_buckets(values, buckets))):
        label = bucket_label(bucket, last=i == len(buckets) - 1)
        row = OrderedDict(bucket=label, people=len(ids))
        if not ids:
            row.update(empty=True, AP=None, AR=None)
        else:
            # the other people lose their joints: ignored, their matches neither TP nor FP
            keypoints = gt.people.keypoints.copy()
            keypoints[~np.isin(gt.people.ids, list(ids))] = 0.0
            subset = with_person_keypoints(gt, keypoints)
            row.update(empty=False, **_oks_ap_percent(subset, results, keypoint_set, sigmas))
        rows.append(row)
    return rows


def prepare_occlusion_inputs(
    predictions: Sequence[Mapping],
    gt: Mapping,
    *,
    sigmas: Sequence[float],
    keypoint_names: Sequence[str],
    rescore: bool = True,
    keypoint_score_thr: float = 0.2,
    oks_nms_thr: Optional[float] = 0.9,
    source: str = "predictions",
) -> Tuple[Dict, List[Dict], Dict[int, np.ndarray], Dict[int, np.ndarray]]:
    """Check the predictions against the GT and apply the protocol (shared by
    :func:`occlusion_metrics` and the paired bootstrap, ``ljof.evaluation.bootstrap``).

    Args: as :func:`occlusion_metrics`.

    Returns:
        ``(gt, results, occluded, own_xy)``: a GT copy without masks and with the synthetically covered
        joints marked occluded (v = 1); the protocol's COCO-format results (rescored, OKS-NMS);
        annotation id -> (K,) bool covered joints; annotation id -> (K, 2) the person's own predicted
        joints (GT-box predictions only).

    Raises:
        ValueError naming ``source`` and the record: an image or annotation id not in the GT, an
        annotation predicted twice, ``occluded_joints`` without ``annotation_id`` on every prediction.
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
    if occluded and len(own_xy) != len(predictions):
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
    check_predictions(arrays, k, source)
    results = apply_protocol(
        arrays,
        sigmas,
        rescore=rescore,
        keypoint_score_thr=keypoint_score_thr,
        oks_nms_thr=oks_nms_thr,
    ).to_coco(LJOF_PERSON_CATEGORY_ID)
    return gt, results, occluded, own_xy


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
    gt, results, occluded, own_xy = prepare_occlusion_inputs(
        predictions,
        gt,
        sigmas=sigmas,
        keypoint_names=keypoint_names,
        rescore=rescore,
        keypoint_score_thr=keypoint_score_thr,
        oks_nms_thr=oks_nms_thr,
        source=source,
    )
    own_boxes = bool(predictions) and len(own_xy) == len(predictions)
    anns = evaluated_annotations(gt)
    report = OrderedDict(
        keypoint_set=keypoint_set,
        predictions=len(predictions),
        scored_results=len(results),
        people=len(anns),
        synthetic_occluded_joints=int(sum(m.sum() for m in occluded.values())),
    )
    # the GT and the results parsed once; the subsets below are masks over them
    parsed = load_keypoint_gt(gt, keypoint_set, num_keypoints=k, source=f"ground truth of {source}")
    scored = checked_results(parsed, results, k, source)
    report["overall"] = _oks_ap_percent(parsed, scored, keypoint_set, sigmas)
    for vis, subset in visibility_subsets(parsed).items():
        metrics = OrderedDict(people=_scored_people(subset))
        if metrics["people"] == 0:
            metrics.update(empty=True, AP=None, AR=None)
        else:
            metrics.update(_oks_ap_percent(subset, scored, keypoint_set, sigmas))
        report[vis] = metrics
    if per_joint:
        if own_boxes:
            xy, matching = own_xy, "own prediction (GT boxes)"
        else:
            matched = oks_matches(parsed, scored, keypoint_set, sigmas)
            xy = {
                a: np.asarray(results[r]["keypoints"], np.float64).reshape(k, 3)[:, :2]
                for a, r in matched.items()
            }
            matching = "OKS evaluation match at OKS 0.5"
        report["per_joint"] = per_joint_localisation(gt, xy, keypoint_set, sigmas, keypoint_names)
        report["per_joint"]["matching"] = matching
    if buckets:
        fractions = {a["id"]: occluded_fraction(a, k) for a in anns}
        ious = max_iou(gt)
        ious = {a["id"]: ious.get(a["id"]) for a in anns}
        report["occluded_fraction_buckets"] = _bucket_rows(
            parsed, fractions, OCCLUDED_FRACTION_BUCKETS, scored, keypoint_set, sigmas
        )
        report["max_iou_buckets"] = _bucket_rows(
            parsed, ious, MAX_IOU_BUCKETS, scored, keypoint_set, sigmas
        )
    return report

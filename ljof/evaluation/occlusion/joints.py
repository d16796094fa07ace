"""Per-joint localisation by visibility: the OKS keypoint similarity of each GT joint's prediction.

For a GT joint and its person's prediction, the similarity is ``exp(-d^2 / (2 s^2 k^2))`` (d: distance
px; s^2: the OKS scale, GT ``area`` for COCO / OCHuman, ``0.53 * box w * h`` for CrowdPose; k = 2 sigma),
the term whose mean over labeled joints is the OKS (pycocotools ``cocoeval.py`` ``computeOks``;
xtcocotools ``cocoeval.py`` for CrowdPose). A person's prediction is its own when the predictions carry
``annotation_id`` (GT boxes); otherwise the one the OKS evaluation matches to it at OKS threshold 0.5
(``COCOeval.evalImgs`` ``gtMatches``, :func:`oks_matches`); an unmatched person's joints count with
similarity 0.
"""

from collections import OrderedDict
from typing import Dict, Mapping, Sequence

import numpy as np

from ...data.datasets.builtin_meta import VISIBILITY_FLAGS
from .gt import annotation_keypoints, evaluated_annotations
from ..oks import oks_iou
from ..oks_ap import CROWDPOSE_AREA_FACTOR, checked_results, image_matches, load_keypoint_gt

__all__ = [
    "VISIBILITY_FLAGS",
    "SIMILARITY_THRESHOLD",
    "joint_similarity",
    "oks_scale",
    "oks_matches",
    "per_joint_localisation",
]

SIMILARITY_THRESHOLD = 0.5


def oks_scale(ann: Mapping, keypoint_set: str) -> float:
    """The OKS scale s^2 (px^2) of a GT annotation: ``area`` (COCO protocol) or its ``bbox`` w x h x 0.53
    (CrowdPose protocol; the product in crowdposetools' order, as :mod:`.oks_ap` computes it)."""
    if keypoint_set == "crowdpose":
        return float(ann["bbox"][2]) * float(ann["bbox"][3]) * CROWDPOSE_AREA_FACTOR
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


def oks_matches(gt, results, keypoint_set: str, sigmas: Sequence[float]) -> Dict[int, int]:
    """The OKS evaluation's matching at OKS 0.5 (area range "all", 20 detections per image).

    pycocotools ``cocoeval.py`` ``evaluateImg``'s greedy matching (results by score, a regular GT
    before an ignored one, a crowd region matching any number of results), from the project's engine
    (:func:`ljof.evaluation.oks_ap.image_matches`): what ``COCOeval.evaluate`` leaves in
    ``evalImgs[*]["gtMatches"][0]``, a crowd region keeping its last matched result. CrowdPose: OKS
    scale box w x h x 0.53, as crowdposetools (and :func:`ljof.evaluation.crowdpose_oks_ap`).

    Args:
        gt: the GT: a COCO-format dict (CrowdPose: with ``crowdIndex``), a path or a parsed
            :class:`~ljof.evaluation.oks_ap.KeypointGroundTruth` (or a subset of one).
        results: COCO-format keypoint results (list of dicts or a checked
            :class:`~ljof.evaluation.keypoint_results.KeypointResults`).
        keypoint_set: ``"coco"`` or ``"crowdpose"``; sigmas: K OKS sigmas.

    Returns:
        GT annotation id -> index in ``results`` of the prediction matched to it (unmatched: absent).

    Raises:
        ValueError: as :func:`ljof.evaluation.compute_oks_ap` for a GT or results it refuses.
    """
    if not len(results):
        return {}
    k = len(sigmas)
    parsed = load_keypoint_gt(gt, keypoint_set, num_keypoints=k)
    checked = checked_results(parsed, results, k, "results")
    matches = image_matches(parsed, checked, sigmas, with_gt=True)
    gt_of = matches.dt_gt[0, 0]  # area range "all", OKS threshold 0.5
    hit = np.flatnonzero(gt_of >= 0)
    # results in evaluation order (image, then score): a crowd region keeps its last one
    return {
        int(parsed.people.ids[g]): int(matches.dt_index[d])
        for d, g in zip(hit.tolist(), gt_of[hit].tolist())
    }


def per_joint_localisation(
    gt: Mapping,
    predicted_xy: Mapping[int, np.ndarray],
    keypoint_set: str,
    sigmas: Sequence[float],
    keypoint_names: Sequence[str],
) -> Dict:
    """Per joint type and visibility: count, mean similarity and fraction with similarity >= 0.5.

    Args:
        gt: GT dict; its evaluated annotations (:func:`~.gt.evaluated_annotations`) are scored.
        predicted_xy: annotation id -> (K, 2) predicted keypoints px; a person without an entry scores 0.
        keypoint_set, sigmas, keypoint_names: the keypoint set.

    Returns:
        ``{"joints": {name: {"visible": row, "occluded": row}}, "all": {"visible": row, ...},
        "people": n, "people_with_prediction": n}``; a row is ``{"count", "mean_similarity",
        "fraction_above_0.5"}`` in percent (None when count is 0).
    """
    k = len(keypoint_names)
    anns = evaluated_annotations(gt)
    gt_kpts = np.zeros((len(anns), k, 3))
    pred_xy = np.zeros((len(anns), k, 2))
    has_pred = np.zeros(len(anns), dtype=bool)
    for i, ann in enumerate(anns):
        gt_kpts[i] = annotation_keypoints(ann, k)
        if ann["id"] in predicted_xy:
            pred_xy[i] = np.asarray(predicted_xy[ann["id"]], np.float64)[:, :2]
            has_pred[i] = True
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
            (vis, row((np.arange(k) == j)[None, :] & (gt_kpts[:, :, 2] == flag)))
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

"""Per joint: each GT person's best prediction, how close each of its joints is (OKS similarity) and
how often a model puts a person's left ankle (wrist, ...) on the right one, or the right one on the left,
and how far a limb joint's prediction lies toward its neighbour in the limb chain (does a hidden wrist drift
toward its elbow?).

A whole-person swap (:func:`ljof.main_job.comparison.left_right_swap_rate`) misses a model that gets the
body right and puts both ankles on the same foot; on the generated data that is the main way two
training seeds of the same recipe differ (docs/main_job.md, "Stable long training").
"""

from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from ljof.evaluation.occlusion.joints import joint_similarity, oks_scale, per_joint_localisation

__all__ = [
    "flip_pairs",
    "best_predictions",
    "pair_confusion_rates",
    "per_joint_similarity",
    "limb_drift",
]


def _side_free(name: str) -> str:
    """The joint name without ``left_`` / ``right_`` (``left_ankle`` -> ``ankle``)."""
    return name[5:] if name.startswith("left_") else name[6:] if name.startswith("right_") else name


def flip_pairs(metadata) -> List[tuple]:
    """(pair name, left index, right index) for every ``keypoint_flip_map`` pair; the name drops the
    ``left_`` prefix (``left_ankle`` -> ``ankle``)."""
    names = list(metadata.keypoint_names)
    out = []
    for a, b in metadata.keypoint_flip_map:
        name = _side_free(a) if a.startswith("left_") else f"{a}/{b}"
        out.append((name, names.index(a), names.index(b)))
    return out


def best_predictions(
    predictions: Sequence[Mapping], gt: Mapping, metadata
) -> Dict[int, np.ndarray]:
    """GT annotation id -> (K, 2) keypoints (px) of the prediction of its image with the highest OKS
    similarity to its labels (mean of :func:`~ljof.evaluation.occlusion.joints.joint_similarity` over
    the labelled joints, scale as the protocol); people without labelled joints, crowd regions and
    people whose image has no prediction are left out.

    Args:
        predictions: COCO keypoint results (``image_id``, ``keypoints`` of ``3 K`` numbers).
        gt: the COCO-format GT dict.
        metadata: detectron2 metadata with ``keypoint_oks_sigmas`` and ``keypoint_set``.
    """
    sigmas = metadata.keypoint_oks_sigmas
    by_image: Dict[int, List[np.ndarray]] = {}
    for p in predictions:
        xy = np.asarray(p["keypoints"], np.float64).reshape(-1, 3)[:, :2]
        by_image.setdefault(int(p["image_id"]), []).append(xy)
    out = {}
    for ann in gt["annotations"]:
        kpts = np.asarray(ann["keypoints"], np.float64).reshape(-1, 3)
        seen = kpts[:, 2] > 0
        preds = by_image.get(int(ann["image_id"]))
        if ann.get("iscrowd", 0) or not seen.any() or not preds:
            continue
        preds = np.stack(preds)
        scale = np.full(len(preds), oks_scale(ann, metadata.keypoint_set))
        sim = joint_similarity(np.repeat(kpts[None], len(preds), 0), preds, scale, sigmas)
        out[int(ann["id"])] = preds[int(np.argmax(sim[:, seen].mean(axis=1)))]
    return out


def pair_confusion_rates(
    predictions: Sequence[Mapping],
    gt: Mapping,
    metadata,
    best: Optional[Mapping[int, np.ndarray]] = None,
) -> Dict[str, float]:
    """Per ``keypoint_flip_map`` pair, the fraction of predicted joints that lie nearer the label of the
    other side than their own, over the GT people with both joints of the pair labelled.

    A person's prediction is :func:`best_predictions`'. Joint l of the pair (l, r) is confused when
    ``|p_l - g_r| < |p_l - g_l|`` (image pixels), likewise r. Both joints on one foot count 1 of 2;
    crossed joints (and a whole-person swap) 2 of 2. People whose image has no prediction count as not
    confused. NaN for a pair that no GT person has labelled on both sides.

    Args:
        predictions, gt, metadata: as :func:`best_predictions`; ``metadata`` also needs
            ``keypoint_names`` and ``keypoint_flip_map``.
        best: :func:`best_predictions` of these inputs when already computed.

    Returns:
        pair name (``"ankle"``, ``"wrist"``, ...) -> fraction in [0, 1].
    """
    pairs = flip_pairs(metadata)
    if best is None:
        best = best_predictions(predictions, gt, metadata)
    confused = {name: 0 for name, _, _ in pairs}
    total = {name: 0 for name, _, _ in pairs}
    for ann in gt["annotations"]:
        kpts = np.asarray(ann["keypoints"], np.float64).reshape(-1, 3)
        seen = kpts[:, 2] > 0
        if ann.get("iscrowd", 0) or not seen.any():
            continue
        both = [(name, left, right) for name, left, right in pairs if seen[left] and seen[right]]
        for name, _, _ in both:
            total[name] += 2
        pred = best.get(int(ann["id"]))
        if pred is None:
            continue
        g = kpts[:, :2]
        for name, left, right in both:
            for own, other in ((left, right), (right, left)):
                confused[name] += int(
                    np.linalg.norm(pred[own] - g[other]) < np.linalg.norm(pred[own] - g[own])
                )
    return {
        name: (confused[name] / total[name] if total[name] else float("nan"))
        for name, _, _ in pairs
    }


def per_joint_similarity(
    predictions: Sequence[Mapping],
    gt: Mapping,
    metadata,
    best: Optional[Mapping[int, np.ndarray]] = None,
) -> Dict:
    """Mean OKS similarity (percent) of each joint of each GT person's :func:`best_predictions` (or
    ``best``, when already computed), per joint and visibility
    (:func:`~ljof.evaluation.occlusion.joints.per_joint_localisation`; a person without a prediction
    scores 0): ``{joint name: {"visible": mean or None, "occluded": ...}}``."""
    table = per_joint_localisation(
        gt,
        best_predictions(predictions, gt, metadata) if best is None else best,
        metadata.keypoint_set,
        metadata.keypoint_oks_sigmas,
        list(metadata.keypoint_names),
    )
    return {
        name: {vis: row["mean_similarity"] for vis, row in rows.items()}
        for name, rows in table["joints"].items()
    }


def limb_drift(
    predictions: Sequence[Mapping],
    gt: Mapping,
    metadata,
    best: Optional[Mapping[int, np.ndarray]] = None,
) -> Dict[str, Dict[str, Optional[float]]]:
    """How far each limb joint's prediction lies along the segment to each of its limb-chain neighbours.

    For a joint j with label g_j, a chain neighbour n (``keypoint_limb_chains``: a wrist's is its
    elbow, an elbow's its wrist and shoulder) with label g_n, and the prediction p_j of the person's
    :func:`best_predictions`, the drift is ``(p_j - g_j) . (g_n - g_j) / |g_n - g_j|^2``: 0 on the
    label, 1 on the neighbour's label, negative away from it. The Dynamic Structure Loss compares only
    the sum of a joint's and its neighbours' heatmaps (paper §3.3), so a joint drawn toward a neighbour
    shows here as a positive drift. People whose image has no prediction, crowd regions and pairs with
    either joint unlabelled (or both labels on one pixel) are left out.

    Args:
        predictions, gt, metadata: as :func:`best_predictions`; ``metadata`` also needs
            ``keypoint_names`` and ``keypoint_limb_chains``.
        best: :func:`best_predictions` of these inputs when already computed.

    Returns:
        ``"wrist->elbow"`` (left and right together, by the names without ``left_``/``right_``) ->
        ``{"visible": median percent of the segment, "occluded": ...}`` by j's flag (v = 2 / v = 1;
        None without such a joint).
    """
    names = list(metadata.keypoint_names)
    if best is None:
        best = best_predictions(predictions, gt, metadata)
    pairs = []  # (name, joint, neighbour)
    for chain in metadata.keypoint_limb_chains:
        for i, j in enumerate(chain):
            for n in chain[max(i - 1, 0) : i] + chain[i + 1 : i + 2]:
                name = f"{_side_free(names[j])}->{_side_free(names[n])}"
                if _side_free(names[j]) != _side_free(names[n]):  # not across the chest
                    pairs.append((name, int(j), int(n)))
    values: Dict[str, Dict[str, List[float]]] = {}
    for name, _, _ in pairs:
        values.setdefault(name, {"visible": [], "occluded": []})
    for ann in gt["annotations"]:
        pred = best.get(int(ann["id"]))
        if pred is None or ann.get("iscrowd", 0):
            continue
        kpts = np.asarray(ann["keypoints"], np.float64).reshape(-1, 3)
        for name, j, n in pairs:
            if kpts[j, 2] <= 0 or kpts[n, 2] <= 0:
                continue
            seg = kpts[n, :2] - kpts[j, :2]
            length2 = float(seg @ seg)
            if length2 > 0:
                vis = "visible" if kpts[j, 2] >= 2 else "occluded"
                values[name][vis].append(float((pred[j] - kpts[j, :2]) @ seg) / length2)
    return {
        name: {vis: (100.0 * float(np.median(v)) if v else None) for vis, v in rows.items()}
        for name, rows in values.items()
    }

"""Per joint: each GT person's best prediction, how close each of its joints is (OKS similarity) and
how often a model puts a person's left ankle (wrist, ...) on the right one, or the right one on the left.

A whole-person swap (:func:`ljof.main_job.comparison.left_right_swap_rate`) misses a model that gets the
body right and puts both ankles on the same foot; on the generated data that is the main way two
training seeds of the same recipe differ (docs/main_job.md, "Stable long training").
"""

from typing import Dict, List, Mapping, Sequence

import numpy as np

from ljof.evaluation.occlusion.joints import joint_similarity, oks_scale, per_joint_localisation

__all__ = ["flip_pairs", "best_predictions", "pair_confusion_rates", "per_joint_similarity"]


def flip_pairs(metadata) -> List[tuple]:
    """(pair name, left index, right index) for every ``keypoint_flip_map`` pair; the name drops the
    ``left_`` prefix (``left_ankle`` -> ``ankle``)."""
    names = list(metadata.keypoint_names)
    out = []
    for a, b in metadata.keypoint_flip_map:
        name = a[5:] if a.startswith("left_") else f"{a}/{b}"
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


def pair_confusion_rates(predictions: Sequence[Mapping], gt: Mapping, metadata) -> Dict[str, float]:
    """Per ``keypoint_flip_map`` pair, the fraction of predicted joints that lie nearer the label of the
    other side than their own, over the GT people with both joints of the pair labelled.

    A person's prediction is :func:`best_predictions`'. Joint l of the pair (l, r) is confused when
    ``|p_l - g_r| < |p_l - g_l|`` (image pixels), likewise r. Both joints on one foot count 1 of 2;
    crossed joints (and a whole-person swap) 2 of 2. People whose image has no prediction count as not
    confused. NaN for a pair that no GT person has labelled on both sides.

    Args:
        predictions, gt, metadata: as :func:`best_predictions`; ``metadata`` also needs
            ``keypoint_names`` and ``keypoint_flip_map``.

    Returns:
        pair name (``"ankle"``, ``"wrist"``, ...) -> fraction in [0, 1].
    """
    pairs = flip_pairs(metadata)
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


def per_joint_similarity(predictions: Sequence[Mapping], gt: Mapping, metadata) -> Dict:
    """Mean OKS similarity (percent) of each joint of each GT person's :func:`best_predictions`, per
    joint and visibility (:func:`~ljof.evaluation.occlusion.joints.per_joint_localisation`; a person
    without a prediction scores 0): ``{joint name: {"visible": mean or None, "occluded": ...}}``."""
    table = per_joint_localisation(
        gt,
        best_predictions(predictions, gt, metadata),
        metadata.keypoint_set,
        metadata.keypoint_oks_sigmas,
        list(metadata.keypoint_names),
    )
    return {
        name: {vis: row["mean_similarity"] for vis, row in rows.items()}
        for name, rows in table["joints"].items()
    }

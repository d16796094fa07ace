"""Scores of the main job's runs and their differences, with uncertainty.

* :func:`split_scores`: a run's OKS AP / AP50 / AP75 / AR over all joints and the AP over the visible
  (v = 2) and the occluded (v = 1) joints of one split (the occlusion analysis,
  :func:`ljof.evaluation.occlusion.metrics.occlusion_metrics`, same protocol as the evaluator).
* :func:`paired_differences`: run B minus run A on those metrics with a **paired bootstrap** interval
  over test images (:mod:`ljof.evaluation.bootstrap`): the uncertainty from which test images were drawn.
* :func:`seed_statistics`: mean ± std over training seeds and a Student-t interval of the mean paired
  difference: the uncertainty from training (initialisation, data order), which single runs hide.

All values in percent.
"""

import json
import math
from collections import OrderedDict
from typing import Dict, List, Mapping, Sequence

import numpy as np
from scipy import stats

from ljof.evaluation.bootstrap import paired_occlusion_bootstrap
from ljof.evaluation.occlusion.joints import joint_similarity, oks_scale
from ljof.evaluation.occlusion.metrics import occlusion_metrics

from .per_joint import flip_pairs

__all__ = [
    "SPLIT_METRICS",
    "load_predictions",
    "split_scores",
    "paired_differences",
    "seed_statistics",
    "left_right_swap_rate",
]

# (name, subset of the occlusion analysis, metric of that subset)
_METRIC_SOURCES = OrderedDict(
    AP=("overall", "AP"),
    AP50=("overall", "AP50"),
    AP75=("overall", "AP75"),
    AR=("overall", "AR"),
    AP_visible=("visible", "AP"),
    AP_occluded=("occluded", "AP"),
)
SPLIT_METRICS = tuple(_METRIC_SOURCES)


def load_predictions(path: str, num_keypoints: int) -> List[Dict]:
    """Per-instance predictions from a ``keypoint_predictions.json`` of ``TopDownKeypointEvaluator``
    (``image_id``, ``keypoints`` K x [x, y, score], ``bbox_score``, ``area``).

    Raises:
        ValueError naming the file and the entry when a field is missing or has the wrong length.
    """
    with open(path) as f:
        rows = json.load(f)
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a json list of predictions")
    out = []
    for i, r in enumerate(rows):
        try:
            kpts = np.asarray(r["keypoints"], np.float64).reshape(num_keypoints, 3)
            out.append(
                dict(
                    image_id=int(r["image_id"]),
                    keypoints=kpts,
                    bbox_score=float(r["bbox_score"]),
                    area=float(r["area"]),
                )
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(
                f"{path}, entry {i}: expected image_id, {num_keypoints} x [x, y, score] keypoints, "
                f"bbox_score and area ({type(e).__name__}: {e})"
            ) from e
    return out


def _protocol(metadata) -> Dict:
    return dict(
        keypoint_set=metadata.keypoint_set,
        sigmas=metadata.keypoint_oks_sigmas,
        keypoint_names=metadata.keypoint_names,
    )


def split_scores(predictions: Sequence[Mapping], gt: Mapping, metadata) -> "OrderedDict":
    """:data:`SPLIT_METRICS` of one run on one split (percent; NaN where undefined).

    Args:
        predictions: as :func:`load_predictions` returns them.
        gt: the split's COCO-format GT dict.
        metadata: the split's registered metadata (``keypoint_set``, ``keypoint_oks_sigmas``,
            ``keypoint_names``).
    """
    report = occlusion_metrics(
        predictions, gt, buckets=False, per_joint=False, **_protocol(metadata)
    )
    out = OrderedDict()
    for name, (subset, metric) in _METRIC_SOURCES.items():
        value = report[subset].get(metric)
        out[name] = float("nan") if value is None else float(value)
    return out


def paired_differences(
    predictions_a: Sequence[Mapping],
    predictions_b: Sequence[Mapping],
    gt: Mapping,
    metadata,
    *,
    num_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> "OrderedDict":
    """B minus A on :data:`SPLIT_METRICS` with paired bootstrap intervals over the split's images.

    Returns:
        metric -> ``{"a", "b", "delta", "lower", "upper", "std_err", "prob_positive"}`` (percent;
        ``prob_positive`` a fraction), as :func:`ljof.evaluation.bootstrap.paired_bootstrap`.
    """
    boot = paired_occlusion_bootstrap(
        predictions_a,
        predictions_b,
        gt,
        num_resamples=num_resamples,
        seed=seed,
        confidence=confidence,
        **_protocol(metadata),
    )
    nan = float("nan")
    out = OrderedDict()
    for name, (subset, metric) in _METRIC_SOURCES.items():
        row = boot.get(subset, {}).get(metric)
        out[name] = row or dict(a=nan, b=nan, delta=nan, lower=nan, upper=nan, std_err=nan,
                                prob_positive=nan)  # fmt: skip
    return out


def seed_statistics(values: Sequence[float], confidence: float = 0.95) -> Dict[str, float]:
    """Mean, sample std and the Student-t interval of the mean of per-seed values (e.g. the paired
    differences of runs with the same seed); NaN values are left out, the interval is NaN below two.
    """
    x = np.asarray([v for v in values if not math.isnan(v)], np.float64)
    n = len(x)
    out = {"n": n, "mean": float(x.mean()) if n else float("nan")}
    out["std"] = float(x.std(ddof=1)) if n > 1 else float("nan")
    if n > 1:
        half = stats.t.ppf(0.5 + confidence / 2, df=n - 1) * out["std"] / math.sqrt(n)
        out["lower"], out["upper"] = out["mean"] - half, out["mean"] + half
    else:
        out["lower"] = out["upper"] = float("nan")
    return out


def left_right_swap_rate(
    predictions: Sequence[Mapping], gt: Mapping, metadata, *, margin: float = 0.1
) -> float:
    """Fraction of the GT people (with labelled joints) whose prediction fits the left/right-mirrored
    labels better than the labels, by more than ``margin`` OKS: how often a model confuses the
    person's left and right (a model that cannot tell front from back confuses every person it sees
    from the side it did not assume).

    A person's prediction is the one of its image that fits it best, as labelled or mirrored. OKS
    over the labelled joints, scale as the protocol (:func:`ljof.evaluation.occlusion.joints.oks_scale`);
    the mirror swaps the ``keypoint_flip_map`` pairs. NaN when the GT has no person with joints.
    """
    mirror = np.arange(len(metadata.keypoint_names))
    for _, left, right in flip_pairs(metadata):
        mirror[left], mirror[right] = right, left
    sigmas = metadata.keypoint_oks_sigmas
    by_image: Dict[int, List[np.ndarray]] = {}
    for p in predictions:
        by_image.setdefault(int(p["image_id"]), []).append(np.asarray(p["keypoints"], np.float64))
    swapped = total = 0
    for ann in gt["annotations"]:
        kpts = np.asarray(ann["keypoints"], np.float64).reshape(-1, 3)
        if ann.get("iscrowd", 0) or not (kpts[:, 2] > 0).any():
            continue
        total += 1
        preds = by_image.get(int(ann["image_id"]))
        if not preds:
            continue
        preds = np.stack(preds)[..., :2]
        scale = np.full(len(preds), oks_scale(ann, metadata.keypoint_set))
        fits = []
        for labels in (kpts, kpts[mirror]):
            sim = joint_similarity(np.repeat(labels[None], len(preds), 0), preds, scale, sigmas)
            seen = labels[:, 2] > 0
            fits.append(sim[:, seen].mean(axis=1))
        best = int(np.argmax(np.maximum(*fits)))
        swapped += int(fits[1][best] - fits[0][best] > margin)
    return swapped / total if total else float("nan")

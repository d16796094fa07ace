"""Paired bootstrap confidence intervals for the difference in OKS AP / AR between two models.

Both models' results are scored on the same GT; each bootstrap resample draws the GT images with
replacement, and the **same** drawn images score both models, so image difficulty cancels out of the
difference (a paired test). The engine is the project's (:mod:`.cocoeval_arrays`): each model's
per-image matching (pycocotools ``cocoeval.py`` ``evaluateImg``) is computed once, and every resample
only re-accumulates it (``accumulate``, ``summarize``) over the drawn images with their multiplicities:
an image drawn twice counts twice, with its results and GT people, exactly as re-evaluating a GT and
results in which its copies stand next to each other
(:func:`~.cocoeval_arrays.accumulate_resampled`; ``tests/evaluation/test_bootstrap.py`` checks it
against that brute-force bootstrap). The interval is the percentile interval of the resampled
differences.

Resample b draws its images with ``numpy.random.default_rng([seed, b])``: the same seed gives the same
intervals, whatever the chunking. Values are percent, as everywhere in :mod:`ljof.evaluation`;
``prob_positive`` is the fraction of resamples in which the second model scores higher.
"""

import math
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from .cocoeval_arrays import (
    ImageMatches,
    accumulate,
    accumulate_resampled,
    summarize_keypoints,
    summarize_resampled,
)
from .keypoint_results import KeypointResults
from .oks_ap import (
    COCO_METRIC_NAMES,
    CROWDPOSE_METRIC_NAMES,
    KeypointGroundTruth,
    _sigmas,
    checked_results,
    gc_paused,
    image_matches,
    load_keypoint_gt,
)
from .occlusion.metrics import prepare_occlusion_inputs, visibility_subsets

__all__ = ["BOOTSTRAP_METRICS", "paired_bootstrap", "paired_occlusion_bootstrap"]

# The summary metrics with a paired interval. CrowdPose's easy / medium / hard split has none (it is a
# mean over image subsets, not one of the summary statistics).
BOOTSTRAP_METRICS = {
    "coco": COCO_METRIC_NAMES,
    "crowdpose": tuple(m for m in CROWDPOSE_METRIC_NAMES if m not in ("APE", "APM", "APH")),
}
# Upper bound on the elements of one chunk of resample counts (resamples x images).
_CHUNK_ELEMENTS = 2_000_000


def _resample_counts(num_images: int, resamples: range, seed: int) -> np.ndarray:
    """(len(resamples), I) int64: how often each image is drawn in each resample (I draws with
    replacement, resample b from ``default_rng([seed, b])``)."""
    counts = np.empty((len(resamples), num_images), dtype=np.int64)
    for row, b in enumerate(resamples):
        draws = np.random.default_rng([seed, b]).integers(0, num_images, size=num_images)
        counts[row] = np.bincount(draws, minlength=num_images)
    return counts


def _percent(value: float) -> float:
    return 100.0 * float(value) if value >= 0 else float("nan")


def _paired(
    gt: KeypointGroundTruth,
    results_a: KeypointResults,
    results_b: KeypointResults,
    *,
    names: Sequence[str],
    sigmas: Sequence[float],
    num_resamples: int,
    seed: int,
    confidence: float,
) -> "OrderedDict[str, Dict[str, float]]":
    """:func:`paired_bootstrap` of checked results against a parsed GT (or a subset of it)."""
    if num_resamples < 1:
        raise ValueError(f"num_resamples must be >= 1, got {num_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    columns = [COCO_METRIC_NAMES.index(name) for name in names]
    matches = [image_matches(gt, r, sigmas) for r in (results_a, results_b)]
    point = [summarize_keypoints(*accumulate(m))[columns] for m in matches]
    num_images = len(gt.image_ids)
    step = max(1, _CHUNK_ELEMENTS // max(1, num_images))
    deltas = []
    for begin in range(0, num_resamples, step):
        counts = _resample_counts(num_images, range(begin, min(begin + step, num_resamples)), seed)
        a, b = (_resampled_stats(m, counts)[:, columns] for m in matches)
        # an area range without counted GT people in a resample: undefined for both, left out
        deltas.append(np.where((a >= 0) & (b >= 0), b - a, np.nan))
    deltas = np.concatenate(deltas) * 100.0
    alpha = 1.0 - confidence
    out = OrderedDict()
    for column, name in enumerate(names):
        a, b = _percent(point[0][column]), _percent(point[1][column])
        d = deltas[:, column]
        d = d[~np.isnan(d)]
        defined = len(d) > 0 and not (math.isnan(a) or math.isnan(b))
        nan = float("nan")
        lower, upper = np.quantile(d, [alpha / 2, 1 - alpha / 2]) if defined else (nan, nan)
        out[name] = {
            "a": a,
            "b": b,
            "delta": b - a,
            "lower": float(lower),
            "upper": float(upper),
            "std_err": (float(np.std(d, ddof=1)) if len(d) > 1 else 0.0) if defined else nan,
            "prob_positive": float(np.mean(d > 0)) if defined else nan,
        }
    return out


def _resampled_stats(matches: ImageMatches, counts: np.ndarray) -> np.ndarray:
    """(B, 10) summary statistics (fractions, -1 undefined) of B resamples (``counts`` (B, I))."""
    return summarize_resampled(*accumulate_resampled(matches, counts))


def paired_bootstrap(
    gt,
    results_a: Sequence[Dict],
    results_b: Sequence[Dict],
    *,
    keypoint_set: str = "coco",
    sigmas: Optional[Sequence[float]] = None,
    num_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> "OrderedDict[str, Dict[str, float]]":
    """Model B minus model A on every summary metric, with a paired bootstrap interval over images.

    Args:
        gt: GT json path, parsed dict, COCO-API object or :class:`~ljof.evaluation.KeypointGroundTruth`.
        results_a, results_b: COCO-format keypoint results of the two models on ``gt`` (as
            :func:`~ljof.evaluation.coco_oks_ap` takes them: already rescored / NMS-ed).
        keypoint_set: ``"coco"`` (pycocotools' statistics) or ``"crowdpose"`` (crowdposetools' OKS
            scale; no interval for APE/APM/APH).
        sigmas: K OKS sigmas (default: the keypoint set's).
        num_resamples: bootstrap resamples (>= 1; 1,000 or more for a 95 % interval).
        seed: the resampling seed (same seed, same intervals).
        confidence: the interval's level, in (0, 1).

    Returns:
        metric (``BOOTSTRAP_METRICS[keypoint_set]``) -> ``{"a", "b", "delta", "lower", "upper",
        "std_err"}`` in percent and ``"prob_positive"`` (fraction of resamples with B > A): ``a``,
        ``b``, ``delta`` the statistics on the GT as it is; ``lower`` / ``upper`` the ``(1 -
        confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the resampled differences
        (``numpy.quantile``, linear interpolation), ``std_err`` their standard deviation (ddof 1).
        A resample in which a metric is undefined (no GT person of an area range drawn) is left out
        of that metric's interval; NaN where the metric is undefined on the GT itself.

    Raises:
        ValueError: bad ``num_resamples`` / ``confidence``, or results that do not fit the GT (as
        :func:`~ljof.evaluation.coco_oks_ap`).
    """
    sigmas = _sigmas(sigmas, keypoint_set)
    with gc_paused():
        gt = load_keypoint_gt(gt, keypoint_set, num_keypoints=len(sigmas))
        checked = [
            checked_results(gt, r, len(sigmas), name)
            for r, name in ((results_a, "results_a"), (results_b, "results_b"))
        ]
        return _paired(
            gt,
            *checked,
            names=BOOTSTRAP_METRICS[keypoint_set],
            sigmas=sigmas,
            num_resamples=int(num_resamples),
            seed=int(seed),
            confidence=float(confidence),
        )


def paired_occlusion_bootstrap(
    predictions_a: Sequence[Mapping],
    predictions_b: Sequence[Mapping],
    gt: Mapping,
    *,
    keypoint_set: str,
    sigmas: Sequence[float],
    keypoint_names: Sequence[str],
    rescore: bool = True,
    keypoint_score_thr: float = 0.2,
    oks_nms_thr: Optional[float] = 0.9,
    num_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> "OrderedDict[str, OrderedDict]":
    """:func:`paired_bootstrap` of the occlusion analysis' AP: over all joints (``"overall"``), the
    visible joints (GT v = 2) and the occluded joints (v = 1), as
    :func:`~ljof.evaluation.occlusion.metrics.occlusion_metrics` defines them.

    Args:
        predictions_a, predictions_b: per-instance predictions of the two models, in
            :func:`~ljof.evaluation.occlusion.metrics.occlusion_metrics`' format; joints covered by
            synthetic blocks (``occluded_joints``) must be the same for both.
        gt: COCO-format GT dict; the other arguments as :func:`paired_bootstrap` and
            :func:`~ljof.evaluation.occlusion.metrics.occlusion_metrics`.

    Returns:
        ``{"overall" | "visible" | "occluded": {metric: interval}}`` (a subset without people is left
        out).

    Raises:
        ValueError: the two models' synthetic blocks differ, or as the functions above.
    """
    protocol = dict(
        sigmas=sigmas,
        keypoint_names=keypoint_names,
        rescore=rescore,
        keypoint_score_thr=keypoint_score_thr,
        oks_nms_thr=oks_nms_thr,
    )
    gt_a, results_a, covered_a, _ = prepare_occlusion_inputs(
        predictions_a, gt, source="predictions_a", **protocol
    )
    _, results_b, covered_b, _ = prepare_occlusion_inputs(
        predictions_b, gt, source="predictions_b", **protocol
    )
    if covered_a.keys() != covered_b.keys() or any(
        (covered_a[k] != covered_b[k]).any() for k in covered_a
    ):
        raise ValueError(
            "paired_occlusion_bootstrap: the two models' predictions cover different joints with "
            "synthetic blocks; pair runs made with the same BlockOcclusionMapper seed and alpha"
        )
    k = len(keypoint_names)
    options = dict(
        names=BOOTSTRAP_METRICS[keypoint_set],
        sigmas=sigmas,
        num_resamples=int(num_resamples),
        seed=int(seed),
        confidence=float(confidence),
    )
    with gc_paused():
        parsed = load_keypoint_gt(gt_a, keypoint_set, num_keypoints=k)
        checked_a = checked_results(parsed, results_a, k, "predictions_a")
        checked_b = checked_results(parsed, results_b, k, "predictions_b")
        subsets = OrderedDict(overall=parsed, **visibility_subsets(parsed))
        out = OrderedDict()
        for name, subset in subsets.items():
            if (~subset.people.ignore).any():  # a subset without people that count: left out
                out[name] = _paired(subset, checked_a, checked_b, **options)
        return out

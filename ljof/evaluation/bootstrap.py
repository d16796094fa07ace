"""Paired bootstrap confidence intervals for the difference in OKS AP / AR between two models.

Both models' results are scored on the same GT; each bootstrap resample draws the test images with
replacement, and the **same** drawn images score both models, so image difficulty cancels out of the
difference (a paired test). The engine is hotcoco's ``compare`` (PyPI ``hotcoco``, the library that
computes the exact statistics in :mod:`.oks_ap`): it re-accumulates the per-image matches of each resample
without recomputing OKS, 1,000 resamples of a few hundred images in a fraction of a second. The interval
is the percentile interval of the resampled differences (Efron & Tibshirani, "An Introduction to the
Bootstrap", 1993, §13.3).

Values are percent, as everywhere in :mod:`ljof.evaluation`; ``prob_positive`` is the fraction of
resamples in which the second model scores higher.
"""

import contextlib
import io
import math
import warnings
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Sequence

import hotcoco

from .cocoeval_arrays import MAX_DETS
from .keypoint_results import KeypointResults
from .oks_ap import (
    COCO_METRIC_NAMES,
    CROWDPOSE_METRIC_NAMES,
    KeypointGroundTruth,
    _sigmas,
    checked_results,
    gc_paused,
    load_keypoint_gt,
)
from .occlusion.metrics import prepare_occlusion_inputs
from .occlusion.gt import evaluated_annotations, visibility_subset
from .occlusion.joints import VISIBILITY_FLAGS

__all__ = ["BOOTSTRAP_METRICS", "paired_bootstrap", "paired_occlusion_bootstrap"]

# The summary metrics with a paired interval. CrowdPose's easy / medium / hard split has none (it is a
# mean over image subsets, not one of hotcoco's summary statistics).
BOOTSTRAP_METRICS = {
    "coco": COCO_METRIC_NAMES,
    "crowdpose": tuple(m for m in CROWDPOSE_METRIC_NAMES if m not in ("APE", "APM", "APH")),
}


def _hotcoco_evaluator(gt: KeypointGroundTruth, results: KeypointResults, sigmas: Sequence[float]):
    """An evaluated, accumulated and summarized ``hotcoco.COCOeval`` of the person category (the
    input of ``hotcoco.compare``; its statistics equal :func:`~ljof.evaluation.coco_oks_ap`'s, tested)."""
    dt = gt.coco.load_res(results.to_coco(gt.person_category_id))
    ev = hotcoco.COCOeval(gt.coco, dt, "keypoints")
    ev.params.kpt_oks_sigmas = [float(s) for s in sigmas]
    ev.params.cat_ids = [gt.person_category_id]
    ev.params.max_dets = [MAX_DETS]
    # silence hotcoco's table and its warning that non-COCO sigmas redefine OKS (intended here)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.filterwarnings("ignore", message=".*kpt_oks_sigmas differ.*")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def _percent(value: Optional[float]) -> float:
    return float("nan") if value is None or value < 0 else 100.0 * float(value)


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
        "std_err"}`` in percent (NaN where a metric is undefined, e.g. no GT in an area range) and
        ``"prob_positive"`` (fraction of resamples with B > A).

    Raises:
        ValueError: bad ``num_resamples`` / ``confidence``, or results that do not fit the GT (as
        :func:`~ljof.evaluation.coco_oks_ap`).
    """
    if int(num_resamples) < 1:
        raise ValueError(f"num_resamples must be >= 1, got {num_resamples}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    sigmas = _sigmas(sigmas, keypoint_set)
    gt = load_keypoint_gt(gt, keypoint_set, num_keypoints=len(sigmas))
    with gc_paused():
        evals = [
            _hotcoco_evaluator(gt, checked_results(gt, r, len(sigmas), name), sigmas)
            for r, name in ((results_a, "results_a"), (results_b, "results_b"))
        ]
        with contextlib.redirect_stdout(io.StringIO()):
            cmp = hotcoco.compare(
                evals[0],
                evals[1],
                n_bootstrap=int(num_resamples),
                seed=int(seed),
                confidence=float(confidence),
            )
    out = OrderedDict()
    for name in BOOTSTRAP_METRICS[keypoint_set]:
        a, b = _percent(cmp["metrics_a"].get(name)), _percent(cmp["metrics_b"].get(name))
        ci = (cmp.get("ci") or {}).get(name)
        defined = ci is not None and not (math.isnan(a) or math.isnan(b))
        out[name] = {
            "a": a,
            "b": b,
            "delta": b - a,
            "lower": 100.0 * ci["lower"] if defined else float("nan"),
            "upper": 100.0 * ci["upper"] if defined else float("nan"),
            "std_err": 100.0 * ci["std_err"] if defined else float("nan"),
            "prob_positive": float(ci["prob_positive"]) if defined else float("nan"),
        }
    return out


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
    subsets = OrderedDict(overall=gt_a)
    for name, flag in VISIBILITY_FLAGS.items():
        subsets[name] = visibility_subset(gt_a, flag, len(keypoint_names))
    out = OrderedDict()
    for name, subset in subsets.items():
        if not evaluated_annotations(subset):
            continue
        out[name] = paired_bootstrap(
            subset,
            results_a,
            results_b,
            keypoint_set=keypoint_set,
            sigmas=sigmas,
            num_resamples=num_resamples,
            seed=seed,
            confidence=confidence,
        )
    return out

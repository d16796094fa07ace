"""The robustness curve: AP, AP_visible and AP_occluded of a model under synthetic test-time block
occlusion (:class:`~ljof.data.block_occlusion.BlockOcclusionMapper`) at each LJA alpha; a driver that
runs inference, kept outside :mod:`ljof.evaluation`."""

from typing import Dict, List, Optional, Tuple

from detectron2.evaluation import inference_on_dataset

from ..data.block_occlusion import DEFAULT_ALPHAS, DEFAULT_BETA, BlockOcclusionMapper
from ..engine import build_topdown_test_loader
from ..evaluation import OcclusionEvaluator

__all__ = ["curve_point", "robustness_curve"]


def curve_point(report: Dict, alpha: float) -> Dict:
    """One point of the robustness curve from an occlusion report (percent; None where undefined)."""
    point = {"alpha": float(alpha), "occluded_joints": report["synthetic_occluded_joints"]}
    point["AP"], point["AR"] = report["overall"]["AP"], report["overall"]["AR"]
    for vis in ("visible", "occluded"):
        point[f"AP_{vis}"] = report[vis].get("AP")
        point[f"AR_{vis}"] = report[vis].get("AR")
        point[f"people_{vis}"] = report[vis]["people"]
        if report.get("per_joint"):
            point[f"similarity_{vis}"] = report["per_joint"]["all"][vis]["mean_similarity"]
    return point


def robustness_curve(
    model,
    records,
    *,
    mapper,
    dataset_name: str,
    metadata,
    alphas=DEFAULT_ALPHAS,
    beta: float = DEFAULT_BETA,
    seed: int = 0,
    batch_size: int = 32,
    num_workers: int = 0,
    protocol: Optional[Dict] = None,
) -> Tuple[List[Dict], Dict[float, List[Dict]]]:
    """AP, AP_visible and AP_occluded of ``model`` under synthetic block occlusion at each ``alpha``.

    Args:
        model: a top-down pose model in eval mode (per-instance outputs).
        records: GT-box person records of ``dataset_name`` (``get_topdown_dataset(..., use_detections=
            False)``).
        mapper: the model's test-mode ``TopDownDatasetMapper``.
        dataset_name, metadata: the registered dataset and its metadata.
        alphas, beta, seed: the blocks (:class:`BlockOcclusionMapper`; the same for every model).
        batch_size, num_workers: the test loader's.
        protocol: ``rescore`` / ``keypoint_score_thr`` / ``oks_nms_thr`` for the evaluator.

    Returns:
        ``(points, predictions)``: one :func:`curve_point` per alpha, and alpha -> the evaluator's
        per-instance predictions (with ``occluded_joints``), for paired comparisons between models.
    """
    points, predictions = [], {}
    for alpha in alphas:
        occluding = BlockOcclusionMapper(
            mapper, metadata=metadata, alpha=alpha, beta=beta, seed=seed
        )
        evaluator = OcclusionEvaluator(
            dataset_name, distributed=False, buckets=False, **(protocol or {})
        )
        loader = build_topdown_test_loader(
            records, mapper=occluding, batch_size=batch_size, num_workers=num_workers
        )
        inference_on_dataset(model, loader, evaluator)
        points.append(curve_point(evaluator.report, alpha))
        predictions[float(alpha)] = evaluator.predictions
    return points, predictions

"""Text tables of an occlusion report (:func:`ljof.evaluation.occlusion.metrics.occlusion_metrics`)."""

from typing import Dict, List, Optional

from tabulate import tabulate

from ..data.datasets.builtin_meta import VISIBILITY_FLAGS

__all__ = ["format_report", "format_curve"]


def _f(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1f}"


def _metric_rows(report: Dict) -> List[List]:
    rows = [["all joints", report["people"]] + [_f(report["overall"].get(m)) for m in _COLS]]
    for vis, flag in VISIBILITY_FLAGS.items():
        r = report[vis]
        rows.append([f"{vis} (v={flag})", r["people"]] + [_f(r.get(m)) for m in _COLS])
    return rows


_COLS = ("AP", "AP50", "AP75", "AR")


def format_report(report: Dict, title: str = "Occlusion analysis") -> str:
    """The report as text tables (percent): AP by visibility, per-joint localisation, AP by bucket."""
    parts = [
        f"{title} ({report['keypoint_set']} protocol, {report['people']} people, "
        f"{report['scored_results']} scored predictions; figures in percent)"
    ]
    parts.append(
        tabulate(_metric_rows(report), headers=["joints", "people", *_COLS], tablefmt="pipe")
    )
    pj = report.get("per_joint")
    if pj:
        headers = ["joint"]
        for vis in VISIBILITY_FLAGS:
            headers += [f"n {vis}", f"sim {vis}", f">=0.5 {vis}"]
        rows = []
        for name, row in list(pj["joints"].items()) + [("all", pj["all"])]:
            line = [name]
            for vis in VISIBILITY_FLAGS:
                r = row[vis]
                line += [r["count"], _f(r["mean_similarity"]), _f(r["fraction_above_0.5"])]
            rows.append(line)
        parts.append(
            f"Per-joint OKS similarity ({pj['matching']}; {pj['people_with_prediction']} of "
            f"{pj['people']} people with a prediction)"
        )
        parts.append(tabulate(rows, headers=headers, tablefmt="pipe"))
    for key, what in (
        ("occluded_fraction_buckets", "fraction of labeled joints occluded"),
        ("max_iou_buckets", "MaxIoU with another person"),
    ):
        if key in report:
            rows = [
                [r["bucket"], r["people"], "empty" if r["empty"] else _f(r["AP"]), _f(r.get("AR"))]
                for r in report[key]
            ]
            parts.append(f"AP by {what}")
            parts.append(tabulate(rows, headers=["bucket", "people", "AP", "AR"], tablefmt="pipe"))
    return "\n\n".join(parts)


def format_curve(points: List[Dict], label: str) -> str:
    """The robustness curve of one model as a table (alpha, AP, AP_visible, AP_occluded, covered)."""
    rows = [
        [p["alpha"], _f(p["AP"]), _f(p["AP_visible"]), _f(p["AP_occluded"]), p["occluded_joints"]]
        for p in points
    ]
    headers = ["alpha", "AP", "AP_visible", "AP_occluded", "joints under blocks"]
    return f"Robustness to synthetic occlusion: {label}\n" + tabulate(
        rows, headers=headers, tablefmt="pipe"
    )

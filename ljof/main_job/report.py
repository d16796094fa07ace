"""Text tables of the main job (what ``tools/run_main_job.py`` prints and the README quotes)."""

import math
from typing import Dict, List, Mapping, Sequence

__all__ = [
    "format_comparison",
    "format_ablation",
    "format_seed_differences",
    "format_curve_differences",
]


def _f(x: float, digits: int = 1) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def _ci(d: Mapping[str, float]) -> str:
    if math.isnan(d["lower"]):
        return _f(d["delta"])
    return f"{d['delta']:+.1f} [{d['lower']:+.1f}, {d['upper']:+.1f}]"


def format_comparison(
    scores: Mapping[str, Mapping[str, Mapping[str, float]]],
    differences: Mapping[str, Mapping[str, Mapping[str, float]]],
    labels: Sequence[str],
    *,
    confidence: float = 0.95,
) -> str:
    """One row per split and metric: both models' scores and B - A with its paired bootstrap interval.

    Args:
        scores: split -> model label -> metric -> value.
        differences: split -> metric -> interval (``delta``, ``lower``, ``upper``).
        labels: (A, B).
    """
    a, b = labels
    head = f"| split | metric | {a} | {b} | {b} − {a} [{confidence:.0%} CI] |"
    lines = [head, "|---|---|---|---|---|"]
    for split, metrics in differences.items():
        for metric, d in metrics.items():
            lines.append(
                f"| {split} | {metric} | {_f(scores[split][a][metric])} | "
                f"{_f(scores[split][b][metric])} | {_ci(d)} |"
            )
    return "\n".join(lines)


def format_curve_differences(
    curves: Mapping[str, List[Dict]], differences: Sequence[Mapping[str, float]], labels
) -> str:
    """The robustness curve: AP of both models per α and B - A with its interval."""
    a, b = labels
    by_alpha = {lab: {p["alpha"]: p["AP"] for p in pts} for lab, pts in curves.items()}
    lines = [f"| α | {a} AP | {b} AP | {b} − {a} [CI] |", "|---|---|---|---|"]
    for d in differences:
        al = d["alpha"]
        lines.append(
            f"| {al:g} | {_f(by_alpha[a].get(al))} | {_f(by_alpha[b].get(al))} | {_ci(d)} |"
        )
    return "\n".join(lines)


def format_ablation(
    summary: Mapping[str, Mapping[str, Mapping]], metrics: Sequence[str], labels: Mapping[str, str]
) -> str:
    """Per split and variant: mean ± std over seeds of each metric, and the mean paired difference to
    the baseline with its Student-t interval over seeds.

    Args:
        summary: split -> variant name -> ``{"scores": {metric: seed statistics}, "differences":
            {metric: seed statistics}}`` (``ljof.main_job.comparison.seed_statistics``).
        metrics: the metrics to show.
        labels: variant name -> printed label.
    """
    cols = " | ".join(f"{m} (mean ± std)" for m in metrics)
    diffs = " | ".join(f"Δ{m} [95% CI over seeds]" for m in metrics)
    lines = [f"| split | variant | seeds | {cols} | {diffs} |"]
    lines.append("|---|---|---|" + "---|" * (2 * len(metrics)))
    for split, variants in summary.items():
        for name, s in variants.items():
            n = s["scores"][metrics[0]]["n"]
            vals = " | ".join(
                f"{_f(s['scores'][m]['mean'])} ± {_f(s['scores'][m]['std'])}" for m in metrics
            )
            if s.get("differences"):
                ds = []
                for m in metrics:
                    if m not in s["differences"]:  # no paired difference for this figure
                        ds.append("—")
                        continue
                    d = s["differences"][m]
                    ci = (
                        "" if math.isnan(d["lower"]) else f" [{d['lower']:+.1f}, {d['upper']:+.1f}]"
                    )
                    ds.append(f"{d['mean']:+.1f}{ci}")
                dtext = " | ".join(ds)
            else:
                dtext = " | ".join("—" for _ in metrics)
            lines.append(f"| {split} | {labels[name]} | {n} | {vals} | {dtext} |")
    return "\n".join(lines)


def format_seed_differences(
    differences: Mapping[str, Mapping[str, Mapping]],
    metrics: Sequence[str],
    labels: Mapping[str, str],
) -> str:
    """One row per variant and seed: the paired difference to the baseline of the same seed with its
    bootstrap interval over test images, per split and metric.

    Args:
        differences: split -> run key (``"ljof/seed0"``) -> metric -> interval.
        metrics: the metrics to show; labels: variant name -> printed label.
    """
    splits = list(differences)
    cols = " | ".join(f"{s} Δ{m} [95% CI]" for s in splits for m in metrics)
    lines = [f"| variant | seed | {cols} |", "|---|---|" + "---|" * (len(splits) * len(metrics))]
    for key in differences[splits[0]]:
        name, seed = key.split("/seed")
        cells = " | ".join(_ci(differences[s][key][m]) for s in splits for m in metrics)
        lines.append(f"| {labels[name]} | {seed} | {cells} |")
    return "\n".join(lines)

"""Figures of the occlusion analysis (matplotlib, Agg backend): per-joint bars and robustness curves."""

from typing import Dict, List, Mapping

import numpy as np

from .occlusion_metrics import VISIBILITY_FLAGS

__all__ = ["plot_per_joint", "plot_robustness"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_per_joint(per_joint: Mapping[str, Dict], path: str, dpi: int = 90) -> str:
    """Grouped bars: per joint type, the mean OKS similarity (percent) of visible and occluded joints,
    one bar per (model, visibility).

    Args:
        per_joint: model label -> the ``per_joint`` entry of a report.
        path: PNG to write.
    """
    plt = _pyplot()
    labels = list(per_joint)
    names = list(next(iter(per_joint.values()))["joints"])
    groups = [(m, vis) for m in labels for vis in VISIBILITY_FLAGS]
    width = 0.8 / len(groups)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(8, 0.6 * len(names) * max(1, len(labels))), 4))
    for i, (m, vis) in enumerate(groups):
        values = [per_joint[m]["joints"][n][vis]["mean_similarity"] for n in names]
        heights = [np.nan if v is None else v for v in values]
        tag = f"{vis}" if len(labels) == 1 else f"{m}: {vis}"
        ax.bar(
            x + (i - (len(groups) - 1) / 2) * width,
            heights,
            width,
            label=tag,
            hatch=None if vis == "visible" else "//",
            alpha=0.9,
        )
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_ylabel("mean OKS similarity (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Per-joint localisation by GT visibility (v=2 visible, v=1 occluded)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def plot_robustness(curves: Mapping[str, List[Dict]], path: str, dpi: int = 90) -> str:
    """AP, AP_visible and AP_occluded (percent) versus the LJA alpha, one curve per model.

    Args:
        curves: model label -> points ``{"alpha", "AP", "AP_visible", "AP_occluded", ...}``.
        path: PNG to write.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    for ax, key in zip(axes, ("AP", "AP_visible", "AP_occluded")):
        for label, points in curves.items():
            alphas = [p["alpha"] for p in points]
            values = [np.nan if p[key] is None else p[key] for p in points]
            ax.plot(alphas, values, marker="o", label=label)
        ax.set_title(key)
        ax.set_xlabel("LJA alpha (fraction of visible limb joints covered)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("OKS AP (%)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path

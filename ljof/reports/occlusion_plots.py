"""Figures of the occlusion analysis (matplotlib, Agg backend): per-joint bars and robustness curves."""

from typing import Dict, List, Mapping

import numpy as np

from ..data.datasets.builtin_meta import VISIBILITY_FLAGS

__all__ = ["plot_per_joint", "plot_robustness"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_per_joint(per_joint: Mapping[str, Dict], path: str, dpi: int = 90) -> str:
    """Grouped bars of the mean OKS similarity (percent) per joint type: one model: visible and occluded
    side by side; several: one panel per visibility, one bar per model.

    Args:
        per_joint: model label -> the ``per_joint`` entry of a report.
        path: PNG to write.
    """
    plt = _pyplot()
    labels = list(per_joint)
    names = list(next(iter(per_joint.values()))["joints"])
    x = np.arange(len(names))

    def bars(ax, series, title):
        width = 0.8 / len(series)
        for i, (tag, values, hatch) in enumerate(series):
            heights = [np.nan if v is None else v for v in values]
            ax.bar(x + (i - (len(series) - 1) / 2) * width, heights, width, label=tag, hatch=hatch)
        ax.set_ylabel("mean OKS similarity (%)")
        ax.set_ylim(0, 100)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, ncol=len(series))
        ax.grid(axis="y", alpha=0.3)

    def values(model, vis):
        return [per_joint[model]["joints"][n][vis]["mean_similarity"] for n in names]

    if len(labels) == 1:
        fig, axes = plt.subplots(1, 1, figsize=(max(8, 0.55 * len(names)), 4))
        axes = [axes]
        series = [
            (vis, values(labels[0], vis), None if vis == "visible" else "//")
            for vis in VISIBILITY_FLAGS
        ]
        bars(axes[0], series, f"{labels[0]}: per-joint localisation by GT visibility")
    else:
        fig, axes = plt.subplots(2, 1, figsize=(max(8, 0.55 * len(names)), 7), sharex=True)
        for ax, (vis, flag) in zip(axes, VISIBILITY_FLAGS.items()):
            bars(ax, [(m, values(m, vis), None) for m in labels], f"{vis} joints (GT v = {flag})")
    axes[-1].set_xticks(x)
    axes[-1].set_xticklabels(names, rotation=45, ha="right")
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

"""The main job's figures (matplotlib, Agg): ``summary.png`` (paired differences with their intervals,
robustness curves), ``loss_curves.png``, ``lambda_schedule.png`` and ``predictions.png``."""

import math
from typing import Dict, List, Mapping, Sequence

import numpy as np

__all__ = ["plot_summary", "plot_losses", "plot_lambda_schedule", "draw_predictions"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_summary(
    differences: Mapping[str, Mapping[str, Mapping[str, float]]],
    curves: Mapping[str, List[Dict]],
    curve_differences: Sequence[Mapping[str, float]],
    path: str,
    *,
    labels: Sequence[str] = ("baseline", "LJOF"),
    confidence: float = 0.95,
) -> str:
    """``summary.png``: (left) model B minus model A per split and metric with the paired bootstrap
    interval; (middle) AP vs synthetic occlusion α of both models; (right) their difference per α with
    its interval.

    Args:
        differences: split -> metric -> ``{"delta", "lower", "upper"}`` (percent).
        curves: model label -> robustness-curve points (``alpha``, ``AP``), the occluded split.
        curve_differences: per α ``{"alpha", "delta", "lower", "upper"}``.
        path: the PNG to write.
        labels: (A, B) model names for titles.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.2), gridspec_kw={"width_ratios": [1.3, 1, 1]})
    rows = [(s, m, d) for s, metrics in differences.items() for m, d in metrics.items()]
    y = np.arange(len(rows))[::-1]
    ax = axes[0]
    colors = {s: f"C{i}" for i, s in enumerate(differences)}
    for yi, (split, metric, d) in zip(y, rows):
        lo, hi = d["lower"], d["upper"]
        if math.isnan(d["delta"]):
            continue
        err = [[d["delta"] - lo], [hi - d["delta"]]] if not math.isnan(lo) else None
        ax.errorbar(d["delta"], yi, xerr=err, fmt="o", color=colors[split], capsize=3)
    ax.axvline(0.0, color="k", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{s}: {m}" for s, m, _ in rows])
    ax.set_xlabel(f"{labels[1]} − {labels[0]} (AP points, {confidence:.0%} paired bootstrap CI)")
    ax.set_title("Differences per split and metric")
    ax.grid(axis="x", alpha=0.3)

    ax = axes[1]
    for label, points in curves.items():
        pts = [(p["alpha"], p["AP"]) for p in points if p.get("AP") is not None]
        if pts:
            ax.plot(*zip(*pts), "o-", label=label)
    ax.set_xlabel("synthetic occlusion α (fraction of visible limb joints covered)")
    ax.set_ylabel("AP (occluded split)")
    ax.set_title("Robustness to test-time block occlusion")
    ax.grid(alpha=0.3)
    ax.legend()

    ax = axes[2]
    pts = [d for d in curve_differences if not math.isnan(d["delta"])]
    if pts:
        a = np.array([d["alpha"] for d in pts])
        delta = np.array([d["delta"] for d in pts])
        err = np.array([[d["delta"] - d["lower"], d["upper"] - d["delta"]] for d in pts]).T
        ax.errorbar(a, delta, yerr=err, fmt="o-", capsize=3, color="C3")
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xlabel("synthetic occlusion α")
    ax.set_ylabel(f"{labels[1]} − {labels[0]} AP")
    ax.set_title(f"Difference under occlusion ({confidence:.0%} CI)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_losses(runs: Mapping[str, List[Dict]], path: str) -> str:
    """``loss_curves.png``: heatmap and structure losses (DSL's ``loss_limb``, Ke et al.'s
    ``loss_structure``) per run (detectron2's ``metrics.json`` rows)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (name, rows) in enumerate(runs.items()):
        # with a single loss term detectron2 logs only total_loss (= loss_heatmap)
        heat = "loss_heatmap" if any("loss_heatmap" in r for r in rows) else "total_loss"
        for key, style in ((heat, "-"), ("loss_limb", "--"), ("loss_structure", ":")):
            pts = [(r["iteration"], r[key]) for r in rows if key in r and r[key] > 0]
            if pts:
                label = f"{name} {'loss_heatmap' if key == heat else key}"
                ax.plot(*zip(*pts), style, color=f"C{i}", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (median over the log period)")
    ax.set_title("Training losses (the structure terms are 0 while λ = 0)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_lambda_schedule(schedule, max_iter: int, logged: Sequence, path: str) -> str:
    """``lambda_schedule.png``: λ(t) of the config's loss and the values a run logged."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    its = np.arange(max_iter)
    ax.plot(its, [schedule(i / max_iter) for i in its], label="λ(t) of the config's hook")
    if logged:
        ax.plot(*zip(*logged), "o", markersize=3, label="λ logged by the LJOF run")
    ax.set_xlabel("iteration")
    ax.set_ylabel("λ of the limb loss")
    ax.set_title("Dynamic Structure Loss: λ schedule")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def draw_predictions(path: str, models: Mapping[str, object], records: List[Dict], metadata,
                     count: int = 4) -> str:  # fmt: skip
    """``predictions.png``: rows = test images, columns = models; skeletons drawn by detectron2's
    ``Visualizer`` from the models' ``Instances`` on the GT boxes (no detector)."""
    import cv2
    from detectron2.utils.visualizer import Visualizer

    from ljof.modeling import DetectorPoseModel
    from ljof.predictor import DetectorPosePredictor

    image_ids = sorted({r["image_id"] for r in records})[:count]
    files = {r["image_id"]: r["file_name"] for r in records}
    boxes: Dict[int, list] = {}
    for r in records:
        boxes.setdefault(r["image_id"], []).append(r["bbox"])
    predictors = {
        label: DetectorPosePredictor(
            DetectorPoseModel(detector=None, pose_model=model, input_format="BGR")
        )
        for label, model in models.items()
    }
    rows = []
    for image_id in image_ids:
        image = cv2.imread(files[image_id])
        cols = []
        for label, predictor in predictors.items():
            inst = predictor(image, image_id=image_id, person_boxes=boxes[image_id])
            vis = Visualizer(image[:, :, ::-1], metadata=metadata, scale=1.25)
            out = vis.draw_instance_predictions(inst.to("cpu")).get_image()[:, :, ::-1].copy()
            cv2.putText(out, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
            cols.append(out)
        rows.append(np.concatenate(cols, axis=1))
    if rows:
        cv2.imwrite(path, np.concatenate(rows, axis=0))
    return path

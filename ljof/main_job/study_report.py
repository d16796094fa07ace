"""The training-length study's report, rebuilt from its JSON files alone (no model, no prediction):
``result.json`` of every run and ``paired.json`` of every variant run (:mod:`ljof.main_job.study`).

Per length (iterations, and epochs = iterations x batch / people of the train split), split and variant:
mean ± std over seeds of AP, AP over the occluded joints, AP50 and AP75; per non-baseline variant the
mean of its per-seed differences to the baseline of the same seed with a Student-t interval over seeds
(:func:`ljof.main_job.comparison.seed_statistics`), and per seed the paired bootstrap interval over test
images. Convergence as the study defines it: the baseline's clean-val AP gains less than 1 AP over the
last doubling of the training length.
"""

import glob
import json
import math
import os
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from .comparison import seed_statistics
from .figures import _pyplot
from .study import PAIRED_FILE, RESULT_FILE, read_json

__all__ = [
    "STUDY_METRICS",
    "CONVERGENCE_GAIN",
    "load_study",
    "summarize_study",
    "format_study",
    "format_runs",
    "format_per_joint",
    "format_limb_drift",
    "plot_study",
    "write_study_report",
]

STUDY_METRICS = ("AP", "AP_occluded", "AP50", "AP75")
CONVERGENCE_GAIN = 1.0  # AP points over the last doubling


def load_study(output: str):
    """(results, pairs): every ``<output>/iters*/<variant>/seed*/result.json`` and ``paired.json``.

    Raises:
        FileNotFoundError when ``output`` holds no result.
    """
    pattern = os.path.join(output, "iters*", "*", "seed*", "{}")
    results = [read_json(p) for p in sorted(glob.glob(pattern.format(RESULT_FILE)))]
    pairs = [read_json(p) for p in sorted(glob.glob(pattern.format(PAIRED_FILE)))]
    if not results:
        raise FileNotFoundError(f"{output}: no {pattern.format(RESULT_FILE)} (nothing trained yet)")
    return results, pairs


def summarize_study(results: Sequence[Mapping], pairs: Sequence[Mapping] = ()) -> Dict:
    """The study's numbers from its JSON files.

    Returns:
        ``{"lengths": [{"iters", "epochs", "variants": {name: {"label", "seeds", "scores": {split:
        {metric: seed statistics}}, "differences": {split: {metric: seed statistics}}, "per_seed":
        {seed: {split: {metric: paired interval}}}}}, "baseline_gain"}], "converged_iters"}``;
        ``baseline_gain``: the baseline's mean clean-val AP minus its value at half the length (None
        without that length); ``converged_iters``: the first length whose gain is below
        :data:`CONVERGENCE_GAIN` (None when none).
    """
    by_length: Dict[int, Dict[str, Dict[int, Mapping]]] = {}
    for r in results:
        spec = r["spec"]
        by_length.setdefault(spec["iters"], {}).setdefault(spec["variant"], {})[spec["seed"]] = r
    paired = {p["run"]: p for p in pairs}
    lengths = []
    for iters in sorted(by_length):
        variants = by_length[iters]
        base = variants.get("baseline", {})
        entry = OrderedDict(iters=iters, epochs=None, variants=OrderedDict())
        for name in sorted(variants, key=lambda n: (n != "baseline", n)):
            runs = variants[name]
            seeds = sorted(runs)
            first = runs[seeds[0]]
            entry["epochs"] = first["epochs"]
            splits = list(first["scores"])
            v = OrderedDict(label=first["spec"]["label"], seeds=seeds)
            v["scores"] = {
                s: {
                    m: seed_statistics([runs[k]["scores"][s][m] for k in seeds])
                    for m in STUDY_METRICS
                }
                for s in splits
            }
            common = [k for k in seeds if k in base]
            if name != "baseline" and common:
                v["differences"] = {
                    s: {
                        m: seed_statistics(
                            [runs[k]["scores"][s][m] - base[k]["scores"][s][m] for k in common]
                        )
                        for m in STUDY_METRICS
                    }
                    for s in splits
                }
                v["per_seed"] = {}
                for k in common:
                    p = paired.get(runs[k]["key"])
                    if p is not None:
                        v["per_seed"][k] = {
                            s: {m: p["differences"][s][m] for m in STUDY_METRICS} for s in splits
                        }
            entry["variants"][name] = v
        lengths.append(entry)
    val_ap = {
        e["iters"]: e["variants"]["baseline"]["scores"]["val"]["AP"]["mean"]
        for e in lengths
        if "baseline" in e["variants"] and "val" in e["variants"]["baseline"]["scores"]
    }
    converged = None
    for e in lengths:
        half = e["iters"] // 2
        gain = (
            val_ap[e["iters"]] - val_ap[half] if e["iters"] in val_ap and half in val_ap else None
        )
        e["baseline_gain"] = gain
        if converged is None and gain is not None and gain < CONVERGENCE_GAIN:
            converged = e["iters"]
    return dict(lengths=lengths, converged_iters=converged)


def _f(x: Optional[float]) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.1f}"


def _ci(mean: float, lower: float, upper: float) -> str:
    if math.isnan(mean):
        return "n/a"
    return f"{mean:+.1f}" + ("" if math.isnan(lower) else f" [{lower:+.1f}, {upper:+.1f}]")


def format_study(summary: Mapping, metrics: Sequence[str] = STUDY_METRICS) -> str:
    """Two markdown tables: per length, split and variant the scores (mean ± std over seeds) and the
    difference to the baseline [95 % Student-t interval over seeds]; then per seed the paired bootstrap
    interval over test images."""
    cols = " | ".join(f"{m}" for m in metrics)
    dcols = " | ".join(f"Δ{m} [95% CI, seeds]" for m in metrics)
    lines = [f"| iters | epochs | split | variant | seeds | {cols} | {dcols} |"]
    lines.append("|---|---|---|---|---|" + "---|" * (2 * len(metrics)))
    seed_lines = []
    for e in summary["lengths"]:
        splits = list(next(iter(e["variants"].values()))["scores"])
        for s in splits:
            for name, v in e["variants"].items():
                st = v["scores"][s]
                vals = " | ".join(f"{_f(st[m]['mean'])} ± {_f(st[m]['std'])}" for m in metrics)
                d = v.get("differences", {}).get(s)
                dvals = " | ".join(
                    _ci(d[m]["mean"], d[m]["lower"], d[m]["upper"]) if d else "—" for m in metrics
                )
                lines.append(
                    f"| {e['iters']} | {e['epochs']:.1f} | {s} | {v['label']} | {len(v['seeds'])} "
                    f"| {vals} | {dvals} |"
                )
        for name, v in e["variants"].items():
            for seed, by_split in v.get("per_seed", {}).items():
                cells = " | ".join(
                    _ci(by_split[s][m]["delta"], by_split[s][m]["lower"], by_split[s][m]["upper"])
                    for s in splits
                    for m in ("AP", "AP_occluded")
                )
                seed_lines.append(f"| {e['iters']} | {v['label']} | {seed} | {cells} |")
    gains = [
        f"{e['iters']}: {e['baseline_gain']:+.1f}"
        for e in summary["lengths"]
        if e["baseline_gain"] is not None
    ]
    lines += [
        "",
        "Baseline clean-val AP gain over the last doubling (iters: gain): "
        + ("; ".join(gains) or "n/a (no length with its half)")
        + f"; converged (gain < {CONVERGENCE_GAIN:g}) at: {summary['converged_iters'] or 'not yet'}",
    ]
    if seed_lines:
        splits = list(next(iter(summary["lengths"][-1]["variants"].values()))["scores"])
        head = " | ".join(
            f"{s} Δ{m} [95% CI, images]" for s in splits for m in ("AP", "AP_occluded")
        )
        lines += [
            "",
            "Per seed, paired bootstrap over test images:",
            "",
            f"| iters | variant | seed | {head} |",
            "|---|---|---|" + "---|" * (2 * len(splits)),
        ]
        lines += seed_lines
    return "\n".join(lines)


def _cell(x: Optional[float]) -> str:
    return "n/a" if x is None else _f(x)


def format_runs(results: Sequence[Mapping], split: str = "val") -> str:
    """A markdown table of every run on ``split``: per length and variant, each seed's AP and the
    percent of ankles nearer the other ankle's label (``LR_ankle``; "n/a" in results kept before it
    was scored). Seeds of one recipe that differ by several AP points differ here first."""
    rows: Dict = {}
    seeds = set()
    for r in results:
        spec = r["spec"]
        seeds.add(spec["seed"])
        sc = r["scores"].get(split, {})
        rows.setdefault((spec["iters"], spec["variant"]), [spec["label"], {}])[1][spec["seed"]] = (
            sc.get("AP"),
            sc.get("LR_ankle"),
        )
    seeds = sorted(seeds)
    head = " | ".join(f"seed {k}: AP / LR_ankle" for k in seeds)
    lines = [f"| iters | variant | {head} |", "|---|---|" + "---|" * len(seeds)]
    for (iters, name), (label, by_seed) in sorted(
        rows.items(), key=lambda x: (x[0][0], x[0][1] != "baseline", x[0][1])
    ):
        cells = " | ".join(
            f"{_cell(by_seed[k][0])} / {_cell(by_seed[k][1])}" if k in by_seed else "—"
            for k in seeds
        )
        lines.append(f"| {iters} | {label} | {cells} |")
    return "\n".join(lines)


def format_per_joint(results: Sequence[Mapping], iters: int) -> str:
    """A markdown table of where a variant's difference comes from at length ``iters``: per joint, the
    mean over seeds of (variant − baseline of the same seed) mean OKS similarity of each GT person's best
    prediction (percent points), on the visible joints of every split and the occluded joints of the
    ``occluded`` split. Empty when no run at ``iters`` carries ``per_joint``."""
    runs = {}
    for r in results:
        spec = r["spec"]
        if spec["iters"] == iters and "per_joint" in r:
            runs.setdefault(spec["variant"], {})[spec["seed"]] = r
    base = runs.pop("baseline", {})
    if not base or not runs:
        return ""
    first = next(iter(base.values()))
    cols = [(s, vis) for s in first["per_joint"] for vis in ("visible", "occluded")
            if s == "occluded" or vis == "visible"]  # fmt: skip
    names = sorted(runs)
    head = " | ".join(f"{runs[n][next(iter(runs[n]))]['spec']['label']} Δ {s} {vis}"
                      for n in names for s, vis in cols)  # fmt: skip
    lines = [
        f"| joint | baseline {' | baseline '.join(f'{s} {vis}' for s, vis in cols)} | {head} |"
    ]
    lines.append("|---|" + "---|" * (len(cols) * (1 + len(names))))
    for joint in first["per_joint"][cols[0][0]]:

        def mean(values):
            values = [v for v in values if v is not None]
            return float(np.mean(values)) if values else None

        cells = [mean([b["per_joint"][s][joint][vis] for b in base.values()]) for s, vis in cols]
        for n in names:
            for s, vis in cols:
                diffs = [
                    r["per_joint"][s][joint][vis] - base[k]["per_joint"][s][joint][vis]
                    for k, r in runs[n].items()
                    if k in base
                    and r["per_joint"][s][joint][vis] is not None
                    and base[k]["per_joint"][s][joint][vis] is not None
                ]
                cells.append(mean(diffs))
        text = [_cell(c) for c in cells[: len(cols)]]
        text += ["n/a" if c is None else f"{c:+.1f}" for c in cells[len(cols) :]]
        lines.append(f"| {joint} | " + " | ".join(text) + " |")
    return "\n".join(lines)


def format_limb_drift(results: Sequence[Mapping], iters: int) -> str:
    """A markdown table of :func:`ljof.main_job.per_joint.limb_drift` at length ``iters``: per limb
    joint and neighbour (``wrist->elbow``), each variant's median drift toward the neighbour (percent of
    the segment), mean over seeds, on the visible joints of every split and the occluded joints of the
    ``occluded`` split. Empty when no run at ``iters`` carries ``limb_drift``."""
    runs = {}
    for r in results:
        spec = r["spec"]
        if spec["iters"] == iters and "limb_drift" in r:
            runs.setdefault(spec["variant"], []).append(r)
    if not runs:
        return ""
    names = sorted(runs, key=lambda n: (n != "baseline", n))
    first = runs[names[0]][0]["limb_drift"]
    cols = [(s, vis) for s in first for vis in ("visible", "occluded")
            if s == "occluded" or vis == "visible"]  # fmt: skip
    head = " | ".join(f"{runs[n][0]['spec']['label']} {s} {vis}" for n in names for s, vis in cols)
    lines = [f"| joint->neighbour | {head} |", "|---|" + "---|" * (len(cols) * len(names))]
    for pair in first[cols[0][0]]:
        cells = []
        for n in names:
            for s, vis in cols:
                values = [r["limb_drift"][s][pair][vis] for r in runs[n]]
                values = [v for v in values if v is not None]
                cells.append(f"{np.mean(values):+.1f}" if values else "n/a")
        lines.append(f"| {pair} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _epoch_axis(ax, lengths) -> None:
    """Log-2 x axis with one tick per training length, labelled "epochs (iterations)"."""
    ax.set_xscale("log", base=2)
    ax.minorticks_off()
    ax.set_xticks([e["epochs"] for e in lengths])
    ax.set_xticklabels([f"{e['epochs']:.3g}\n({e['iters']})" for e in lengths])


def plot_study(summary: Mapping, path: str, *, compared: str = "ljof") -> str:
    """The study's figure: per split (rows), (left) ``compared`` − baseline AP against epochs with the
    Student-t interval over seeds and the per-seed paired bootstrap intervals beside it; (right) the
    learning curves, AP mean ± std over seeds against epochs, of the baseline and ``compared`` (other
    variants as single points). Writes the PNG ``path``."""
    plt = _pyplot()
    lengths = summary["lengths"]
    splits = list(next(iter(lengths[0]["variants"].values()))["scores"])
    fig, axes = plt.subplots(len(splits), 2, figsize=(12, 4.2 * len(splits)), squeeze=False)
    for row, split in enumerate(splits):
        ax = axes[row][0]
        pts = [
            (e["epochs"], e["variants"][compared])
            for e in lengths
            if compared in e["variants"] and "differences" in e["variants"][compared]
        ]
        label = pts[0][1]["label"] if pts else compared
        for mi, (metric, color) in enumerate((("AP", "C3"), ("AP_occluded", "C2"))):
            x = np.array([p[0] for p in pts], np.float64) * (1.0 + 0.03 * mi)
            d = [p[1]["differences"][split][metric] for p in pts]
            mean = np.array([s["mean"] for s in d])
            err = np.array([[s["mean"] - s["lower"], s["upper"] - s["mean"]] for s in d]).T
            if len(x):
                err = np.nan_to_num(err)
                ax.errorbar(
                    x,
                    mean,
                    yerr=err,
                    fmt="o-",
                    color=color,
                    capsize=4,
                    label=f"{metric}: mean over seeds, t-interval",
                )
            for xi, (_, v) in zip(x, pts):
                for j, (seed, by_split) in enumerate(sorted(v.get("per_seed", {}).items())):
                    b = by_split[split][metric]
                    xs = xi * (1.06 + 0.02 * j)
                    ax.errorbar(
                        xs,
                        b["delta"],
                        yerr=[[b["delta"] - b["lower"]], [b["upper"] - b["delta"]]],
                        fmt=".",
                        color=color,
                        alpha=0.4,
                        capsize=2,
                    )
        ax.axhline(0.0, color="k", lw=0.8)
        _epoch_axis(ax, lengths)
        ax.set_xlabel("epochs (iterations); faint: single seeds, paired bootstrap over images")
        ax.set_ylabel(f"{label} − baseline (AP points)")
        ax.set_title(f"{split} split: difference to the baseline (95% CI)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)

        ax = axes[row][1]
        names = ["baseline", compared] + sorted(
            {n for e in lengths for n in e["variants"]} - {"baseline", compared}
        )
        for i, name in enumerate(names):
            pts = [(e["epochs"], e["variants"][name]) for e in lengths if name in e["variants"]]
            if not pts:
                continue
            x = np.array([p[0] for p in pts], np.float64)
            st = [p[1]["scores"][split]["AP"] for p in pts]
            mean = np.array([s["mean"] for s in st])
            std = np.nan_to_num(np.array([s["std"] for s in st], np.float64))
            ax.errorbar(
                x,
                mean,
                yerr=std,
                fmt="o-" if len(x) > 1 else "s",
                color=f"C{i}",
                capsize=4,
                label=pts[0][1]["label"],
            )
        _epoch_axis(ax, lengths)
        ax.set_xlabel("epochs (iterations)")
        ax.set_ylabel(f"AP, {split} split (mean ± std over seeds)")
        ax.set_title(f"{split} split: learning curves")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_study_report(output: str, *, compared: str = "ljof") -> Dict:
    """Rebuild ``study.md`` (the tables), ``study.png`` (the figure) and ``study.json`` (the summary) in
    ``output`` from its JSON files; returns the summary."""
    results, pairs = load_study(output)
    summary = summarize_study(results, pairs)
    longest = summary["lengths"][-1]["iters"]
    parts = [format_study(summary), "Every run (clean val split):", format_runs(results)]
    per_joint = format_per_joint(results, longest)
    if per_joint:
        parts += [f"Per joint at {longest} iterations (mean OKS similarity, percent):", per_joint]
    drift = format_limb_drift(results, longest)
    if drift:
        parts += [
            f"Limb joints drawn toward a chain neighbour at {longest} iterations (median of "
            "(prediction − label) · (neighbour − label) / |neighbour − label|², percent; mean over "
            "seeds):",
            drift,
        ]
    with open(os.path.join(output, "study.md"), "w") as f:
        f.write("\n\n".join(parts) + "\n")
    plot_study(summary, os.path.join(output, "study.png"), compared=compared)
    with open(os.path.join(output, "study.json"), "w") as f:
        json.dump(summary, f, indent=1, default=float)
    return summary

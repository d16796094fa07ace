"""The default mode's outputs (``make demo``): the comparison table of the first seed, the robustness
curve with paired intervals per α, ``summary.png``, ``predictions.png``, ``lja_samples.png``,
``loss_curves.png`` and ``lambda_schedule.png``."""

import logging
import math
import os
from typing import Dict, List, Sequence

import cv2
from detectron2.config import LazyConfig, instantiate
from detectron2.data import MetadataCatalog

from ljof.checkpoint import PoseCheckpointer
from ljof.data import TopDownDatasetMapper, get_topdown_dataset
from ljof.data.lja_drawing import crop_grid
from ljof.analysis.robustness_curve import robustness_curve
from ljof.synthetic import dataset_name

from .comparison import paired_differences
from .figures import draw_predictions, plot_lambda_schedule, plot_losses, plot_summary
from .report import format_comparison, format_curve_differences
from .training import read_metrics
from .variants import BASELINE, LJOF, Run

__all__ = ["load_model", "draw_lja_samples", "robustness", "demo_outputs", "rounded"]


def rounded(x):
    """``x`` rounded to 2 decimals for the figures line; None for None and NaN."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 2)


def load_model(root: str, run: Run, weights: str, extra_overrides: Sequence[str] = ()):
    """(config, model in eval mode) of ``run``'s variant with ``weights`` loaded ("" keeps the seeded
    random initialisation)."""
    cfg = LazyConfig.load(run.variant.config_path(root))
    cfg = LazyConfig.apply_overrides(cfg, list(run.variant.overrides) + list(extra_overrides))
    model = instantiate(cfg.model)
    PoseCheckpointer(model).load(weights)
    return cfg, model.eval()


def draw_lja_samples(root: str, path: str, *, num: int = 12, cols: int = 6, seed: int = 0) -> str:
    """``lja_samples.png``: ``num`` training crops of the generated train split with the LJA of the
    LJOF config and their blocks, at the mapper's default 192x256 crop (the picture
    ``tools/visualize_lja.py --num 12 --seed 0`` draws on the train json, pixel for pixel)."""
    cfg = LazyConfig.load(LJOF.config_path(root))
    name = dataset_name("train")
    meta = MetadataCatalog.get(name)
    mapper = TopDownDatasetMapper(
        True, metadata=meta, lja=instantiate(cfg.dataloader.train.mapper.lja)
    )
    records = get_topdown_dataset(name, use_detections=False)
    grid, _ = crop_grid(records, mapper, meta, num, cols, seed)
    cv2.imwrite(path, cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))  # crop_grid draws RGB
    return path


def robustness(
    root: str,
    runs: Sequence[Run],
    output: str,
    gt: Dict,
    *,
    alphas: Sequence[float],
    seed: int,
    num_resamples: int,
    extra_overrides: Sequence[str] = (),
):
    """Robustness curves (AP under synthetic block occlusion per α, occluded split) of two runs and the
    paired interval of their AP difference per α.

    Args:
        runs: (A, B); B − A is reported.
        gt: the occluded split's GT dict.

    Returns:
        (variant label -> curve points, per α ``{"alpha", "delta", "lower", "upper", ...}``).
    """
    name = dataset_name("occluded")
    meta = MetadataCatalog.get(name)
    records = get_topdown_dataset(name, use_detections=False)
    curves, preds = {}, {}
    # the evaluator logs a full occlusion table per alpha; the curve is printed once by the caller
    logging.getLogger("ljof.evaluation").setLevel(logging.WARNING)
    for run in runs:
        weights = os.path.join(run.output_dir(output), "model_final.pth")
        cfg, model = load_model(root, run, weights, extra_overrides)
        curves[run.variant.label], preds[run.key] = robustness_curve(
            model,
            records,
            mapper=instantiate(cfg.dataloader.test.mapper),
            dataset_name=name,
            metadata=meta,
            alphas=alphas,
            seed=seed,
            batch_size=64,
        )
    a, b = runs[0].key, runs[1].key
    diffs = []
    for alpha in alphas:
        d = paired_differences(
            preds[a][alpha], preds[b][alpha], gt, meta, num_resamples=num_resamples, seed=seed
        )["AP"]
        diffs.append(dict(alpha=float(alpha), **d))
    return curves, diffs


def demo_outputs(
    root: str,
    runs: List[Run],
    args,
    results: Dict,
    figures: Dict,
    occluded_gt: Dict,
    splits: Sequence[str],
) -> None:
    """Tables, robustness curve and figures of the default mode, for the runs of the first seed; adds
    to ``results`` (``robustness``) and ``figures`` (per-run scores, differences, curve intervals).

    Args:
        args: the options of ``tools/run_main_job.py`` (``output``, ``iters``, ``seed``,
            ``resamples``, ``alphas``, ``no_robustness``, ``extra_overrides``).
    """
    first = [r for r in runs if r.seed == runs[0].seed]
    for split in splits:
        for r in first:
            for m, v in results["scores"][split][r.key].items():
                figures[f"{split}/{r.variant.name}/{m}"] = rounded(v)
    compared = [r for r in first if r.variant.name != BASELINE.name]
    if compared and any(r.variant.name == BASELINE.name for r in first):
        other = compared[0]
        diffs = {s: results["differences"][s][other.key] for s in splits}
        scores = {s: {r.variant.label: results["scores"][s][r.key] for r in first} for s in splits}
        print("\n" + format_comparison(scores, diffs, (BASELINE.label, other.variant.label)))
        print(
            "people whose prediction fits the left/right-mirrored labels better (OKS + 0.1): "
            + "; ".join(
                f"{s} {r.variant.label} {results['scores'][s][r.key]['LR_swaps']:.1f} %"
                for s in splits
                for r in first
            )
        )
        for s, metrics in diffs.items():
            for m, d in metrics.items():
                for k in ("delta", "lower", "upper"):
                    figures[f"{s}/d{m}_{k}"] = rounded(d[k])
        curves, curve_diffs = {}, []
        if not args.no_robustness:
            pair = [Run(BASELINE, other.seed), other]
            curves, curve_diffs = robustness(
                root,
                pair,
                args.output,
                occluded_gt,
                alphas=args.alphas,
                seed=args.seed,
                num_resamples=args.resamples,
                extra_overrides=args.extra_overrides,
            )
            results["robustness"] = {"curves": curves, "differences": curve_diffs}
            print("\nRobustness (occluded split, synthetic blocks):")
            print(
                format_curve_differences(curves, curve_diffs, (BASELINE.label, other.variant.label))
            )
            for d in curve_diffs:
                for k in ("delta", "lower", "upper"):
                    figures[f"robustness/alpha{d['alpha']:g}/dAP_{k}"] = rounded(d[k])
        plot_summary(
            diffs,
            curves,
            curve_diffs,
            os.path.join(args.output, "summary.png"),
            labels=(BASELINE.label, other.variant.label),
        )
    models = {}
    for r in first:
        weights = os.path.join(r.output_dir(args.output), "model_final.pth")
        _, models[r.variant.label] = load_model(root, r, weights, args.extra_overrides)
    name = dataset_name("occluded")
    draw_predictions(
        os.path.join(args.output, "predictions.png"),
        models,
        get_topdown_dataset(name, use_detections=False),
        MetadataCatalog.get(name),
    )
    draw_lja_samples(root, os.path.join(args.output, "lja_samples.png"))
    runs_metrics = {r.key: read_metrics(r.output_dir(args.output)) or [] for r in first}
    plot_losses(runs_metrics, os.path.join(args.output, "loss_curves.png"))
    cfg = LazyConfig.load(LJOF.config_path(root))
    logged = [
        (row["iteration"], row["lambda_limb"])
        for rows in runs_metrics.values()
        for row in rows
        if "lambda_limb" in row
    ]
    plot_lambda_schedule(
        instantiate(cfg.model.loss.lambda_schedule),
        args.iters,
        logged,
        os.path.join(args.output, "lambda_schedule.png"),
    )

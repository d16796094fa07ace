#!/usr/bin/env python
"""The main job (``make demo``): LJOF versus its baseline on generated occlusion data, on the CPU, with
the uncertainty of the comparison.

1. generates the synthetic person-keypoint dataset if missing (``ljof.synthetic``);
2. trains the runs with the real training script, ``tools/lazyconfig_train_net.py`` (``--jobs``
   processes side by side, one thread each); each run evaluates its final model on the clean ``val``
   split and the ``occluded`` split (GT boxes) and writes its predictions;
3. scores every run with the occlusion analysis (AP, AP50, AP75, AR over all joints; AP over the
   visible and over the occluded joints) and the rate of left/right confusions, and compares each
   variant with the baseline of the same seed: the difference with a paired bootstrap interval over
   test images (``--resamples``, seeded);
4. default mode: the robustness curve (AP under synthetic block occlusion, ``--alphas``) of both
   models with paired intervals per α; figures ``summary.png`` (differences with intervals, robustness
   curves), ``predictions.png``, ``lja_samples.png``, ``loss_curves.png``, ``lambda_schedule.png``;
5. ``--ablation`` (the paper's Table 6: baseline, +LJA, +LJA + DSL), ``--lambda-schedules`` (Table 8),
   ``--alpha-beta`` (Table 7) and ``--lambda-max`` (the weight of the structure loss): every variant
   with every ``--train-seeds`` seed; mean ± std per variant and split, and the paired difference to
   the baseline with a Student-t interval over seeds;
6. writes ``results.json``, prints the tables, and ends with one JSON line of the figures.

    python tools/run_main_job.py --output output/main_job              # make demo (see README)
    python tools/run_main_job.py --output output/ablation --ablation   # Table 6, 3 seeds
    python tools/run_main_job.py --output output/lambda --lambda-schedules constant step linear exponential
    python tools/run_main_job.py --output /tmp/mj --quick              # the CI version
"""

import ljof  # noqa: F401  (first: compat shims)

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from detectron2.config import LazyConfig, instantiate  # noqa: E402
from detectron2.data import MetadataCatalog  # noqa: E402
from detectron2.utils.logger import setup_logger  # noqa: E402

from ljof.checkpoint import PoseCheckpointer  # noqa: E402
from ljof.data import get_topdown_dataset  # noqa: E402
from ljof.evaluation.occlusion_robustness import robustness_curve  # noqa: E402
from ljof.main_job.comparison import (  # noqa: E402
    SPLIT_METRICS,
    left_right_swap_rate,
    load_predictions,
    paired_differences,
    seed_statistics,
    split_scores,
)
from ljof.main_job.figures import (  # noqa: E402
    draw_predictions,
    plot_lambda_schedule,
    plot_losses,
    plot_summary,
)
from ljof.main_job.report import (  # noqa: E402
    format_ablation,
    format_comparison,
    format_curve_differences,
    format_seed_differences,
)
from ljof.main_job.training import (  # noqa: E402
    TrainingSettings,
    prediction_file,
    read_metrics,
    train_runs,
)
from ljof.main_job.variants import (  # noqa: E402
    ABLATION_VARIANTS,
    BASELINE,
    DEMO_VARIANTS,
    LJA_ONLY,
    LJOF,
    Run,
    alpha_beta_variant,
    lambda_max_variant,
    parse_alpha_beta,
    runs_of,
    schedule_variant,
    unique,
)
from ljof.synthetic import (  # noqa: E402
    DEFAULT_SIZES,
    dataset_name,
    generate_dataset,
    is_generated,
    register_synthetic_datasets,
)

logger = logging.getLogger("ljof.main_job")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPLITS = ("val", "occluded")
DEFAULT_ITERS = 500
QUICK_ITERS = 150
QUICK_SIZES = dict(train=200, val=20, occluded=40)
# the CI version also trains the width-8 network (4x cheaper per step)
QUICK_OVERRIDES = ("model.backbone.width=8", "model.backbone.stem_channels=16")
DEFAULT_ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)
BY_NAME = {v.name: v for v in (BASELINE, LJA_ONLY, LJOF)}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--output", default="output/main_job", help="output folder (%(default)s)")
    p.add_argument(
        "--data-root", help="generated dataset folder (default: <output>/data; made when missing)"
    )
    p.add_argument("--seed", type=int, default=0, help="dataset seed (%(default)s)")
    p.add_argument(
        "--train-seeds",
        type=int,
        nargs="+",
        help="training seeds (train.seed) of every variant (default: 0; 0 1 2 for the ablations)",
    )
    p.add_argument("--iters", type=int, help=f"iterations per run (default {DEFAULT_ITERS})")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--jobs", type=int, default=2, help="trainings side by side (%(default)s)")
    p.add_argument(
        "--threads", type=int, default=1, help="torch threads per training (%(default)s)"
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"CI version: a small dataset {QUICK_SIZES}, {QUICK_ITERS} iterations, width 8",
    )
    p.add_argument(
        "--skip-training",
        action="store_true",
        help="reuse the runs in --output that have a final model and predictions",
    )
    p.add_argument(
        "--variants",
        nargs="+",
        choices=sorted(BY_NAME),
        help="default mode: the models (default: baseline ljof)",
    )
    p.add_argument("--ablation", action="store_true", help="paper Table 6: baseline, +LJA, LJOF")
    p.add_argument(
        "--lambda-schedules",
        nargs="+",
        default=[],
        choices=("constant", "step", "linear", "exponential"),
        help="paper Table 8: LJOF with these λ schedules",
    )
    p.add_argument(
        "--lambda-max",
        type=float,
        nargs="+",
        default=[],
        help="LJOF with the structure loss weighted by these λ_max after the step (paper: 1)",
    )
    p.add_argument(
        "--alpha-beta",
        nargs="+",
        default=[],
        metavar="ALPHA:BETA",
        help="paper Table 7: LJOF with these LJA settings, e.g. 0.1:0.2 0.15:0.2 0.2:0.2",
    )
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (%(default)s)")
    p.add_argument("--alphas", type=float, nargs="+", default=list(DEFAULT_ALPHAS))
    p.add_argument("--no-robustness", action="store_true", help="skip the robustness curve")
    args = p.parse_args(argv)
    args.ablation_mode = bool(
        args.ablation or args.lambda_schedules or args.alpha_beta or args.lambda_max
    )
    if args.ablation_mode and args.variants:
        p.error("--variants is for the default mode; the ablation flags choose the variants")
    try:
        args.alpha_beta = [parse_alpha_beta(t) for t in args.alpha_beta]
    except ValueError as e:
        p.error(str(e))
    return args


def choose_variants(args):
    if not args.ablation_mode:
        return [BY_NAME[n] for n in args.variants] if args.variants else list(DEMO_VARIANTS)
    variants = list(ABLATION_VARIANTS) if args.ablation else [BASELINE, LJOF]
    variants += [LJOF if k == "step" else schedule_variant(k) for k in args.lambda_schedules]
    variants += [alpha_beta_variant(a, b) for a, b in args.alpha_beta]
    variants += [lambda_max_variant(v) for v in args.lambda_max]
    return unique(variants)


# ------------------------------------------------------------------------------------------------
def load_model(run: Run, weights: str, extra_overrides=()):
    cfg = LazyConfig.load(run.variant.config_path(ROOT))
    cfg = LazyConfig.apply_overrides(cfg, list(run.variant.overrides) + list(extra_overrides))
    model = instantiate(cfg.model)
    PoseCheckpointer(model).load(weights)  # "" keeps the (seeded) random initialisation
    return cfg, model.eval()


def draw_lja_samples(output: str, data_root: str) -> str:
    """Training crops with their LJA blocks (``tools/visualize_lja.py`` on the train split)."""
    folder = os.path.join(output, "lja")
    cmd = [sys.executable, os.path.join(ROOT, "tools", "visualize_lja.py"), "--gt-json",
           os.path.join(data_root, "annotations", "train.json"), "--image-root",
           os.path.join(data_root, "images", "train"), "--output", folder, "--num", "12",
           "--seed", "0"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(
            f"tools/visualize_lja.py failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    images = json.loads(proc.stdout.strip().splitlines()[-1])["images"]
    target = os.path.join(output, "lja_samples.png")
    shutil.copyfile(images[0], target)
    return target


def score_runs(runs, output, splits):
    """split -> run key -> (predictions, scores); GT and metadata per split."""
    scored, gts = {}, {}
    for split in splits:
        name = dataset_name(split)
        meta = MetadataCatalog.get(name)
        with open(meta.json_file) as f:
            gts[split] = (json.load(f), meta)
        scored[split] = {}
        for run in runs:
            preds = load_predictions(
                prediction_file(run.output_dir(output), name), len(meta.keypoint_names)
            )
            scores = split_scores(preds, gts[split][0], meta)
            scores["LR_swaps"] = 100.0 * left_right_swap_rate(preds, gts[split][0], meta)
            scored[split][run.key] = (preds, scores)
    return scored, gts


def compare_runs(runs, scored, gts, args):
    """split -> run key -> paired differences to the baseline run of the same seed."""
    out = {}
    for split, by_run in scored.items():
        gt, meta = gts[split]
        out[split] = {}
        for run in runs:
            base = Run(BASELINE, run.seed).key
            if run.variant.name == BASELINE.name or base not in by_run:
                continue  # nothing to compare with (e.g. --variants ljof)
            out[split][run.key] = paired_differences(
                by_run[base][0], by_run[run.key][0], gt, meta, num_resamples=args.resamples,
                seed=args.seed,
            )  # fmt: skip
    return out


def robustness(runs, output, args, gt):
    """Robustness curves of the runs (first seed) and paired intervals of the AP difference per α;
    ``gt``: the occluded split's GT dict."""
    name = dataset_name("occluded")
    meta = MetadataCatalog.get(name)
    records = get_topdown_dataset(name, use_detections=False)
    curves, preds = {}, {}
    # the evaluator logs a full occlusion table per alpha; the curve is printed once below
    logging.getLogger("ljof.evaluation").setLevel(logging.WARNING)
    for run in runs:
        weights = os.path.join(run.output_dir(output), "model_final.pth")
        cfg, model = load_model(run, weights, args.extra_overrides)
        curves[run.variant.label], preds[run.key] = robustness_curve(
            model,
            records,
            mapper=instantiate(cfg.dataloader.test.mapper),
            dataset_name=name,
            metadata=meta,
            alphas=args.alphas,
            seed=args.seed,
            batch_size=64,
        )
    a, b = runs[0].key, runs[1].key
    diffs = []
    for alpha in args.alphas:
        d = paired_differences(
            preds[a][alpha], preds[b][alpha], gt, meta, num_resamples=args.resamples, seed=args.seed
        )["AP"]
        diffs.append(dict(alpha=float(alpha), **d))
    return curves, diffs


def resource_figures(start: float):
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds of the job and its processes: with N idle cores the wall time is at least cpu_s / N
    cpu_s = children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime
    return {
        "wall_s": round(time.perf_counter() - start, 1),
        "cpu_s": round(cpu_s, 1),
        "peak_rss_mb": round(max(children.ru_maxrss, own.ru_maxrss) / 1024.0, 1),
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
    }


def _r(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 2)


# ------------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    setup_logger(name="ljof", abbrev_name="ljof")
    logging.getLogger("ljof").setLevel(logging.INFO)
    torch.set_num_threads(max(1, args.jobs * args.threads))
    args.iters = args.iters or (QUICK_ITERS if args.quick else DEFAULT_ITERS)
    args.extra_overrides = list(QUICK_OVERRIDES) if args.quick else []
    seeds = args.train_seeds or ([0, 1, 2] if args.ablation_mode else [0])
    variants = choose_variants(args)
    runs = runs_of(variants, seeds)
    args.output = os.path.abspath(args.output)
    data_root = os.path.abspath(args.data_root or os.path.join(args.output, "data"))
    os.makedirs(args.output, exist_ok=True)

    gen_seconds = 0.0
    if not is_generated(data_root):
        sizes = dict(QUICK_SIZES) if args.quick else dict(DEFAULT_SIZES)
        logger.info(f"generating the synthetic dataset in {data_root}: {sizes}")
        t = time.perf_counter()
        generate_dataset(data_root, sizes=sizes, seed=args.seed, workers=max(1, args.jobs))
        gen_seconds = time.perf_counter() - t
    register_synthetic_datasets(data_root)
    with open(os.path.join(data_root, "stats.json")) as f:
        data_stats = json.load(f)["splits"]

    settings = TrainingSettings(
        root=ROOT,
        data_root=data_root,
        iters=args.iters,
        batch_size=args.batch_size,
        test_datasets=[dataset_name(s) for s in SPLITS],
        threads=args.threads,
        extra_overrides=args.extra_overrides,
    )
    print(f"{len(runs)} runs ({', '.join(r.key for r in runs)}), {args.jobs} at a time", flush=True)
    train_s = train_runs(
        runs, args.output, settings, jobs=args.jobs, reuse=args.skip_training,
        echo=lambda line: print(line, flush=True),
    )  # fmt: skip
    scored, gts = score_runs(runs, args.output, SPLITS)
    diffs = compare_runs(runs, scored, gts, args)
    figures = {
        "mode": "ablation" if args.ablation_mode else "demo",
        "iters": args.iters,
        "batch_size": args.batch_size,
        "train_seeds": seeds,
        "resamples": args.resamples,
        "generate_s": round(gen_seconds, 1),
        **{f"train_s/{k}": round(v, 1) for k, v in train_s.items()},
        **{f"{s}_people": data_stats[s]["people"] for s in SPLITS},
    }
    results = {"settings": vars(args), "scores": {}, "differences": diffs}
    for split, by_run in scored.items():
        results["scores"][split] = {k: v[1] for k, v in by_run.items()}
    labels = {v.name: v.label for v in variants}

    if args.ablation_mode:
        summary = ablation_summary(runs, variants, seeds, results)
        results["ablation"] = summary
        print("\n" + format_ablation(summary, ("AP", "AP_occluded", "LR_swaps"), labels))
        print("\nPer seed, paired bootstrap over test images:")
        print(format_seed_differences(diffs, ("AP", "AP_occluded"), labels))
        for split, by_variant in summary.items():
            for name, s in by_variant.items():
                for m, st in s["scores"].items():
                    figures[f"{split}/{name}/{m}_mean"] = _r(st["mean"])
                    figures[f"{split}/{name}/{m}_std"] = _r(st["std"])
                for m, st in (s.get("differences") or {}).items():
                    figures[f"{split}/{name}/d{m}_mean"] = _r(st["mean"])
                    figures[f"{split}/{name}/d{m}_lower"] = _r(st["lower"])
                    figures[f"{split}/{name}/d{m}_upper"] = _r(st["upper"])
    else:
        demo_outputs(runs, args, data_root, results, figures, gts["occluded"][0])

    figures.update(resource_figures(start))
    with open(os.path.join(args.output, "results.json"), "w") as f:
        json.dump(dict(results, figures=figures), f, indent=1, default=float)
    print(json.dumps(figures))
    return 0


def ablation_summary(runs, variants, seeds, results):
    """split -> variant -> {"scores": metric -> seed statistics, "differences": ...}."""
    summary = {}
    for split, by_run in results["scores"].items():
        summary[split] = {}
        for v in variants:
            keys = [Run(v, s).key for s in seeds]
            metrics = list(by_run[keys[0]])  # SPLIT_METRICS and LR_swaps
            s = {"scores": {m: seed_statistics([by_run[k][m] for k in keys]) for m in metrics}}
            if v.name != BASELINE.name:
                d = results["differences"][split]
                s["differences"] = {
                    m: seed_statistics([d[k][m]["delta"] for k in keys]) for m in SPLIT_METRICS
                }
            summary[split][v.name] = s
    return summary


def demo_outputs(runs, args, data_root, results, figures, occluded_gt):
    """Tables, robustness curve and figures of the default mode (first seed)."""
    first = [r for r in runs if r.seed == runs[0].seed]
    for split in SPLITS:
        for r in first:
            for m, v in results["scores"][split][r.key].items():
                figures[f"{split}/{r.variant.name}/{m}"] = _r(v)
    compared = [r for r in first if r.variant.name != BASELINE.name]
    if compared and any(r.variant.name == BASELINE.name for r in first):
        other = compared[0]
        diffs = {s: results["differences"][s][other.key] for s in SPLITS}
        scores = {s: {r.variant.label: results["scores"][s][r.key] for r in first} for s in SPLITS}
        print("\n" + format_comparison(scores, diffs, (BASELINE.label, other.variant.label)))
        print(
            "people whose prediction fits the left/right-mirrored labels better (OKS + 0.1): "
            + "; ".join(
                f"{s} {r.variant.label} {results['scores'][s][r.key]['LR_swaps']:.1f} %"
                for s in SPLITS
                for r in first
            )
        )
        for s, metrics in diffs.items():
            for m, d in metrics.items():
                for k in ("delta", "lower", "upper"):
                    figures[f"{s}/d{m}_{k}"] = _r(d[k])
        curves, curve_diffs = {}, []
        if not args.no_robustness:
            pair = [Run(BASELINE, other.seed), other]
            curves, curve_diffs = robustness(pair, args.output, args, occluded_gt)
            results["robustness"] = {"curves": curves, "differences": curve_diffs}
            print("\nRobustness (occluded split, synthetic blocks):")
            print(
                format_curve_differences(curves, curve_diffs, (BASELINE.label, other.variant.label))
            )
            for d in curve_diffs:
                for k in ("delta", "lower", "upper"):
                    figures[f"robustness/alpha{d['alpha']:g}/dAP_{k}"] = _r(d[k])
        plot_summary(
            diffs, curves, curve_diffs, os.path.join(args.output, "summary.png"),
            labels=(BASELINE.label, other.variant.label),
        )  # fmt: skip
    models = {}
    for r in first:
        weights = os.path.join(r.output_dir(args.output), "model_final.pth")
        _, models[r.variant.label] = load_model(r, weights, args.extra_overrides)
    name = dataset_name("occluded")
    draw_predictions(
        os.path.join(args.output, "predictions.png"), models,
        get_topdown_dataset(name, use_detections=False), MetadataCatalog.get(name),
    )  # fmt: skip
    draw_lja_samples(args.output, data_root)
    runs_metrics = {r.key: read_metrics(r.output_dir(args.output)) or [] for r in first}
    plot_losses(runs_metrics, os.path.join(args.output, "loss_curves.png"))
    cfg = LazyConfig.load(LJOF.config_path(ROOT))
    logged = [
        (row["iteration"], row["lambda_limb"])
        for rows in runs_metrics.values()
        for row in rows
        if "lambda_limb" in row
    ]
    plot_lambda_schedule(
        instantiate(cfg.model.loss.lambda_schedule), args.iters, logged,
        os.path.join(args.output, "lambda_schedule.png"),
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

"""The main job's pipeline (``tools/run_main_job.py``, ``make demo``): data, training, scoring,
comparison, and either the demo's outputs (default mode) or the ablation's seed statistics.

1. generates the synthetic person-keypoint dataset if missing (``ljof.synthetic``);
2. trains the runs with the real training script (:func:`ljof.main_job.training.train_runs`: ``jobs``
   processes side by side, one thread each); each run evaluates its final model on the clean ``val``
   split and the ``occluded`` split (GT boxes) and writes its predictions;
3. scores every run with the occlusion analysis and the rate of left/right confusions, and compares each
   variant with the baseline of the same seed (paired bootstrap over test images, seeded);
4. default mode: the robustness curve and the figures (:mod:`ljof.main_job.demo`); ablation mode: every
   variant with every seed, mean ± std per variant and split, and the paired difference to the baseline
   with a Student-t interval over seeds;
5. writes ``results.json``, prints the tables, and ends with one JSON line of the figures.
"""

import json
import logging
import os
import resource
import time
from typing import Dict, List

import torch
from detectron2.utils.logger import setup_logger

from ljof.synthetic import (
    DEFAULT_SIZES,
    dataset_name,
    generate_dataset,
    is_generated,
    register_synthetic_datasets,
)

from . import variants as _variants
from .comparison import SPLIT_METRICS, seed_statistics
from .demo import demo_outputs, rounded
from .report import format_ablation, format_seed_differences
from .scoring import compare_runs, load_split_gts, score_runs
from .training import TrainingSettings, train_runs, variant_precision
from .variants import (
    ABLATION_VARIANTS,
    BASELINE,
    DEMO_VARIANTS,
    LJOF,
    Run,
    Variant,
    alpha_beta_variant,
    lambda_max_variant,
    runs_of,
    schedule_variant,
    unique,
)

__all__ = [
    "SPLITS",
    "DEFAULT_ITERS",
    "QUICK_ITERS",
    "QUICK_SIZES",
    "QUICK_OVERRIDES",
    "DEFAULT_ALPHAS",
    "registered_variants",
    "choose_variants",
    "prepare_data",
    "resource_figures",
    "ablation_summary",
    "run_main_job",
]

logger = logging.getLogger("ljof.main_job")

SPLITS = ("val", "occluded")
DEFAULT_ITERS = 500
QUICK_ITERS = 150
QUICK_SIZES = dict(train=200, val=20, occluded=40)
# the CI version also trains the width-8 network (4x cheaper per step)
QUICK_OVERRIDES = ("model.backbone.width=8", "model.backbone.stem_channels=16")
DEFAULT_ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)


def registered_variants() -> Dict[str, Variant]:
    """name -> variant for what ``--variants`` accepts (:data:`ljof.main_job.variants.VARIANTS_BY_NAME`)."""
    return dict(_variants.VARIANTS_BY_NAME)


def choose_variants(args) -> List[Variant]:
    """The variants of the options (``variants``, ``ablation``, ``lambda_schedules``, ``alpha_beta``,
    ``lambda_max``, ``ablation_mode``)."""
    if not args.ablation_mode:
        names = registered_variants()
        return [names[n] for n in args.variants] if args.variants else list(DEMO_VARIANTS)
    variants = list(ABLATION_VARIANTS) if args.ablation else [BASELINE, LJOF]
    variants += [LJOF if k == "step" else schedule_variant(k) for k in args.lambda_schedules]
    variants += [alpha_beta_variant(a, b) for a, b in args.alpha_beta]
    variants += [lambda_max_variant(v) for v in args.lambda_max]
    return unique(variants)


def prepare_data(data_root: str, *, quick: bool, seed: int, workers: int):
    """Generate the dataset into ``data_root`` if missing (:data:`QUICK_SIZES` with ``quick``, else
    ``ljof.synthetic.DEFAULT_SIZES``) and register its splits; returns (the per-split statistics of its
    ``stats.json``, seconds spent generating)."""
    seconds = 0.0
    if not is_generated(data_root):
        sizes = dict(QUICK_SIZES) if quick else dict(DEFAULT_SIZES)
        logger.info(f"generating the synthetic dataset in {data_root}: {sizes}")
        t = time.perf_counter()
        generate_dataset(data_root, sizes=sizes, seed=seed, workers=max(1, workers))
        seconds = time.perf_counter() - t
    register_synthetic_datasets(data_root)
    with open(os.path.join(data_root, "stats.json")) as f:
        return json.load(f)["splits"], seconds


def resource_figures(start: float) -> Dict[str, float]:
    """Wall seconds since ``start`` (``time.perf_counter``), CPU seconds of this process and its
    children, their peak RSS (MB) and the 1-minute load average."""
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


def setup_logging(threads: int) -> None:
    """ljof's logger at INFO, and ``threads`` torch threads in this process."""
    setup_logger(name="ljof", abbrev_name="ljof")
    logging.getLogger("ljof").setLevel(logging.INFO)
    torch.set_num_threads(max(1, threads))


def run_main_job(args, root: str) -> int:
    """Run the default or the ablation mode of ``tools/run_main_job.py`` (its parsed options ``args``;
    ``root``: the repository, where ``tools/`` and ``configs/`` live); returns the exit status."""
    start = time.perf_counter()
    setup_logging(args.jobs * args.threads)
    args.iters = args.iters or (QUICK_ITERS if args.quick else DEFAULT_ITERS)
    args.extra_overrides = (list(QUICK_OVERRIDES) if args.quick else []) + list(args.override)
    seeds = args.train_seeds or ([0, 1, 2] if args.ablation_mode else [0])
    variants = choose_variants(args)
    runs = runs_of(variants, seeds)
    args.output = os.path.abspath(args.output)
    data_root = os.path.abspath(args.data_root or os.path.join(args.output, "data"))
    os.makedirs(args.output, exist_ok=True)
    data_stats, gen_seconds = prepare_data(
        data_root, quick=args.quick, seed=args.seed, workers=args.jobs
    )

    settings = TrainingSettings(
        root=root,
        data_root=data_root,
        iters=args.iters,
        batch_size=args.batch_size,
        test_datasets=[dataset_name(s) for s in SPLITS],
        threads=args.threads,
        extra_overrides=args.extra_overrides,
    )
    precision, why = variant_precision(root, runs[0].variant, args.extra_overrides)
    print(f"training precision: {precision} ({why})", flush=True)
    print(f"{len(runs)} runs ({', '.join(r.key for r in runs)}), {args.jobs} at a time", flush=True)
    train_s = train_runs(
        runs, args.output, settings, jobs=args.jobs, reuse=args.skip_training,
        echo=lambda line: print(line, flush=True),
    )  # fmt: skip
    gts = load_split_gts(SPLITS)
    scored = score_runs(runs, args.output, gts)
    diffs = compare_runs(runs, scored, gts, num_resamples=args.resamples, seed=args.seed)
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
                    figures[f"{split}/{name}/{m}_mean"] = rounded(st["mean"])
                    figures[f"{split}/{name}/{m}_std"] = rounded(st["std"])
                for m, st in (s.get("differences") or {}).items():
                    figures[f"{split}/{name}/d{m}_mean"] = rounded(st["mean"])
                    figures[f"{split}/{name}/d{m}_lower"] = rounded(st["lower"])
                    figures[f"{split}/{name}/d{m}_upper"] = rounded(st["upper"])
    else:
        demo_outputs(root, runs, args, results, figures, gts["occluded"][0], SPLITS)

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

"""``tools/run_main_job.py --study``: generate the data if missing, train the study's runs that have no
kept result (:mod:`ljof.main_job.study`), pair them with their baselines, rebuild the report
(:mod:`ljof.main_job.study_report`) and end with one JSON line. ``--report-only`` does the last step
alone, from the JSON files."""

import json
import logging
import os
import time
from typing import Dict

from ljof.synthetic import dataset_name

from .demo import rounded
from .job import (
    QUICK_OVERRIDES,
    SPLITS,
    prepare_data,
    registered_variants,
    resource_figures,
    setup_logging,
)
from .study import pair_study, study_runs, train_study
from .study_report import STUDY_METRICS, write_study_report
from .training import TrainingSettings
from .variants import DEMO_VARIANTS, LJA_ONLY, LJOF

__all__ = ["DEFAULT_STUDY_ITERS", "DEFAULT_STUDY_SEEDS", "run_study", "study_figures"]

logger = logging.getLogger("ljof.main_job")

# 500 iterations of 32 crops are about 13 epochs of the default train split (1,192 people)
DEFAULT_STUDY_ITERS = (500, 1000, 2000, 4000)
DEFAULT_STUDY_SEEDS = (0, 1, 2)


def study_figures(summary: Dict) -> Dict:
    """The figures line of the study: per length, split and variant the mean AP figures and, per
    non-baseline variant, the difference to the baseline with its interval over seeds."""
    out = {"converged_iters": summary["converged_iters"]}
    for e in summary["lengths"]:
        n = e["iters"]
        out[f"iters{n}/epochs"] = rounded(e["epochs"])
        for name, v in e["variants"].items():
            out[f"iters{n}/{name}/seeds"] = len(v["seeds"])
            for s, by_metric in v["scores"].items():
                for m in STUDY_METRICS:
                    out[f"iters{n}/{s}/{name}/{m}_mean"] = rounded(by_metric[m]["mean"])
                    out[f"iters{n}/{s}/{name}/{m}_std"] = rounded(by_metric[m]["std"])
            for s, by_metric in v.get("differences", {}).items():
                for m in ("AP", "AP_occluded"):
                    for k in ("mean", "lower", "upper"):
                        out[f"iters{n}/{s}/{name}/d{m}_{k}"] = rounded(by_metric[m][k])
    return out


def run_study(args, root: str) -> int:
    """Run the study of ``tools/run_main_job.py --study`` (its parsed options ``args``: ``output``,
    ``data_root``, ``seed``, ``train_seeds``, ``study_iters``, ``batch_size``, ``jobs``, ``threads``,
    ``quick``, ``variants``, ``longest_only``, ``override``, ``resamples``, ``report_only``); returns
    the exit status."""
    start = time.perf_counter()
    setup_logging(args.jobs * args.threads)
    output = os.path.abspath(args.output)
    figures = {"mode": "study"}
    if not args.report_only:
        seeds = args.train_seeds or list(DEFAULT_STUDY_SEEDS)
        if len(seeds) < 3:
            logger.warning(f"--train-seeds {seeds}: the study asks for at least 3 seeds")
        names = registered_variants()
        variants = [names[n] for n in args.variants] if args.variants else list(DEMO_VARIANTS)
        lengths = args.study_iters or list(DEFAULT_STUDY_ITERS)
        longest = (
            (LJA_ONLY,) if args.longest_only is None else [names[n] for n in args.longest_only]
        )
        runs = study_runs(variants, lengths, seeds, longest_only=longest)
        data_root = os.path.abspath(args.data_root or os.path.join(output, "data"))
        os.makedirs(output, exist_ok=True)
        stats, gen_seconds = prepare_data(
            data_root, quick=args.quick, seed=args.seed, workers=args.jobs
        )
        with open(os.path.join(data_root, "stats.json")) as f:
            data = {k: v for k, v in json.load(f).items() if k in ("seed", "sizes")}
        settings = TrainingSettings(
            root=root,
            data_root=data_root,
            iters=max(lengths),
            batch_size=args.batch_size,
            test_datasets=[dataset_name(s) for s in SPLITS],
            threads=args.threads,
            extra_overrides=(list(QUICK_OVERRIDES) if args.quick else []) + list(args.override),
        )
        counts = train_study(
            runs, output, settings, data=data, train_people=stats["train"]["people"], root=root,
            jobs=args.jobs, splits=SPLITS, echo=lambda line: print(line, flush=True),
        )  # fmt: skip
        counts["paired"] = pair_study(
            runs, output, splits=SPLITS, num_resamples=args.resamples, seed=args.seed
        )
        figures.update(counts, runs=len(runs), generate_s=round(gen_seconds, 1))
    compared = LJOF.name if not args.variants or LJOF.name in args.variants else args.variants[-1]
    summary = write_study_report(output, compared=compared)
    with open(os.path.join(output, "study.md")) as f:
        print(f.read())
    figures.update(study_figures(summary))
    figures.update(resource_figures(start))
    print(json.dumps(figures))
    return 0

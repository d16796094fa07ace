#!/usr/bin/env python
"""The main job (``make demo``): LJOF versus its baseline on generated occlusion data, on the CPU, with
the uncertainty of the comparison. The pipeline is ``ljof.main_job`` (:mod:`ljof.main_job.job`); this
tool parses the options and calls it.

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

``--study`` (:mod:`ljof.main_job.study_job`) is the training-length study instead: the ``--variants``
(default baseline and LJOF) at every ``--study-iters`` length with every ``--train-seeds`` seed (default
0 1 2), + LJA only at the longest length; resumable (each finished run keeps a small ``result.json``
that a rerun reuses); the report (``study.md``, ``study.png``, ``study.json``) is rebuilt from those
JSON files (``--report-only`` does only that).

    python tools/run_main_job.py --output output/main_job              # make demo (see README)
    python tools/run_main_job.py --output output/ablation --ablation   # Table 6, 3 seeds
    python tools/run_main_job.py --output output/lambda --lambda-schedules constant step linear exponential
    python tools/run_main_job.py --output /tmp/mj --quick              # the CI version
    python tools/run_main_job.py --output output/study --study --study-iters 500 1000 2000 4000
    python tools/run_main_job.py --output output/study --study --report-only
"""

import ljof  # noqa: F401  (first: compat shims)

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from ljof.config.overrides import parse_overrides  # noqa: E402
from ljof.errors import InputError  # noqa: E402
from ljof.main_job.job import (  # noqa: E402
    DEFAULT_ALPHAS,
    DEFAULT_ITERS,
    QUICK_ITERS,
    QUICK_SIZES,
    registered_variants,
    run_main_job,
)
from ljof.main_job.study_job import DEFAULT_STUDY_ITERS, run_study  # noqa: E402
from ljof.main_job.variants import parse_alpha_beta  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# options of --study only; the other modes' results.json "settings" do not list them
STUDY_OPTIONS = ("study", "study_iters", "longest_only", "report_only")


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
        help="training seeds (train.seed) of every variant (default: 0; 0 1 2 for the ablations and "
        "the study)",
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
        choices=sorted(registered_variants()),
        help="default mode and --study: the models (default: baseline ljof)",
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
    p.add_argument(
        "--override",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="LazyConfig overrides of every run, after the variant's own (e.g. optimizer.lr=0.001); "
        "the study keeps them in each run's settings",
    )
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (%(default)s)")
    p.add_argument("--alphas", type=float, nargs="+", default=list(DEFAULT_ALPHAS))
    p.add_argument("--no-robustness", action="store_true", help="skip the robustness curve")
    study = p.add_argument_group("training-length study (docs/main_job.md)")
    study.add_argument(
        "--study",
        action="store_true",
        help="the training-length study: every --variants model at every --study-iters length with "
        "every --train-seeds seed, + LJA only at the longest; resumable",
    )
    study.add_argument(
        "--longest-only",
        nargs="*",
        choices=sorted(registered_variants()),
        metavar="VARIANT",
        help="--study: variants trained at the longest length only (default: lja; none when empty)",
    )
    study.add_argument(
        "--study-iters",
        type=int,
        nargs="+",
        metavar="N",
        help=f"--study: training lengths in iterations (default {' '.join(map(str, DEFAULT_STUDY_ITERS))})",
    )
    study.add_argument(
        "--report-only",
        action="store_true",
        help="--study: rebuild study.md, study.png and study.json from the kept JSON files, no training",
    )
    args = p.parse_args(argv)
    args.ablation_mode = bool(
        args.ablation or args.lambda_schedules or args.alpha_beta or args.lambda_max
    )
    if args.ablation_mode and (args.variants or args.study):
        p.error("--variants and --study are not for the ablation flags; those choose the variants")
    if not args.study and (args.study_iters or args.report_only or args.longest_only is not None):
        p.error("--study-iters, --longest-only and --report-only go with --study")
    try:
        parse_overrides(args.override)
    except InputError as e:
        p.error(f"--override: {e}")
    if args.study and args.iters:
        p.error("--study trains at the --study-iters lengths; --iters is for the other modes")
    if any(n < 1 for n in args.study_iters or ()):
        p.error(f"--study-iters {args.study_iters}: lengths must be positive")
    try:
        args.alpha_beta = [parse_alpha_beta(t) for t in args.alpha_beta]
    except ValueError as e:
        p.error(str(e))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.study:
        return run_study(args, ROOT)
    for name in STUDY_OPTIONS:
        delattr(args, name)
    return run_main_job(args, ROOT)


if __name__ == "__main__":
    sys.exit(main())

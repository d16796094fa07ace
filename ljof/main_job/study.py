"""The training-length study (``tools/run_main_job.py --study``): does LJOF help once training
converges?

Every variant (default: baseline and LJOF) is trained at every training length (``--study-iters``,
each a full run with its own cosine schedule) with every training seed (default 0, 1, 2), plus the
``longest_only`` variants (default: + LJA only) at the longest length; shortest lengths first, so a
study stopped early has whole lengths. Training is :func:`ljof.main_job.training.train_jobs` (the real
training script, ``--jobs`` side by side).

**Resumable.** As soon as a run's process exits, its predictions are scored and a small
``result.json`` (:data:`RESULT_FILE`) is written into its folder ``<output>/iters<N>/<variant>/seed<S>/``:
the run's settings (variant, config, overrides, seed, iterations, batch, dataset), epochs, wall seconds,
precision and machine, the scores of both splits (with the left/right confusions of wrists and
ankles), the mean OKS similarity per joint and visibility (``per_joint``), the median drift of each limb
joint toward its chain neighbours (``limb_drift``) and the last logged losses.
A rerun skips every run
whose ``result.json`` has the same settings (a different one is an error naming the file), and trains
the others. Then each variant run and the baseline run of the same length and seed get their paired
bootstrap over test images (:data:`PAIRED_FILE` in the variant run's folder, from the kept predictions).
The report (:mod:`ljof.main_job.study_report`) reads these JSON files only.
"""

import json
import logging
import os
import platform
import time
from typing import Dict, List, Mapping, Optional, Sequence

import torch

from ljof.engine.precision import native_bf16_support
from ljof.synthetic import dataset_name

from .comparison import load_predictions, paired_differences
from .per_joint import best_predictions, limb_drift, per_joint_similarity
from .scoring import load_split_gts, prediction_scores, run_predictions
from .training import (
    TrainingJob,
    TrainingSettings,
    prediction_file,
    read_metrics,
    recipe_digest,
    train_jobs,
    variant_precision,
)
from .variants import BASELINE, Run, Variant

__all__ = [
    "RESULT_FILE",
    "PAIRED_FILE",
    "StudyRun",
    "machine",
    "study_runs",
    "run_spec",
    "read_json",
    "write_json",
    "train_study",
    "pair_study",
]

logger = logging.getLogger(__name__)

RESULT_FILE = "result.json"
PAIRED_FILE = "paired.json"
FORMAT = 2  # of both files; bump when their fields change meaning
_LOSS_KEYS = ("total_loss", "loss_heatmap", "loss_limb", "lambda_limb")


class StudyRun:
    """A run at one training length; its folder is ``<output>/iters<iters>/<variant>/seed<seed>``."""

    def __init__(self, run: Run, iters: int):
        self.run = run
        self.iters = int(iters)

    @property
    def key(self) -> str:
        return f"iters{self.iters}/{self.run.key}"

    def output_dir(self, output: str) -> str:
        return self.run.output_dir(os.path.join(output, f"iters{self.iters}"))

    def baseline(self) -> "StudyRun":
        return StudyRun(Run(BASELINE, self.run.seed), self.iters)


def study_runs(
    variants: Sequence[Variant],
    lengths: Sequence[int],
    seeds: Sequence[int],
    longest_only: Sequence[Variant] = (),
) -> List[StudyRun]:
    """Every variant x length x seed, plus ``longest_only`` at the longest length; ordered by length,
    then seed, then variant (the baseline of a pair trains next to its variant)."""
    lengths = sorted({int(n) for n in lengths})
    out = []
    for n in lengths:
        extra = [v for v in longest_only if v not in variants] if n == lengths[-1] else []
        out += [StudyRun(Run(v, int(s)), n) for s in seeds for v in (*variants, *extra)]
    return out


def run_spec(run: StudyRun, settings: TrainingSettings, data: Mapping, recipe: str = "") -> Dict:
    """What must be equal for a kept result to stand for ``run``: the variant's recipe, the seed, the
    length, the batch, the overrides of every run, the dataset (``data``: its ``stats.json`` seed and
    sizes) and ``recipe``, the digest of the whole config the run trains
    (:func:`~ljof.main_job.training.recipe_digest`: a changed config file is a changed run)."""
    v = run.run.variant
    return dict(
        recipe=recipe,
        variant=v.name,
        label=v.label,
        config=v.config,
        overrides=list(v.overrides),
        seed=run.run.seed,
        iters=run.iters,
        batch_size=settings.batch_size,
        extra_overrides=list(settings.extra_overrides),
        data=dict(data),
    )


def read_json(path: str) -> Optional[Dict]:
    """The JSON object in ``path``, None when missing; ValueError naming the file when unreadable."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise ValueError(f"{path}: not a JSON file of the study ({e}); delete it to redo the run")


def write_json(path: str, obj: Mapping) -> None:
    """Write ``obj`` to ``path`` atomically (a killed study never leaves half a file)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, default=float)
    os.replace(tmp, path)


def _precision(root: str, run: StudyRun, settings: TrainingSettings) -> str:
    return variant_precision(root, run.run.variant, settings.extra_overrides)[0]


def machine() -> Dict[str, str]:
    """The CPU (``/proc/cpuinfo``'s model name), torch's CPU capability and bf16 support, torch."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), model
            )
    except OSError:
        pass
    return dict(
        cpu=model,
        capability=torch.backends.cpu.get_cpu_capability(),
        bf16=native_bf16_support()[1],
        torch=torch.__version__,
        cores=str(os.cpu_count()),
    )


def _last_losses(output_dir: str) -> Dict[str, float]:
    rows = read_metrics(output_dir) or []
    out = {}
    for row in rows:
        out.update({k: float(row[k]) for k in _LOSS_KEYS if k in row})
    return out


def train_study(
    runs: Sequence[StudyRun],
    output: str,
    settings: TrainingSettings,
    *,
    data: Mapping,
    train_people: int,
    root: str,
    jobs: int,
    splits: Sequence[str],
    echo=print,
) -> Dict[str, int]:
    """Train the runs without a kept result and keep each one's ``result.json`` as it finishes.

    Args:
        runs: the study's runs; ``settings.iters`` is replaced by each run's length.
        data: the dataset's identity for :func:`run_spec`; ``train_people``: person instances of the
            train split (epochs = iterations x batch / train_people).
        splits: the test splits scored (registered, their predictions written by the training).

    Returns:
        ``{"trained": n, "reused": m}``.

    Raises:
        ValueError naming the file when a kept result has other settings than the run.
    """
    todo, specs, precision = [], {}, {}
    for r in runs:
        s = settings.replace(iters=r.iters)
        specs[r.key] = run_spec(r, s, data, recipe_digest(root, r.run, s))
        path = os.path.join(r.output_dir(output), RESULT_FILE)
        kept = read_json(path)
        if kept is None:
            todo.append(TrainingJob(r.run, r.output_dir(output), s, key=r.key))
            # read from the config now: a config edited while the study runs changes neither
            precision[r.key] = _precision(root, r, s)
            continue
        other = {k: (v, kept.get("spec", {}).get(k)) for k, v in specs[r.key].items()
                 if kept.get("spec", {}).get(k) != v}  # fmt: skip
        if other or kept.get("format") != FORMAT:
            changes = ", ".join(f"{k}: {new} here, {old} kept" for k, (new, old) in other.items())
            raise ValueError(
                f"{path}: kept result of other settings ({changes or 'format'}); "
                "use another --output or delete that run's folder"
            )
    for job in todo:
        # a run stopped part-way starts again: detectron2's JSONWriter would append to its old rows
        stale = os.path.join(job.output_dir, "metrics.json")
        if os.path.exists(stale):
            os.remove(stale)
    logger.info(f"study: {len(runs)} runs, {len(runs) - len(todo)} kept, {len(todo)} to train")
    gts = load_split_gts(splits)
    by_key = {r.key: r for r in runs}
    info = machine()

    def keep(job: TrainingJob, seconds: float) -> None:
        r = by_key[job.key]
        preds = {s: run_predictions(job.output_dir, s, gts) for s in splits}
        # each person's best prediction once per split, for the scores and both per-joint tables
        best = {s: best_predictions(preds[s], *gts[s]) for s in splits}
        result = dict(
            format=FORMAT,
            key=r.key,
            spec=specs[r.key],
            epochs=r.iters * settings.batch_size / float(train_people),
            train_s=round(seconds, 1),
            parallel_jobs=int(jobs),
            threads=job.settings.threads,
            precision=precision[r.key],
            machine=info,
            scores={s: prediction_scores(preds[s], *gts[s], best=best[s]) for s in splits},
            per_joint={s: per_joint_similarity(preds[s], *gts[s], best=best[s]) for s in splits},
            limb_drift={s: limb_drift(preds[s], *gts[s], best=best[s]) for s in splits},
            final_losses=_last_losses(job.output_dir),
            finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        write_json(os.path.join(job.output_dir, RESULT_FILE), result)

    train_jobs(todo, parallel=jobs, echo=echo, on_done=keep)
    return {"trained": len(todo), "reused": len(runs) - len(todo)}


def pair_study(
    runs: Sequence[StudyRun], output: str, *, splits: Sequence[str], num_resamples: int, seed: int
) -> int:
    """Write the missing :data:`PAIRED_FILE` of every non-baseline run whose baseline run (same length
    and seed) is in ``runs``: run minus baseline on every metric with a paired bootstrap over test
    images (``num_resamples`` resamples, ``seed``). A kept file with the same baseline and resamples is
    reused. Returns the number of files written.

    Raises:
        FileNotFoundError naming the file when a prediction file needed for a missing pair is gone.
    """
    keys = {r.key for r in runs}
    gts = load_split_gts(splits)
    written = 0
    for r in runs:
        base = r.baseline()
        if r.run.variant.name == BASELINE.name or base.key not in keys:
            continue
        path = os.path.join(r.output_dir(output), PAIRED_FILE)
        kept = read_json(path)
        if kept and (kept.get("baseline"), kept.get("resamples"), kept.get("seed")) == (
            base.key,
            num_resamples,
            seed,
        ):
            continue
        differences = {}
        for split in splits:
            gt, meta = gts[split]
            preds = []
            for x in (base, r):
                f = prediction_file(x.output_dir(output), dataset_name(split))
                if not os.path.exists(f):
                    raise FileNotFoundError(f"{f}: predictions of {x.key} needed for {path}")
                preds.append(load_predictions(f, len(meta.keypoint_names)))
            differences[split] = paired_differences(
                preds[0], preds[1], gt, meta, num_resamples=num_resamples, seed=seed
            )
        write_json(
            path,
            dict(
                format=FORMAT,
                run=r.key,
                baseline=base.key,
                resamples=num_resamples,
                seed=seed,
                differences=differences,
            ),
        )
        written += 1
    return written

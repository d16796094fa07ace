"""Train the main job's runs with the real training script, several at once.

Each run is one process of ``tools/lazyconfig_train_net.py`` with ``--jobs`` processes at a time, one
torch thread each (two runs side by side on two cores beat one run on two threads: the reduced HRNet's
small convolutions do not scale across threads). Each process evaluates its final model on the test
splits (``train.eval_period = max_iter``: detectron2's ``EvalHook`` runs once, after the last
iteration), so the predictions are written by the training process
(``<run>/inference/<dataset>/keypoint_predictions.json``) and evaluation overlaps the other trainings.

Written by hand on ``subprocess`` because detectron2's ``launch`` runs one job on several processes; here
several independent jobs share the machine.
"""

import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

from detectron2.config import LazyConfig

from ljof.engine.precision import training_precision

from .variants import Run, Variant

__all__ = [
    "TrainingSettings",
    "TrainingJob",
    "train_runs",
    "train_jobs",
    "prediction_file",
    "read_metrics",
    "variant_precision",
    "recipe_digest",
]

logger = logging.getLogger(__name__)


class TrainingSettings:
    """What every run shares.

    Args:
        root: the repository (``tools/`` and ``configs/`` live there).
        data_root: the generated dataset (``LJOF_SYNTHETIC_ROOT`` of the processes).
        iters: training iterations per run.
        batch_size: images per iteration.
        test_datasets: registered names evaluated after training, in order.
        threads: torch threads per process.
        extra_overrides: LazyConfig overrides for every run (after the variant's own).
    """

    def __init__(
        self,
        *,
        root: str,
        data_root: str,
        iters: int,
        batch_size: int,
        test_datasets: Sequence[str],
        threads: int = 1,
        extra_overrides: Sequence[str] = (),
    ):
        self.root = root
        self.data_root = data_root
        self.iters = int(iters)
        self.batch_size = int(batch_size)
        self.test_datasets = list(test_datasets)
        self.threads = int(threads)
        self.extra_overrides = list(extra_overrides)

    def replace(self, **changes) -> "TrainingSettings":
        """A copy with ``changes`` (keyword arguments of the constructor)."""
        kwargs = dict(self.__dict__)
        kwargs.update(changes)
        return TrainingSettings(**kwargs)

    def command(self, run: Run, output_dir: str) -> List[str]:
        names = ",".join(f'"{n}"' for n in self.test_datasets)
        return [
            sys.executable,
            os.path.join(self.root, "tools", "lazyconfig_train_net.py"),
            "--config-file",
            run.variant.config_path(self.root),
            f"train.output_dir={output_dir}",
            f"train.max_iter={self.iters}",
            f"train.seed={run.seed}",
            f"train.eval_period={self.iters}",
            f"dataloader.train.total_batch_size={self.batch_size}",
            f"dataloader.test_datasets=[{names}]",
            *run.variant.overrides,
            *self.extra_overrides,
        ]

    def environment(self) -> Dict[str, str]:
        env = dict(os.environ, LJOF_SYNTHETIC_ROOT=self.data_root)
        env.update(
            OMP_NUM_THREADS=str(self.threads),
            MKL_NUM_THREADS=str(self.threads),
            PYTHONUNBUFFERED="1",  # stream the trainer's progress lines
        )
        return env


def prediction_file(output_dir: str, dataset: str) -> str:
    """Where a run's training process wrote its final model's predictions on ``dataset``."""
    return os.path.join(output_dir, "inference", dataset, "keypoint_predictions.json")


class TrainingJob:
    """One training process: ``run`` with ``settings``, writing to ``output_dir``; ``key`` names it in
    progress lines and in the returned seconds (default: the run's key)."""

    def __init__(self, run: Run, output_dir: str, settings: TrainingSettings, key: str = ""):
        self.run = run
        self.output_dir = output_dir
        self.settings = settings
        self.key = key or run.key

    def finished(self) -> bool:
        """True when the final model and the predictions on every test dataset exist."""
        out = self.output_dir
        return os.path.exists(os.path.join(out, "model_final.pth")) and all(
            os.path.exists(prediction_file(out, d)) for d in self.settings.test_datasets
        )


def train_runs(
    runs: Sequence[Run],
    output: str,
    settings: TrainingSettings,
    *,
    jobs: int = 2,
    reuse: bool = False,
    echo=print,
) -> Dict[str, float]:
    """Train (and evaluate) every run in ``run.output_dir(output)``, ``jobs`` at a time; returns run key
    -> wall seconds (0 for a reused run). ``reuse``: skip runs whose model and predictions exist. Runs
    :func:`train_jobs`."""
    todo = [TrainingJob(r, r.output_dir(output), settings) for r in runs]
    seconds = {j.key: 0.0 for j in todo if reuse and j.finished()}
    todo = [j for j in todo if j.key not in seconds]
    seconds.update(train_jobs(todo, parallel=jobs, echo=echo))
    return {r.key: seconds[r.key] for r in runs}


def train_jobs(
    todo: Sequence[TrainingJob],
    *,
    parallel: int = 2,
    echo=print,
    on_done: Optional[Callable[[TrainingJob, float], None]] = None,
) -> Dict[str, float]:
    """The one way the main job trains: every job is a process of ``tools/lazyconfig_train_net.py``
    (the real training script, :meth:`TrainingSettings.command`), ``parallel`` at a time, started in
    order. A process returns its results as files in its folder: ``model_final.pth``, detectron2's
    ``metrics.json`` and the evaluator's ``inference/<dataset>/keypoint_predictions.json``
    (:func:`prediction_file`); its output goes to ``train_log.txt`` there.

    Args:
        todo: the jobs.
        parallel: processes at a time.
        echo: receives one progress line per trainer report (``[key] iter ... eta ...``).
        on_done: called as ``on_done(job, seconds)`` in this process when a job's process has
            exited cleanly, while the others keep training (e.g. to score it and keep its result).
            An exception there is logged and the other jobs go on; it is raised at the end.

    Returns:
        job key -> wall seconds of its process.

    Raises:
        RuntimeError naming the job and its log when a training process fails (the others are
        stopped); RuntimeError naming every job whose ``on_done`` failed, after all jobs ran.
    """
    pending = list(todo)
    active: Dict[str, tuple] = {}
    seconds: Dict[str, float] = {}
    after_failures: List[str] = []
    try:
        while pending or active:
            while pending and len(active) < max(1, int(parallel)):
                job = pending.pop(0)
                os.makedirs(job.output_dir, exist_ok=True)
                log = open(os.path.join(job.output_dir, "train_log.txt"), "w")
                cmd = job.settings.command(job.run, job.output_dir)
                logger.info(f"training {job.key}: {' '.join(cmd)}")
                proc = subprocess.Popen(
                    cmd,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=job.settings.environment(),
                    cwd=job.settings.root,
                )
                active[job.key] = (job, proc, log, time.perf_counter(), 0)
            time.sleep(1.0)
            for key, (job, proc, log, start, shown) in list(active.items()):
                shown = _echo_progress(key, job.output_dir, shown, echo)
                active[key] = (job, proc, log, start, shown)
                rc = proc.poll()
                if rc is None:
                    continue
                log.close()
                del active[key]
                if rc != 0:
                    raise RuntimeError(
                        f"training {key} failed (exit {rc}); "
                        f"see {os.path.join(job.output_dir, 'train_log.txt')}"
                    )
                seconds[key] = time.perf_counter() - start
                echo(f"[{key}] done in {seconds[key]:.0f} s")
                if on_done is not None:
                    try:
                        on_done(job, seconds[key])
                    except Exception as e:  # the others keep training; reported at the end
                        logger.error(f"after training {key}: {type(e).__name__}: {e}")
                        after_failures.append(f"{key} ({type(e).__name__}: {e})")
        if after_failures:
            raise RuntimeError(
                f"{len(after_failures)} of {len(todo)} runs trained but their results could not be "
                "kept (they train again on a rerun): " + "; ".join(after_failures)
            )
    finally:
        for _, proc, log, *_ in active.values():
            proc.kill()
            log.close()
    return seconds


def _echo_progress(key: str, out: str, shown: int, echo) -> int:
    """Echo the trainer's new ``eta:`` lines of ``train_log.txt``; returns the lines seen so far."""
    path = os.path.join(out, "train_log.txt")
    try:
        with open(path) as f:
            lines = f.readlines()
    except OSError:
        return shown
    for line in lines[shown:]:
        if "eta:" in line or "Traceback" in line or "Error" in line:
            echo(f"[{key}] {line.rstrip()}")
    return len(lines)


def read_metrics(output_dir: str) -> Optional[List[Dict]]:
    """The rows of a run's ``metrics.json`` (detectron2's JSONWriter), or None when missing."""
    path = os.path.join(output_dir, "metrics.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _variant_config(root: str, variant: Variant, overrides: Sequence[str] = ()):
    cfg = LazyConfig.load(variant.config_path(root))
    return LazyConfig.apply_overrides(cfg, [*variant.overrides, *overrides])


def variant_precision(root: str, variant: Variant, extra_overrides: Sequence[str] = ()):
    """``(precision, reason)`` that a variant's training will use on this machine
    (:func:`ljof.engine.training_precision` of its config with its overrides)."""
    return training_precision(_variant_config(root, variant, extra_overrides).train)


def recipe_digest(root: str, run: Run, settings: TrainingSettings) -> str:
    """SHA-256 (hex) of the config that ``run`` trains with ``settings``, as ``LazyConfig.to_py`` writes
    it with every override of :meth:`TrainingSettings.command` except the output folder: any change of
    a config file (``configs/main_job`` or ``configs/common``) changes it, so a kept result never stands
    for another recipe."""
    command = settings.command(run, output_dir="")
    overrides = [
        a
        for a in command[command.index("--config-file") + 2 :]
        if not a.startswith("train.output_dir=")
    ]
    cfg = _variant_config(root, run.variant, overrides)
    return hashlib.sha256(LazyConfig.to_py(cfg).encode()).hexdigest()

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

import json
import logging
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

from .variants import Run

__all__ = ["TrainingSettings", "train_runs", "prediction_file"]

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


def _finished(run: Run, output: str, settings: TrainingSettings) -> bool:
    out = run.output_dir(output)
    return os.path.exists(os.path.join(out, "model_final.pth")) and all(
        os.path.exists(prediction_file(out, d)) for d in settings.test_datasets
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
    """Train (and evaluate) every run, ``jobs`` at a time; returns run key -> wall seconds.

    Args:
        runs: the runs, started in this order.
        output: the main job's folder (each run writes to ``run.output_dir(output)``, its log to
            ``train_log.txt`` there).
        settings: the shared :class:`TrainingSettings`.
        jobs: processes at a time.
        reuse: skip runs whose model and predictions exist (0 s).
        echo: receives one progress line per trainer report (``[run] iter ... eta ...``).

    Raises:
        RuntimeError naming the run and its log when a training process fails (the others are
        stopped).
    """
    pending = list(runs)
    active: Dict[str, tuple] = {}
    seconds: Dict[str, float] = {}
    env = settings.environment()
    try:
        while pending or active:
            while pending and len(active) < max(1, int(jobs)):
                run = pending.pop(0)
                if reuse and _finished(run, output, settings):
                    seconds[run.key] = 0.0
                    continue
                out = run.output_dir(output)
                os.makedirs(out, exist_ok=True)
                log = open(os.path.join(out, "train_log.txt"), "w")
                cmd = settings.command(run, out)
                logger.info(f"training {run.key}: {' '.join(cmd)}")
                proc = subprocess.Popen(
                    cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=settings.root
                )
                active[run.key] = (proc, log, time.perf_counter(), out, 0)
            time.sleep(1.0)
            for key, (proc, log, start, out, shown) in list(active.items()):
                shown = _echo_progress(key, out, shown, echo)
                active[key] = (proc, log, start, out, shown)
                rc = proc.poll()
                if rc is None:
                    continue
                log.close()
                del active[key]
                if rc != 0:
                    raise RuntimeError(
                        f"training {key} failed (exit {rc}); see {os.path.join(out, 'train_log.txt')}"
                    )
                seconds[key] = time.perf_counter() - start
                echo(f"[{key}] done in {seconds[key]:.0f} s")
    finally:
        for proc, log, *_ in active.values():
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

#!/usr/bin/env python
"""The main job's wall time and peak memory, and the end-to-end detector + pose speed on the CPU.

1. Runs ``tools/run_main_job.py`` (the ``make demo`` job; ``--main-job-args`` passes options, e.g.
   ``"--quick --variants ljof"``) in a fresh output folder and reads its figures: ``wall_s`` and the
   peak resident memory of the job and its training processes (``peak_rss_mb``). Target: at most
   600 s on 2 cores.
2. Times ``DetectorPoseModel`` (Faster R-CNN R50-FPN from detectron2's model zoo + HRNet-W32 256x192,
   random weights: speed does not depend on them) through ``DetectorPosePredictor`` at the demo's
   resolution (shortest edge 800, longest at most 1333) on a 640x480 generated image with
   ``--people`` people forced through the pose model (GT boxes), after one warm-up: images/s.

Ends with one JSON line of the figures.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

import ljof  # noqa: F401
from detectron2.config import LazyConfig

from ljof.predictor import DetectorPosePredictor, build_detector_pose_model
from ljof.synthetic import SPLIT_STYLES, render_scene

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_main_job(extra_args: str):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, os.path.join(ROOT, "tools", "run_main_job.py"), "--output", tmp]
        cmd += shlex.split(extra_args)
        print("running:", " ".join(cmd), flush=True)
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"main job failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        lines = proc.stdout.strip().splitlines()
        table_start = next(i for i, line in enumerate(lines) if line.startswith("Occluded split"))
        print("\n".join(lines[table_start:-1]))
        return json.loads(lines[-1]), seconds


class _GtBoxes:
    """Replaces the detector's person boxes by fixed boxes, after running the detector (so the
    detector's time is counted) — every image then has ``len(boxes)`` people for the pose model."""

    def __init__(self, model, boxes):
        self.model, self.boxes = model, boxes
        self._orig = model._person_boxes

    def __call__(self, batched_inputs):
        self._orig(batched_inputs)  # the detector runs and is timed
        return [list(self.boxes) for _ in batched_inputs], [[1.0] * len(self.boxes)] * len(
            batched_inputs
        )


def bench_end_to_end(num_images: int, people: int, threads: int):
    torch.set_num_threads(threads)
    cfg = LazyConfig.load(os.path.join(ROOT, "demo", "configs", "faster_rcnn_R50_FPN_hrnet_w32.py"))
    cfg.train.detector_init_checkpoint = ""  # random weights; speed does not depend on them
    cfg.train.pose_init_checkpoint = ""
    model = build_detector_pose_model(cfg, device="cpu")
    scene = render_scene(
        np.random.default_rng(0), style=SPLIT_STYLES["occluded"], height=480, width=640
    )
    boxes = [np.asarray(b, np.float64) for b in scene.boxes[:people]]
    while len(boxes) < people:
        boxes.append(np.array([100.0, 60.0, 120.0, 300.0]))
    model._person_boxes = _GtBoxes(model, boxes)
    predictor = DetectorPosePredictor(model, **cfg.predictor)
    predictor(scene.image)  # warm-up
    start = time.perf_counter()
    for _ in range(num_images):
        inst = predictor(scene.image)
    seconds = time.perf_counter() - start
    assert len(inst) == people
    return num_images / seconds, seconds / num_images


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--main-job-args", default="", help="options for tools/run_main_job.py")
    p.add_argument("--skip-main-job", action="store_true")
    p.add_argument("--images", type=int, default=3, help="timed images end to end (%(default)s)")
    p.add_argument("--people", type=int, default=3, help="people per image (%(default)s)")
    p.add_argument("--threads", type=int, default=2, help="torch threads end to end (%(default)s)")
    args = p.parse_args()

    figures = {}
    if not args.skip_main_job:
        job, seconds = run_main_job(args.main_job_args)
        figures.update(
            main_job_wall_s=round(seconds, 1),
            main_job_peak_rss_mb=job["peak_rss_mb"],
            main_job_iters=job["iters"],
            main_job_within_600s=seconds <= 600,
            **{k: v for k, v in job.items() if k.endswith("_AP") or k.startswith("train_")},
        )
    ips, spi = bench_end_to_end(args.images, args.people, args.threads)
    print(
        f"end to end (Faster R-CNN R50-FPN + HRNet-W32, 640x480 -> 800x1067, {args.people} people, "
        f"{args.threads} threads): {ips:.3f} images/s ({spi:.2f} s/image)"
    )
    figures.update(
        end_to_end_images_per_s=round(ips, 4),
        end_to_end_s_per_image=round(spi, 3),
        end_to_end_people_per_image=args.people,
        torch_threads=args.threads,
        cpu_count=os.cpu_count(),
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""The main job's wall time and peak memory, and the end-to-end detector + pose speed on the CPU.

1. Runs ``tools/run_main_job.py`` (the ``make demo`` job; ``--main-job-args`` passes options, e.g.
   ``"--quick"``) in a fresh output folder and reads its figures: the wall time, the CPU seconds and the
   peak resident memory of the job and its training processes, and the APs with LJOF - baseline and its
   paired bootstrap interval per split. Target: at most 600 s on 2 otherwise idle cores.
2. Times ``DetectorPoseModel`` (Faster R-CNN R50-FPN from detectron2's model zoo + HRNet-W32 256x192,
   random weights: speed does not depend on them) through ``DetectorPosePredictor`` at the demo's
   resolution (shortest edge 800, longest at most 1333) on a 640x480 generated image with
   ``--people`` people forced through the pose model (GT boxes), after one warm-up: images/s.

3. ``--precision-ap``, instead of 1 and 2: trains the main-job baseline (``configs/main_job/baseline.py``,
   the real training script, one torch thread as in the main job) in float32 twice (seeds 1 and 2: the
   run-to-run noise) and under bfloat16 autocast once (seed 1), for the same iterations, evaluates each
   on the generated occluded split (GT boxes, float32) and reports the APs, the bf16 - fp32 difference
   next to the seed-to-seed difference, the training times, and the data loader's share: the median
   ``data_time`` (waiting for the next batch) against the median step ``time`` from ``metrics.json``,
   and the mapper's CPU time per batch with its image-decoding part.

   The float32 model of seed 1 is also evaluated in channels_last and under bf16 inference.

       python benchmarks/bench_main_job.py --precision-ap [--iters 500] [--data-root DIR] \\
           [--work-dir DIR [--skip-training]]

Ends with one JSON line of the figures.
"""

import argparse
import json
import os
import shlex
import statistics
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


def run_main_job(extra_args: str, output: str = None):
    """Run the make-demo job into ``output`` (default: a temporary folder, removed afterwards); its
    output is streamed (progress lines, tables); returns (its JSON figures, wall seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = output or tmp
        cmd = [sys.executable, os.path.join(ROOT, "tools", "run_main_job.py"), "--output", out]
        cmd += shlex.split(extra_args)
        print("running:", " ".join(cmd), flush=True)
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        last = ""
        for line in proc.stdout:
            print(line, end="", flush=True)
            last = line if line.strip() else last
        seconds = time.perf_counter() - start
        if proc.wait() != 0:
            raise RuntimeError(f"main job failed (exit {proc.returncode}); its output is above")
        return json.loads(last), seconds


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


# (label, train.amp.cpu_dtype, train.seed)
PRECISION_RUNS = (
    ("fp32_seed1", "float32", 1),
    ("fp32_seed2", "float32", 2),
    ("bf16_seed1", "bfloat16", 1),
)


def _median_metric(metrics_json: str, key: str):
    values = []
    with open(metrics_json) as f:
        for line in f:
            row = json.loads(line)
            if key in row and row.get("iteration", 0) > 0:  # iteration 0 includes start-up
                values.append(row[key])
    return round(statistics.median(values), 4) if values else None


def _evaluate(config, dataset, weights, output_dir, *, channels_last=False, bf16=False):
    """OKS AP of a trained main-job model on ``dataset`` (GT boxes), one torch thread; float32 unless
    ``bf16`` (``train.amp.eval_dtype="bfloat16"``), contiguous unless ``channels_last``."""
    from detectron2.config import instantiate
    from detectron2.evaluation import inference_on_dataset

    from ljof.checkpoint import PoseCheckpointer
    from ljof.engine import inference_autocast, prepare_memory_format
    from ljof.evaluation import TopDownKeypointEvaluator

    cfg = LazyConfig.load(config)
    cfg.dataloader.test.dataset.names = dataset
    cfg.train.memory_format = "channels_last" if channels_last else "contiguous"
    cfg.train.amp.eval_dtype = "bfloat16" if bf16 else "float32"
    model = instantiate(cfg.model).eval()
    PoseCheckpointer(model).load(weights)
    prepare_memory_format(model, cfg.train)
    evaluator = TopDownKeypointEvaluator(dataset, output_dir=output_dir, distributed=False)
    torch.set_num_threads(1)
    with inference_autocast(cfg.train):
        result = inference_on_dataset(model, instantiate(cfg.dataloader.test), evaluator)
    return {k: round(float(result["keypoints"][k]), 4) for k in ("AP", "AP50", "AR")}


def _mapper_cost(config, dataset, batches: int = 6, batch: int = 32):
    """CPU seconds per training batch of the main job's mapper, and of its image decoding alone
    (``read_image_for_crop`` at full size), in this process (one thread); medians over ``batches``
    batches after one warm-up batch."""
    from detectron2.config import instantiate

    from ljof.data import get_topdown_dataset
    from ljof.data.image_io import read_image_for_crop

    cfg = LazyConfig.load(config)
    mapper = instantiate(cfg.dataloader.train.mapper)
    records = get_topdown_dataset(dataset)
    rng = np.random.default_rng(0)
    np.random.seed(0)
    map_s, decode_s = [], []
    for i in range(batches + 1):
        chosen = [records[j] for j in rng.choice(len(records), batch)]
        t = time.process_time()
        for r in chosen:
            mapper(r)
        t_map = time.process_time() - t
        t = time.process_time()
        for r in chosen:
            read_image_for_crop(r["file_name"])
        t_decode = time.process_time() - t
        if i > 0:
            map_s.append(t_map)
            decode_s.append(t_decode)
    return {
        "batch": batch,
        "train_records": len(records),
        "map_cpu_s_per_batch": round(statistics.median(map_s), 4),
        "decode_cpu_s_per_batch": round(statistics.median(decode_s), 4),
    }


def precision_ap(args):
    """Section 3 of the module docstring; returns the figures."""
    from ljof.engine import native_bf16_support
    from ljof.synthetic import generate_dataset, is_generated, register_synthetic_datasets

    work = os.path.abspath(args.work_dir or tempfile.mkdtemp(prefix="ljof_precision_ap_"))
    data_root = os.path.abspath(args.data_root or os.path.join(work, "data"))
    if not is_generated(data_root):
        print(f"generating the synthetic dataset in {data_root}", flush=True)
        generate_dataset(data_root, seed=0)
    names = register_synthetic_datasets(data_root)
    env = dict(os.environ, LJOF_SYNTHETIC_ROOT=data_root, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([ROOT, env.get("PYTHONPATH", "")])
    config = os.path.join(ROOT, "configs", "main_job", "baseline.py")
    native, reason = native_bf16_support()
    load_start = os.getloadavg()[0]
    print(f"native bf16: {native} ({reason}); load average {load_start:.2f}", flush=True)
    runs = {}
    for label, dtype, seed in PRECISION_RUNS:
        out = os.path.join(work, label)
        seconds = None
        if not args.skip_training:
            cmd = [sys.executable, os.path.join(ROOT, "tools", "lazyconfig_train_net.py")]
            cmd += ["--config-file", config, f"train.output_dir={out}"]
            cmd += [f"train.max_iter={args.iters}", f"train.seed={seed}"]
            cmd += ["train.amp.enabled=True", f"train.amp.cpu_dtype={dtype}"]
            print("running:", " ".join(cmd), flush=True)
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
            seconds = round(time.perf_counter() - start, 1)
            if proc.returncode != 0:
                raise RuntimeError(f"training {label} failed:\n{proc.stderr[-3000:]}")
        weights = os.path.join(out, "model_final.pth")
        result = _evaluate(config, names["occluded"], weights, os.path.join(out, "eval"))
        metrics = os.path.join(out, "metrics.json")
        runs[label] = {
            "cpu_dtype": dtype,
            "seed": seed,
            **result,
            "train_s": seconds,
            "median_step_s": _median_metric(metrics, "time"),
            "median_data_time_s": _median_metric(metrics, "data_time"),
        }
        print(f"{label}: {runs[label]}", flush=True)
    # the evaluation side: the float32 model of seed 1 evaluated in channels_last and in bf16
    weights = os.path.join(work, "fp32_seed1", "model_final.pth")
    evals = {
        "fp32_contiguous": {k: runs["fp32_seed1"][k] for k in ("AP", "AP50", "AR")},
        "fp32_channels_last": _evaluate(
            config, names["occluded"], weights, os.path.join(work, "eval_cl"), channels_last=True
        ),
        "bf16_channels_last": _evaluate(
            config,
            names["occluded"],
            weights,
            os.path.join(work, "eval_bf16"),
            channels_last=True,
            bf16=True,
        ),
    }
    loading = _mapper_cost(config, names["train"])
    noise = abs(runs["fp32_seed1"]["AP"] - runs["fp32_seed2"]["AP"])
    diff = runs["bf16_seed1"]["AP"] - runs["fp32_seed1"]["AP"]
    print(f"\nmain-job baseline, {args.iters} iterations, occluded split (GT boxes), in {work}:")
    print(f"{'run':<12}{'AP':>7}{'AP50':>7}{'train s':>9}{'step s':>8}{'data s':>8}")
    for label, r in runs.items():
        print(
            f"{label:<12}{100 * r['AP']:7.1f}{100 * r['AP50']:7.1f}{r['train_s'] or 0:9.0f}"
            f"{r['median_step_s']:8.3f}{r['median_data_time_s']:8.4f}"
        )
    print(
        f"bf16 - fp32 (seed 1): {100 * diff:+.1f} AP; fp32 seed 1 vs seed 2: {100 * noise:.1f} AP"
    )
    print("fp32_seed1 model evaluated as:", evals)
    print(
        f"data loading: the train mapper takes {loading['map_cpu_s_per_batch']:.3f} CPU-s per batch "
        f"of {loading['batch']}, of which decoding {loading['decode_cpu_s_per_batch']:.3f}"
    )
    return {
        "iters": args.iters,
        "native_bf16": native,
        "native_bf16_reason": reason,
        "runs": runs,
        "bf16_minus_fp32_AP": round(diff, 4),
        "fp32_seed_noise_AP": round(noise, 4),
        "bf16_within_noise": abs(diff) <= noise,
        "evaluation_of_fp32_seed1": evals,
        "data_loading": loading,
        "load_avg_1min_start": round(load_start, 2),
        "load_avg_1min_end": round(os.getloadavg()[0], 2),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--precision-ap", action="store_true", help="section 3 instead of 1 and 2")
    p.add_argument("--iters", type=int, default=500, help="--precision-ap: iterations per run")
    p.add_argument("--data-root", default=None, help="--precision-ap: generated dataset folder")
    p.add_argument(
        "--work-dir", default=None, help="--precision-ap: runs folder (default: new temp)"
    )
    p.add_argument(
        "--skip-training", action="store_true", help="--precision-ap: re-evaluate --work-dir's runs"
    )
    p.add_argument("--main-job-args", default="", help="options for tools/run_main_job.py")
    p.add_argument(
        "--main-job-output",
        default=None,
        help="keep the main job's folder there (default: temporary)",
    )
    p.add_argument("--skip-main-job", action="store_true")
    p.add_argument("--images", type=int, default=3, help="timed images end to end (%(default)s)")
    p.add_argument("--people", type=int, default=3, help="people per image (%(default)s)")
    p.add_argument("--threads", type=int, default=2, help="torch threads end to end (%(default)s)")
    args = p.parse_args()
    if args.precision_ap:
        print(json.dumps(precision_ap(args)))
        return

    figures = {}
    if not args.skip_main_job:
        job, seconds = run_main_job(args.main_job_args, args.main_job_output)
        figures.update(
            main_job_wall_s=round(seconds, 1),
            main_job_cpu_s=job["cpu_s"],
            main_job_peak_rss_mb=job["peak_rss_mb"],
            main_job_iters=job["iters"],
            main_job_within_600s=seconds <= 600,
            main_job_load_avg_1min_at_end=job["load_avg_1min_at_end"],
            # the APs (percent) and LJOF - baseline with its paired bootstrap interval, per split
            **{
                k: v
                for k, v in job.items()
                if k.split("/")[-1].split("_")[0] in ("AP", "dAP") or k.startswith("train_s")
            },
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

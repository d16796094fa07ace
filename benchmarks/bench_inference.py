#!/usr/bin/env python
"""Inference throughput (person instances/s) and peak memory of the published top-down models.

For HRNet-W32, HRNet-W48, SimpleBaseline R-152 and ViTPose-B at 256x192, batch 1 and 16, flip test on
and off, times ``TopDownPoseEstimator.forward`` in eval mode on synthetic uint8 crops: normalisation,
backbone + head (twice with flip), flip-back, decoding with the model's codec (MSRA, or UDP for
ViTPose-B) and the mapping back to image coordinates, i.e. the whole per-instance inference path after
the mapper. Random weights (compute does not depend on them).

Each (model, batch, flip) runs in its own child process so that its peak memory is its own: peak RSS
(``ru_maxrss``) on CPU, ``torch.cuda.max_memory_allocated`` on CUDA. ``--quick`` measures one timed
iteration per setting after one warm-up; otherwise ``--iters`` (default 3); either way a setting keeps
being timed for at least ``--min-seconds`` (default 3), and the figure is the median time per batch.
CPU threads: ``--threads`` (default 1: on a shared machine torch's multi-threaded kernels make timings
swing by 10x; 0 keeps torch's default). Prints a table, then one JSON line of the figures.
"""

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

import ljof  # noqa: F401  (compat shims before detectron2)
from detectron2.utils.logger import setup_logger

from detectron2.config import instantiate

from ljof.model_zoo import get_config
from ljof.modeling import TopDownPoseEstimator

logger = logging.getLogger("ljof.benchmarks.bench_inference")

# the model configs (configs/common/models/), COCO-17, 256x192
MODELS = {
    "hrnet_w32": "common/models/topdown_hrnet.py",
    "hrnet_w48": "common/models/topdown_hrnet_w48.py",
    "simplebaseline_r152": "common/models/topdown_simplebaseline.py",
    "vitpose_b": "common/models/topdown_vitpose.py",
}


def build_model(name: str, device: str) -> TopDownPoseEstimator:
    torch.manual_seed(0)
    model = instantiate(get_config(MODELS[name]).model)
    return model.to(device).eval()


def make_batch(batch: int):
    g = torch.Generator().manual_seed(0)
    return [
        {
            "image": torch.randint(0, 256, (3, 256, 192), generator=g, dtype=torch.uint8),
            "center": torch.tensor([320.0, 240.0]),
            "scale": torch.tensor([192.0, 256.0]),
            "image_id": i,
            "height": 480,
            "width": 640,
            "bbox": [224.0, 112.0, 192.0, 256.0],
            "bbox_score": 1.0,
        }
        for i in range(batch)
    ]


def _sync(device: str):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run_one(
    name: str, batch: int, flip: bool, iters: int, warmup: int, device: str, min_seconds: float
) -> dict:
    """Time one setting in this process: median seconds per batch over at least ``iters`` timed
    iterations and at least ``min_seconds`` of timing (robust to a noisy shared machine)."""
    model = build_model(name, device)
    model.flip_test = flip
    inputs = make_batch(batch)
    rss_model = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(inputs)
        _sync(device)
        total = 0.0
        while len(times) < iters or total < min_seconds:
            start = time.perf_counter()
            model(inputs)
            _sync(device)
            times.append(time.perf_counter() - start)
            total += times[-1]
    median = statistics.median(times)
    out = {
        "model": name,
        "batch": batch,
        "flip": flip,
        "iters": len(times),
        "seconds_per_batch": median,
        "instances_per_s": batch / median,
        "rss_after_build_mib": round(rss_model, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if device.startswith("cuda"):
        out["peak_cuda_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return out


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 16])
    parser.add_argument("--flip", nargs="+", choices=["on", "off"], default=["off", "on"])
    parser.add_argument("--iters", type=int, default=3, help="timed iterations per setting")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument(
        "--min-seconds", type=float, default=3.0, help="keep timing a setting at least this long"
    )
    parser.add_argument("--quick", action="store_true", help="1 timed iteration per setting")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: default)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    iters = 1 if args.quick else args.iters
    if args.child:  # one setting, figures as the last line
        res = run_one(
            args.models[0],
            args.batch_sizes[0],
            args.flip[0] == "on",
            iters,
            args.warmup,
            args.device,
            args.min_seconds,
        )
        print(json.dumps(res))
        return res
    setup_logger(name="ljof")
    setup_logger(name=__name__)
    load_start = os.getloadavg()[0]  # a shared machine: record how busy it was
    settings = [(m, b, f) for m in args.models for b in args.batch_sizes for f in args.flip]
    results = []
    for i, (m, b, f) in enumerate(settings):
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--models", m]
        cmd += ["--batch-sizes", str(b), "--flip", f, "--iters", str(iters)]
        cmd += ["--warmup", str(args.warmup), "--device", args.device]
        cmd += ["--min-seconds", str(args.min_seconds)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(
                f"benchmark child {m} batch {b} flip {f} failed:\n{proc.stderr[-3000:]}"
            )
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(res)
        logger.info(
            f"[{i + 1}/{len(settings)}] {m} batch {b} flip {f}: {res['instances_per_s']:.2f} inst/s, "
            f"peak RSS {res['peak_rss_mib']:.0f} MiB"
        )
    header = f"{'model':<22}{'batch':>6}{'flip':>6}{'inst/s':>10}{'s/batch':>10}{'peak MiB':>10}"
    lines = [header]
    for r in results:
        peak = r.get("peak_cuda_mib", r["peak_rss_mib"])
        lines.append(
            f"{r['model']:<22}{r['batch']:>6}{('on' if r['flip'] else 'off'):>6}"
            f"{r['instances_per_s']:>10.2f}{r['seconds_per_batch']:>10.3f}{peak:>10.0f}"
        )
    print("\n".join(lines))
    figures = {
        "device": args.device,
        "threads": args.threads or torch.get_num_threads(),
        "iters": iters,
        "loadavg_1min_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "cpu_count": os.cpu_count(),
        "results": results,
    }
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])

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

``--onnx`` adds an ONNX Runtime column (needs ``ljof[deploy]``): the same model exported by
``ljof.deploy.export_onnx`` (flip test in the graph when on; one export per model and flip setting, kept
in a temporary folder) and run by ``ljof.deploy.OnnxPoseModel`` with the same number of intra-op threads
and ``--ort-opt-level`` graph optimisation, on the same crops, through the same decoding. In each child
the two backends are timed alternately (one batch each, in turn) so that both see the same machine load;
the figure is the ratio of their medians, and the heatmap max abs difference on the batch is reported.
Peak RSS is then that of the process holding both.
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


def onnx_graph_path(name: str, flip: bool, cache_dir: str) -> str:
    """The ONNX export of ``build_model(name)`` with the flip test in the graph or not (made once)."""
    from ljof.deploy import export_onnx

    path = os.path.join(cache_dir, f"{name}_flip{int(flip)}.onnx")
    if not os.path.exists(path):
        graph = export_onnx(build_model(name, "cpu"), flip_test=flip)
        with open(path + ".tmp", "wb") as f:
            f.write(graph)
        os.replace(path + ".tmp", path)
    return path


def run_pair(
    name: str,
    batch: int,
    flip: bool,
    iters: int,
    warmup: int,
    device: str,
    min_seconds: float,
    *,
    threads: int,
    opt_level: str,
    cache_dir: str,
) -> dict:
    """PyTorch eager and ONNX Runtime on the same crops, timed alternately in this process."""
    from ljof.deploy import OnnxPoseModel

    start = time.perf_counter()
    path = onnx_graph_path(name, flip, cache_dir)
    export_s = time.perf_counter() - start
    model = build_model(name, device)
    model.flip_test = flip
    ort_model = OnnxPoseModel(
        path, intra_op_num_threads=threads, graph_optimization_level=opt_level
    ).eval()
    inputs = make_batch(batch)
    backends = {"torch": model, "ort": ort_model}
    times = {k: [] for k in backends}
    with torch.inference_mode():
        crops = torch.stack([x["image"] for x in inputs])
        ref = model.predict_heatmaps(model.normalize(crops), flip_test=flip)[-1]
        diff = float((torch.from_numpy(ort_model.run(crops.numpy())) - ref).abs().max())
        for _ in range(warmup):
            for m in backends.values():
                m(inputs)
        _sync(device)
        total = 0.0
        while min(len(t) for t in times.values()) < iters or total < 2 * min_seconds:
            for key, m in backends.items():
                t0 = time.perf_counter()
                m(inputs)
                _sync(device)
                times[key].append(time.perf_counter() - t0)
                total += times[key][-1]
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "model": name,
        "batch": batch,
        "flip": flip,
        "iters": len(times["torch"]),
        "seconds_per_batch": med["torch"],
        "instances_per_s": batch / med["torch"],
        "ort_seconds_per_batch": med["ort"],
        "ort_instances_per_s": batch / med["ort"],
        "ort_over_torch": med["torch"] / med["ort"],
        "heatmap_max_abs_diff": diff,
        "export_s": round(export_s, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


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
    parser.add_argument("--onnx", action="store_true", help="add the ONNX Runtime column")
    parser.add_argument(
        "--ort-opt-level",
        default="all",
        choices=["disable", "basic", "extended", "all"],
        help="ONNX Runtime graph optimisation level (%(default)s)",
    )
    parser.add_argument("--onnx-cache", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    iters = 1 if args.quick else args.iters
    if args.child and args.onnx:  # one setting, both backends, figures as the last line
        res = run_pair(
            args.models[0],
            args.batch_sizes[0],
            args.flip[0] == "on",
            iters,
            args.warmup,
            args.device,
            args.min_seconds,
            threads=args.threads,
            opt_level=args.ort_opt_level,
            cache_dir=args.onnx_cache,
        )
        print(json.dumps(res))
        return res
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
    onnx_cache = _onnx_cache(args)
    results = []
    for i, (m, b, f) in enumerate(settings):
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--models", m]
        cmd += ["--batch-sizes", str(b), "--flip", f, "--iters", str(iters)]
        cmd += ["--warmup", str(args.warmup), "--device", args.device]
        cmd += ["--min-seconds", str(args.min_seconds)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        if onnx_cache is not None:
            cmd += ["--onnx", "--ort-opt-level", args.ort_opt_level, "--onnx-cache", onnx_cache.name]
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
            + (f", ORT {res['ort_instances_per_s']:.2f} inst/s" if onnx_cache else "")
        )
        if onnx_cache is not None:  # long runs: each setting's figures survive an interruption
            logger.info(f"setting figures: {json.dumps(res)}")
    if onnx_cache is not None:
        onnx_cache.cleanup()
    header = f"{'model':<22}{'batch':>6}{'flip':>6}{'inst/s':>10}{'s/batch':>10}{'peak MiB':>10}"
    lines = [header + (f"{'ORT inst/s':>12}{'ORT/torch':>11}" if onnx_cache else "")]
    for r in results:
        peak = r.get("peak_cuda_mib", r["peak_rss_mib"])
        lines.append(
            f"{r['model']:<22}{r['batch']:>6}{('on' if r['flip'] else 'off'):>6}"
            f"{r['instances_per_s']:>10.2f}{r['seconds_per_batch']:>10.3f}{peak:>10.0f}"
            + (f"{r['ort_instances_per_s']:>12.2f}{r['ort_over_torch']:>11.2f}" if onnx_cache else "")
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
    if onnx_cache is not None:
        import onnxruntime

        figures["onnx"] = {
            "onnxruntime": onnxruntime.__version__,
            "graph_optimization_level": args.ort_opt_level,
            "intra_op_num_threads": args.threads,
            "timing": "interleaved with torch in one process per setting",
        }
    print(json.dumps(figures))
    return figures


def _onnx_cache(args):
    """A temporary folder for the ONNX exports of this run (None without ``--onnx``)."""
    if not args.onnx:
        return None
    if args.device != "cpu" or not args.threads:
        raise SystemExit("--onnx compares on the CPU with a fixed thread count: --device cpu --threads N")
    import tempfile

    return tempfile.TemporaryDirectory(prefix="ljof_bench_onnx_")


if __name__ == "__main__":
    main(sys.argv[1:])

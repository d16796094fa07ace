#!/usr/bin/env python
"""Training-step time on the CPU, measured in one run: (1) baseline vs LJA only vs LJA + DSL;
(2) ``--precision``: float32 vs bfloat16 autocast vs channels_last.

(1) One step = map ``--batch`` person records (read, augment, [LJA,] warp, encode) in this process +
forward + loss + backward + Adam step. The three variants share one network and the same records, and
their steps are interleaved round by round so that machine load affects all three alike; the median step
of each is reported. The DSL term is also timed alone (its forward + backward on the batch's heatmaps,
minus the plain MSE's), as a fraction of the baseline step. Targets (issue 6): LJA + DSL costs at most
+3% per step over the baseline; the DSL term at most 1% of it.

    python benchmarks/bench_train_step.py [--batch 8] [--rounds 5] [--config configs/ljof_hrnet.py]

(2) One step = forward + loss + backward + Adam step of the training loop the trainer uses
(``SimpleTrainer`` for float32, ``ljof.engine.CPUAutocastTrainer`` for bfloat16, whose losses run in
float32) on a random batch of crops, for the main-job model (configs/main_job/baseline.py, batch 32,
128x96), HRNet-W32 (batch 8, 256x192) and ViTPose-B (batch 8, 256x192). Variants fp32, fp32 +
channels_last, bf16, bf16 + channels_last are interleaved round by round (in reverse order every other
round, so that a changing load favours none); each model runs in its own
process (its peak RSS is that process's); samples/s of the median step and ratios vs fp32. Targets
(issue 13): bf16 + channels_last >= 2.2x fp32 for the main-job model, >= 2.0x for HRNet-W32 -- on a CPU
with native bf16 (AVX512-BF16 / AMX / Arm BF16; the output says what this CPU has).

    python benchmarks/bench_train_step.py --precision [--rounds 3] [--threads 2] \
        [--models main_job hrnet_w32 vitpose_b]

The last line of the output is one JSON object with the figures.
"""

import ljof  # noqa: F401  (first: compat shims)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from detectron2.config import LazyConfig, instantiate  # noqa: E402
from detectron2.engine import SimpleTrainer  # noqa: E402
from detectron2.utils.events import EventStorage  # noqa: E402

from ljof.data.datasets import get_topdown_dataset, register_keypoint_dataset  # noqa: E402
from ljof.engine import CPUAutocastTrainer, channels_last_inputs, native_bf16_support  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "data")


def _parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", default=os.path.join(ROOT, "configs", "ljof_hrnet.py"))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument(
        "--rounds", type=int, default=5, help="timed steps per variant (after 1 warm-up)"
    )
    p.add_argument("--dsl-repeats", type=int, default=20, help="repeats of the loss-only timing")
    p.add_argument("--gt-json", default=os.path.join(FIXTURES, "coco", "test_coco.json"))
    p.add_argument("--image-root", default=os.path.join(FIXTURES, "coco"))
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument(
        "--precision", action="store_true", help="(2): precision / memory-format variants"
    )
    p.add_argument("--models", nargs="+", default=list(PRECISION_MODELS), choices=PRECISION_MODELS)
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    p.add_argument("--only", choices=PRECISION_MODELS, help=argparse.SUPPRESS)  # child process
    return p.parse_args()


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def ljof_overhead(args):
    cfg = LazyConfig.load(args.config)
    name = register_keypoint_dataset("bench_train_step_fixture", args.gt_json, args.image_root)
    records = get_topdown_dataset(name)
    batch_records = [records[i % len(records)] for i in range(args.batch)]

    lja_mapper = instantiate(cfg.dataloader.train.mapper)
    cfg.dataloader.train.mapper.lja = None
    plain_mapper = instantiate(cfg.dataloader.train.mapper)
    if lja_mapper.lja is None:
        sys.exit(f"{args.config} has no LJA in dataloader.train.mapper.lja: use a +LJOF config")

    torch.manual_seed(0)
    model = instantiate(cfg.model).train()
    dsl = model.loss
    if not hasattr(dsl, "lambda_limb"):
        sys.exit(f"{args.config} does not use DynamicStructureLoss")
    dsl.lambda_schedule = None  # a constant λ = 1: the cost after the step, at every iteration
    dsl.lambda_limb = 1.0
    from ljof.modeling import KeypointMSELoss

    mse = KeypointMSELoss(use_target_weight=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-6)
    variants = {
        "baseline": (plain_mapper, mse),
        "lja": (lja_mapper, mse),
        "lja_dsl": (lja_mapper, dsl),
    }

    def step(mapper, loss):
        np.random.seed(0)
        t_map, samples = _timed(lambda: [mapper(r) for r in batch_records])
        model.loss = loss

        def compute():
            with EventStorage():
                losses = model(samples)
            optimizer.zero_grad()
            sum(losses.values()).backward()
            optimizer.step()

        t_model, _ = _timed(compute)
        return t_map, t_model

    times = {k: [] for k in variants}
    for r in range(args.rounds + 1):
        for key, (mapper, loss) in variants.items():
            t_map, t_model = step(mapper, loss)
            if r > 0:  # round 0 warms up allocators and oneDNN kernels
                times[key].append((t_map, t_model))
            print(f"round {r} {key:9s} map {t_map:.3f} s  model {t_model:.3f} s", flush=True)

    # the DSL term alone: loss forward + backward on heatmaps of the batch's shape, minus the MSE's
    with torch.no_grad():
        images = model.preprocess_image([plain_mapper(r) for r in batch_records])
        outputs = [o.detach() for o in model.head(model.backbone(images))]
    targets = [torch.rand_like(o) for o in outputs]
    weights = [torch.ones(o.shape[:2]) for o in outputs]

    def loss_time(loss):
        ts = []
        for _ in range(args.dsl_repeats):
            preds = [o.clone().requires_grad_(True) for o in outputs]
            t, _ = _timed(lambda: sum(loss(preds, targets, weights).values()).backward())
            ts.append(t)
        return statistics.median(ts)

    t_dsl, t_mse = loss_time(dsl), loss_time(mse)

    med = {k: statistics.median(a + b for a, b in v) for k, v in times.items()}
    med_map = {k: statistics.median(a for a, _ in v) for k, v in times.items()}
    med_model = {k: statistics.median(b for _, b in v) for k, v in times.items()}
    ratio = med["lja_dsl"] / med["baseline"]
    dsl_fraction = max(t_dsl - t_mse, 0.0) / med["baseline"]
    print(f"median step (map + model), batch {args.batch}, {torch.get_num_threads()} threads:")
    for k in variants:
        print(f"  {k:9s} {med[k]:.3f} s  (map {med_map[k]:.3f} s, model {med_model[k]:.3f} s)")
    print(f"LJA + DSL / baseline = {ratio:.4f} (target <= 1.03)")
    print(
        f"DSL term: {t_dsl * 1e3:.2f} ms vs MSE {t_mse * 1e3:.2f} ms -> "
        f"extra {dsl_fraction:.2%} of a step (target <= 1%)"
    )
    figures = {
        "config": os.path.relpath(args.config, ROOT),
        "batch": args.batch,
        "rounds": args.rounds,
        "threads": torch.get_num_threads(),
        "step_s": med,
        "map_s": med_map,
        "model_s": med_model,
        "lja_dsl_over_baseline": ratio,
        "lja_over_baseline": med["lja"] / med["baseline"],
        "dsl_loss_ms": t_dsl * 1e3,
        "mse_loss_ms": t_mse * 1e3,
        "dsl_extra_fraction_of_step": dsl_fraction,
        "target_step_ratio_met": ratio <= 1.03,
        "target_dsl_fraction_met": dsl_fraction <= 0.01,
    }
    print(json.dumps(figures))


# ------------------------------------------------------------------------------------------------
# (2) precision and memory format
# model name: (config, batch, crop (h, w), heatmap (h, w))
PRECISION_MODELS = {
    "main_job": ("configs/main_job/baseline.py", 32, (128, 96), (32, 24)),
    "hrnet_w32": ("configs/hrnet_w32_coco_256x192.py", 8, (256, 192), (64, 48)),
    "vitpose_b": ("configs/vitpose_b_coco_256x192.py", 8, (256, 192), (64, 48)),
}
# variant: (autocast dtype or None, channels_last)
VARIANTS = {
    "fp32": (None, False),
    "fp32_cl": (None, True),
    "bf16": (torch.bfloat16, False),
    "bf16_cl": (torch.bfloat16, True),
}


def _random_batch(batch, crop, heatmap, num_keypoints):
    g = torch.Generator().manual_seed(0)
    return [
        {
            "image": torch.randint(0, 256, (3, *crop), generator=g, dtype=torch.uint8),
            "heatmaps": [torch.rand(num_keypoints, *heatmap, generator=g)],
            "target_weights": [torch.ones(num_keypoints)],
        }
        for _ in range(batch)
    ]


def _precision_child(args):
    """Times the variants of one model in this process; returns its figures."""
    config, batch, crop, heatmap = PRECISION_MODELS[args.only]
    cfg = LazyConfig.load(os.path.join(ROOT, config))
    data = _random_batch(batch, crop, heatmap, cfg.model.head.num_keypoints)
    trainers = {}
    for fmt in sorted({cl for key in args.variants for cl in [VARIANTS[key][1]]}):
        torch.manual_seed(0)  # the same weights in both memory formats
        model = instantiate(cfg.model).train()
        if fmt:
            model.to(memory_format=torch.channels_last)
            channels_last_inputs(model.backbone)
        opt = torch.optim.Adam(model.parameters(), lr=1e-6)
        for key in args.variants:
            dtype, cl = VARIANTS[key]
            if cl != fmt:
                continue
            loader = iter(lambda: data, None)
            if dtype is None:
                trainers[key] = SimpleTrainer(model, loader, opt)
            else:
                trainers[key] = CPUAutocastTrainer(model, loader, opt, dtype=dtype)
    params = sum(p.numel() for p in model.parameters())
    times = {k: [] for k in args.variants}
    with EventStorage():
        for r in range(args.rounds + 1):
            # ABBA order: a load that rises or falls during the run favours no variant
            for key in args.variants if r % 2 == 0 else args.variants[::-1]:
                t, _ = _timed(trainers[key].run_step)
                if r > 0:  # round 0 warms up allocators and oneDNN kernels
                    times[key].append(t)
                print(f"[{args.only}] round {r} {key:8s} {t:.3f} s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "model": args.only,
        "config": config,
        "batch": batch,
        "crop_hw": list(crop),
        "params": params,
        "step_s": {k: round(v, 4) for k, v in med.items()},
        "step_s_all": {k: [round(t, 4) for t in v] for k, v in times.items()},
        "samples_per_s": {k: round(batch / v, 3) for k, v in med.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
    }


def precision(args):
    native, reason = native_bf16_support()
    load_start = os.getloadavg()
    print(
        f"CPU: {torch.backends.cpu.get_cpu_capability()}, native bf16: {native} ({reason}); "
        f"{torch.get_num_threads()} threads; load average {load_start[0]:.2f}",
        flush=True,
    )
    results = {}
    for name in args.models:
        cmd = [sys.executable, os.path.abspath(__file__), "--precision", "--only", name]
        cmd += ["--rounds", str(args.rounds), "--threads", str(torch.get_num_threads())]
        cmd += ["--variants", *args.variants]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        lines = []
        for line in proc.stdout:  # the child's rounds as they come
            lines.append(line.rstrip("\n"))
            if line.startswith("["):
                print(lines[-1], flush=True)
        if proc.wait() != 0:
            sys.exit(f"{name} failed (exit {proc.returncode}); its errors are above")
        results[name] = json.loads(lines[-1])
    load_end = os.getloadavg()
    first = args.variants[0]
    print(f"\nsamples/s (median of {args.rounds} steps) and ratio vs {first}:")
    print(f"{'model':<10}" + "".join(f"{k:>18}" for k in args.variants) + f"{'peak RSS':>11}")
    for name, r in results.items():
        sps = r["samples_per_s"]
        r["ratio_vs_" + first] = {k: round(sps[k] / sps[first], 3) for k in args.variants}
        cells = [f"{sps[k]:9.2f} ({sps[k] / sps[first]:4.2f}x)" for k in args.variants]
        print(f"{name:<10}" + "".join(f"{c:>18}" for c in cells) + f"{r['peak_rss_mb']:8.0f} MB")
    targets = {"main_job": 2.2, "hrnet_w32": 2.0}
    met = {
        name: results[name]["ratio_vs_fp32"]["bf16_cl"] >= bar
        for name, bar in targets.items()
        if name in results and first == "fp32" and "bf16_cl" in args.variants
    }
    print(f"targets bf16_cl / fp32 (main_job >= 2.2, hrnet_w32 >= 2.0): {met}")
    print(f"load average: start {load_start[0]:.2f}, end {load_end[0]:.2f}")
    figures = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "native_bf16": native,
        "native_bf16_reason": reason,
        "threads": torch.get_num_threads(),
        "rounds": args.rounds,
        "load_avg_1min_start": round(load_start[0], 2),
        "load_avg_1min_end": round(load_end[0], 2),
        "models": results,
        "targets_met": met,
    }
    print(json.dumps(figures))


def main():
    args = _parse()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.only:
        print(json.dumps(_precision_child(args)))
    elif args.precision:
        precision(args)
    else:
        ljof_overhead(args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Training-step time of HRNet-W32 on CPU: baseline vs LJA only vs LJA + DSL, measured in one run.

One step = map ``--batch`` person records (read, augment, [LJA,] warp, encode) in this process + forward +
loss + backward + Adam step. The three variants share one network and the same records, and their steps
are interleaved round by round so that machine load affects all three alike; the median step of each is
reported. The DSL term is also timed alone (its forward + backward on the batch's heatmaps, minus the
plain MSE's), as a fraction of the baseline step.

Targets (issue 6): LJA + DSL costs at most +3% per step over the baseline; the DSL term at most 1% of it.

    python benchmarks/bench_train_step.py [--batch 8] [--rounds 5] [--config configs/ljof_hrnet.py]

The last line of the output is one JSON object with the figures.
"""

import ljof  # noqa: F401  (first: compat shims)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from detectron2.config import LazyConfig, instantiate  # noqa: E402
from detectron2.utils.events import EventStorage  # noqa: E402

from ljof.data.datasets import get_topdown_dataset, register_keypoint_dataset  # noqa: E402

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
    return p.parse_args()


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main():
    args = _parse()
    if args.threads:
        torch.set_num_threads(args.threads)
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


if __name__ == "__main__":
    main()

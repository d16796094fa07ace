#!/usr/bin/env python
"""The main job (``make demo``): LJOF versus its baseline on generated occlusion data, on the CPU.

1. generates the synthetic person-keypoint dataset if missing (``tools/generate_synthetic_data.py``);
2. trains the baseline (``configs/main_job/baseline.py``) and LJOF = LJA + DSL (``configs/main_job/ljof.py``)
   with the real training script, ``tools/lazyconfig_train_net.py``;
3. evaluates both, and an untrained model of the same architecture, on the occluded split with GT boxes
   (``TopDownKeypointEvaluator``: rescoring, OKS-NMS, OKS AP);
4. writes to ``--output``: ``lja_samples.png``, ``predictions.png`` (baseline vs LJOF on occluded test
   images), ``lambda_schedule.png``, ``loss_curves.png``, ``results.json`` and the training logs;
5. prints the table (AP, AP50, AP75, AR) and ends with one JSON line of the figures.

    python tools/run_main_job.py --output output/main_job            # the default (~6-8 min, 2 cores)
    python tools/run_main_job.py --output /tmp/mj --quick  # the CI version (150 iterations)
"""

import ljof  # noqa: F401  (first: compat shims)

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from detectron2.config import LazyConfig, instantiate  # noqa: E402
from detectron2.data import MetadataCatalog  # noqa: E402
from detectron2.evaluation import inference_on_dataset  # noqa: E402
from detectron2.utils.logger import setup_logger  # noqa: E402
from detectron2.utils.visualizer import Visualizer  # noqa: E402

from ljof.checkpoint import PoseCheckpointer  # noqa: E402
from ljof.data import get_topdown_dataset  # noqa: E402
from ljof.evaluation import TopDownKeypointEvaluator  # noqa: E402
from ljof.modeling import DetectorPoseModel  # noqa: E402
from ljof.predictor import DetectorPosePredictor  # noqa: E402
from ljof.synthetic import (  # noqa: E402
    DEFAULT_SIZES,
    dataset_name,
    generate_dataset,
    is_generated,
    register_synthetic_datasets,
)

logger = logging.getLogger("ljof.main_job")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = ("baseline", "ljof")
METRICS = ("AP", "AP50", "AP75", "AR")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--output", default="output/main_job", help="output folder (%(default)s)")
    p.add_argument(
        "--data-root",
        default=None,
        help="generated dataset folder (default: <output>/data; generated when missing)",
    )
    p.add_argument("--seed", type=int, default=0, help="dataset seed (%(default)s)")
    p.add_argument("--iters", type=int, default=None, help="training iterations per model")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=1, help="torch threads per process (%(default)s)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="CI version: a smaller dataset (train 200, val 10, occluded 60) and 150 iterations",
    )
    p.add_argument("--skip-training", action="store_true", help="reuse the models in --output")
    p.add_argument(
        "--variants",
        nargs="+",
        default=list(VARIANTS),
        choices=VARIANTS,
        help="models to train and compare (%(default)s)",
    )
    return p.parse_args(argv)


# ------------------------------------------------------------------------------------------------
def train(variant: str, args, data_root: str, env) -> float:
    """Run tools/lazyconfig_train_net.py on configs/main_job/<variant>.py; returns seconds."""
    out = os.path.join(args.output, variant)
    os.makedirs(out, exist_ok=True)
    cmd = [
        sys.executable,
        os.path.join(ROOT, "tools", "lazyconfig_train_net.py"),
        "--config-file",
        os.path.join(ROOT, "configs", "main_job", f"{variant}.py"),
        f"train.output_dir={out}",
        f"train.max_iter={args.iters}",
        f"dataloader.train.total_batch_size={args.batch_size}",
    ]
    logger.info(f"training {variant}: {' '.join(cmd)}")
    start = time.perf_counter()
    with open(os.path.join(out, "train_log.txt"), "w") as log:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT
        )
        for line in proc.stdout:
            log.write(line)
            if "eta:" in line or "Error" in line or "Traceback" in line:
                log.flush()
                print(f"[{variant}] {line.rstrip()}", flush=True)
        rc = proc.wait()
    if rc != 0:
        raise RuntimeError(
            f"training {variant} failed (exit {rc}); see {os.path.join(out, 'train_log.txt')}"
        )
    return time.perf_counter() - start


def load_model(variant: str, weights: str):
    cfg = LazyConfig.load(os.path.join(ROOT, "configs", "main_job", f"{variant}.py"))
    model = instantiate(cfg.model)
    PoseCheckpointer(model).load(weights)  # "" keeps the (seeded) random initialisation
    return cfg, model.eval()


def evaluate(cfg, model, output_dir: str):
    """OKS AP of ``model`` on the occluded split (GT boxes); returns the evaluator's dict (percent)."""
    name = dataset_name("occluded")
    cfg.dataloader.test.dataset.names = name
    evaluator = TopDownKeypointEvaluator(name, output_dir=output_dir, distributed=False)
    return inference_on_dataset(model, instantiate(cfg.dataloader.test), evaluator)["keypoints"]


# ------------------------------------------------------------------------------------------------
def draw_lja_samples(output: str, data_root: str) -> str:
    """Training crops with their LJA blocks, drawn by the data pipeline's ``tools/visualize_lja.py``
    on the generated train split; returns the path of the PNG grid (``lja_samples.png``)."""
    folder = os.path.join(output, "lja")
    cmd = [
        sys.executable,
        os.path.join(ROOT, "tools", "visualize_lja.py"),
        "--gt-json",
        os.path.join(data_root, "annotations", "train.json"),
        "--image-root",
        os.path.join(data_root, "images", "train"),
        "--output",
        folder,
        "--num",
        "12",
        "--seed",
        "0",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(
            f"tools/visualize_lja.py failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    images = json.loads(proc.stdout.strip().splitlines()[-1])["images"]
    target = os.path.join(output, "lja_samples.png")
    shutil.copyfile(images[0], target)
    return target


def draw_predictions(path: str, models, count: int = 4):
    """Rows: occluded test images; columns: one per model; detectron2 Visualizer skeletons."""
    name = dataset_name("occluded")
    meta = MetadataCatalog.get(name)
    records = get_topdown_dataset(name)
    image_ids = sorted({r["image_id"] for r in records})[:count]
    files = {r["image_id"]: r["file_name"] for r in records}
    boxes = {}
    for r in records:  # ground-truth boxes instead of a detector
        boxes.setdefault(r["image_id"], []).append(r["bbox"])
    predictors = {
        label: DetectorPosePredictor(
            DetectorPoseModel(detector=None, pose_model=model, input_format="BGR")
        )
        for label, model in models.items()
    }
    rows = []
    for image_id in image_ids:
        image = cv2.imread(files[image_id])
        cols = []
        for label, predictor in predictors.items():
            inst = predictor(image, image_id=image_id, person_boxes=boxes[image_id])
            vis = Visualizer(image[:, :, ::-1], metadata=meta, scale=1.25)
            out = vis.draw_instance_predictions(inst.to("cpu")).get_image()[:, :, ::-1].copy()
            cv2.putText(out, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
            cols.append(out)
        rows.append(np.concatenate(cols, axis=1))
    if rows:
        cv2.imwrite(path, np.concatenate(rows, axis=0))


def _read_metrics(path: str):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    rows.append(json.loads(line))
    return rows


def draw_curves(output: str, max_iter: int):
    """``lambda_schedule.png`` (λ of the LJOF config's hook, with the values the run logged) and
    ``loss_curves.png`` (heatmap and limb losses of both runs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = {v: _read_metrics(os.path.join(output, v, "metrics.json")) for v in VARIANTS}
    runs = {v: rows for v, rows in runs.items() if rows}
    fig, ax = plt.subplots(figsize=(6, 3.5))
    cfg = LazyConfig.load(os.path.join(ROOT, "configs", "main_job", "ljof.py"))
    schedule = instantiate(cfg.train.hooks[0].schedule)
    its = np.arange(max_iter)
    ax.plot(its, [schedule(i / max_iter) for i in its], label="λ(t) of the config's hook")
    pts = [(r["iteration"], r["lambda_limb"]) for r in runs.get("ljof", []) if "lambda_limb" in r]
    if pts:
        ax.plot(*zip(*pts), "o", markersize=3, label="λ logged by the LJOF run")
    ax.set_xlabel("iteration")
    ax.set_ylabel("λ of the limb loss")
    ax.set_title("Dynamic Structure Loss: λ schedule")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(output, "lambda_schedule.png"), dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for variant, rows in runs.items():
        # with a single loss term detectron2 logs only total_loss (= loss_heatmap)
        heat = "loss_heatmap" if any("loss_heatmap" in r for r in rows) else "total_loss"
        for key, label, style in ((heat, "loss_heatmap", "-"), ("loss_limb", "loss_limb", "--")):
            pts = [(r["iteration"], r[key]) for r in rows if key in r and r[key] > 0]
            if pts:
                ax.plot(*zip(*pts), style, label=f"{variant} {label}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (median over the log period)")
    ax.set_title("Training losses (loss_limb is 0 while λ = 0)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(output, "loss_curves.png"), dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    setup_logger(name="ljof", abbrev_name="ljof")
    logging.getLogger("ljof").setLevel(logging.INFO)
    torch.set_num_threads(max(1, args.threads))
    if args.iters is None:
        args.iters = 150 if args.quick else 500
    args.output = os.path.abspath(args.output)
    data_root = os.path.abspath(args.data_root or os.path.join(args.output, "data"))
    os.makedirs(args.output, exist_ok=True)

    gen_seconds = 0.0
    if not is_generated(data_root):
        sizes = dict(train=200, val=10, occluded=60) if args.quick else dict(DEFAULT_SIZES)
        logger.info(f"generating the synthetic dataset in {data_root}: {sizes}")
        t = time.perf_counter()
        generate_dataset(data_root, sizes=sizes, seed=args.seed)
        gen_seconds = time.perf_counter() - t
    register_synthetic_datasets(data_root)
    with open(os.path.join(data_root, "stats.json")) as f:
        data_stats = json.load(f)["splits"]

    env = dict(os.environ, LJOF_SYNTHETIC_ROOT=data_root, OMP_NUM_THREADS=str(args.threads))
    env["MKL_NUM_THREADS"] = str(args.threads)
    env["PYTHONUNBUFFERED"] = "1"  # stream the trainer's progress lines
    train_seconds = {}
    for variant in args.variants:
        if args.skip_training:
            train_seconds[variant] = 0.0
        else:
            train_seconds[variant] = train(variant, args, data_root, env)

    results, models = {}, {}
    torch.manual_seed(0)
    cfg, untrained = load_model("baseline", "")
    results["untrained"] = evaluate(cfg, untrained, os.path.join(args.output, "eval_untrained"))
    for variant in args.variants:
        cfg, model = load_model(variant, os.path.join(args.output, variant, "model_final.pth"))
        results[variant] = evaluate(cfg, model, os.path.join(args.output, f"eval_{variant}"))
        models[variant] = model

    draw_lja_samples(args.output, data_root)
    draw_predictions(os.path.join(args.output, "predictions.png"), models)
    draw_curves(args.output, args.iters)

    occ = data_stats["occluded"]
    print(
        f"\nOccluded split: {occ['people']} people, {occ['covered_limb_joint_fraction']:.1%} of "
        f"labeled limb joints covered; {args.iters} iterations x batch {args.batch_size} per model"
    )
    print(f"{'model':<10}" + "".join(f"{m:>8}" for m in METRICS) + f"{'train s':>9}")
    for label in ["untrained"] + list(args.variants):
        r = results[label]
        secs = train_seconds.get(label, 0.0)
        print(f"{label:<10}" + "".join(f"{r[m]:8.1f}" for m in METRICS) + f"{secs:9.0f}")
    wall = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb, own_mb = children.ru_maxrss / 1024.0, own.ru_maxrss / 1024.0
    # CPU seconds of the job and its processes: with N dedicated cores the wall time is at least
    # cpu_s / N, a figure that does not depend on other load on the machine
    cpu_s = children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime
    figures = {
        "iters": args.iters,
        "batch_size": args.batch_size,
        "train_people": data_stats["train"]["people"],
        "occluded_people": occ["people"],
        "occluded_covered_limb_joint_fraction": round(occ["covered_limb_joint_fraction"], 4),
        "generate_s": round(gen_seconds, 1),
        **{f"train_{v}_s": round(s, 1) for v, s in train_seconds.items()},
        **{f"{label}_{m}": round(float(r[m]), 2) for label, r in results.items() for m in METRICS},
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(max(peak_mb, own_mb), 1),
        "cpu_s": round(cpu_s, 1),
        "load_avg_1min_at_end": round(os.getloadavg()[0], 2),
    }
    with open(os.path.join(args.output, "results.json"), "w") as f:
        json.dump(figures, f, indent=1)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

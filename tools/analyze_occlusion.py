#!/usr/bin/env python
"""Measure and draw how pose models fail under occlusion (``ljof.evaluation.OcclusionEvaluator``).

For each model (a config + checkpoint, or a predictions file):

1. OKS AP / AR over the visible joints (GT v == 2) and over the occluded joints (v == 1);
2. per joint type and visibility, the mean OKS keypoint similarity of the person's prediction and the
   fraction with similarity >= 0.5 (table and ``per_joint.png``);
3. AP by the fraction of a person's labeled joints that are occluded and by OCHuman's MaxIoU;
4. (models only) AP, AP_visible and AP_occluded versus synthetic test-time occlusion: LJA blocks on the
   GT-box test crops at each ``--alphas`` (beta ``--beta``, random fill, seeded by ``--seed``, the same
   blocks for every model); covered joints count as occluded (``robustness.png``).

Examples::

    python tools/analyze_occlusion.py --config-file configs/main_job/baseline.py \\
        --checkpoints output/main_job/baseline/model_final.pth output/main_job/ljof/model_final.pth \\
        --labels baseline ljof --dataset ljof_synth_occluded --output output/occlusion
    python tools/analyze_occlusion.py --dataset ljof_ochuman_test \\
        --predictions output/inference/ljof_ochuman_test/keypoint_predictions.json --output out/occ
    python tools/analyze_occlusion.py --config-file configs/vitpose_b_coco_256x192.py \\
        --checkpoints model.pth --dataset ljof_crowdpose_test --output out/occ train.device=cuda

Writes ``occlusion_metrics.json`` (every figure, every curve point), ``per_joint.png``,
``robustness.png`` and per model ``<label>/occlusion_table.txt``; prints a table per model and ends with
one JSON line. Figures are in percent.
"""

import ljof  # noqa: F401  (first: compat shims before detectron2, dataset registration)

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import torch  # noqa: E402
from detectron2.config import LazyConfig, instantiate  # noqa: E402
from detectron2.data import MetadataCatalog  # noqa: E402
from detectron2.evaluation import inference_on_dataset  # noqa: E402
from detectron2.utils.logger import setup_logger  # noqa: E402

import ljof.synthetic  # noqa: E402, F401  (registers ljof_synth_*)
from ljof.checkpoint import PoseCheckpointer  # noqa: E402
from ljof.data import get_topdown_dataset  # noqa: E402
from ljof.data.datasets import add_register_argument, register_from_specs  # noqa: E402
from ljof.engine import build_topdown_test_loader  # noqa: E402
from ljof.evaluation import OcclusionEvaluator, predictions_to_arrays  # noqa: E402
from ljof.evaluation.occlusion.metrics import occlusion_metrics  # noqa: E402
from ljof.reports.occlusion_plots import plot_per_joint, plot_robustness  # noqa: E402
from ljof.reports.occlusion_report import format_curve, format_report  # noqa: E402
from ljof.analysis.robustness_curve import robustness_curve  # noqa: E402
from ljof.data.block_occlusion import DEFAULT_ALPHAS, DEFAULT_BETA  # noqa: E402

logger = logging.getLogger("ljof.tools.analyze_occlusion")


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument(
        "--config-file",
        nargs="+",
        default=[],
        help="LazyConfig(s): one for all, or one per checkpoint",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoints", nargs="+", help="model weights (.pth), one per model")
    src.add_argument(
        "--predictions", nargs="+", help="prediction json files (keypoint_predictions.json format)"
    )
    p.add_argument("--labels", nargs="+", help="model names in the tables and figures")
    p.add_argument(
        "--dataset",
        help="registered dataset (default: the config's dataloader.evaluator.dataset_name)",
    )
    add_register_argument(p)
    p.add_argument("--output", required=True, help="output folder")
    p.add_argument(
        "--alphas",
        nargs="+",
        type=float,
        default=list(DEFAULT_ALPHAS),
        help="robustness-curve alphas",
    )
    p.add_argument("--beta", type=float, default=DEFAULT_BETA, help="LJA block size (%(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic blocks (%(default)s)")
    p.add_argument("--no-robustness", action="store_true", help="skip the robustness curve")
    p.add_argument("--no-rescore", action="store_true", help="score = box score (no rescoring)")
    p.add_argument("--keypoint-score-thr", type=float, default=0.2, help="rescoring threshold")
    p.add_argument("--oks-nms-thr", type=float, default=0.9, help="OKS-NMS threshold; <= 0: none")
    p.add_argument(
        "--batch-size", type=int, default=None, help="test batch (default: the config's)"
    )
    p.add_argument("--workers", type=int, default=0, help="data-loader workers (%(default)s)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides, key=value")
    return p.parse_args(argv)


def _labels(args, paths):
    if args.labels:
        if len(args.labels) != len(paths):
            raise SystemExit(f"--labels has {len(args.labels)} names for {len(paths)} models")
        return list(args.labels)
    stems = [os.path.splitext(os.path.basename(x))[0] for x in paths]
    if len(set(stems)) == len(stems):
        return stems
    return [
        os.path.basename(os.path.dirname(os.path.abspath(x))) or s for x, s in zip(paths, stems)
    ]


def _protocol(args):
    return dict(
        rescore=not args.no_rescore,
        keypoint_score_thr=args.keypoint_score_thr,
        oks_nms_thr=args.oks_nms_thr if args.oks_nms_thr > 0 else None,
    )


def _load(config_file, checkpoint, opts):
    cfg = LazyConfig.apply_overrides(LazyConfig.load(config_file), opts)
    model = instantiate(cfg.model)
    PoseCheckpointer(model).load(checkpoint)
    device = str(cfg.train.get("device", "cpu")) if "train" in cfg else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        logger.warning(
            f"{config_file}: train.device={device} but CUDA is unavailable; using the CPU"
        )
        device = "cpu"
    return cfg, model.to(device).eval()


def _run(model, records, mapper, evaluator, args, cfg):
    batch = args.batch_size or int(cfg.dataloader.test.get("batch_size", 32))
    loader = build_topdown_test_loader(
        records, mapper=mapper, batch_size=batch, num_workers=args.workers
    )
    inference_on_dataset(model, loader, evaluator)
    return evaluator.report


def analyze_model(args, config_file, checkpoint, dataset, out_dir):
    """Report and robustness curve of one model."""
    cfg, model = _load(config_file, checkpoint, args.opts)
    mapper = instantiate(cfg.dataloader.test.mapper)
    evaluator = OcclusionEvaluator(
        dataset, output_dir=out_dir, distributed=False, **_protocol(args)
    )
    report = _run(model, get_topdown_dataset(dataset), mapper, evaluator, args, cfg)
    curve = []
    if not args.no_robustness:
        curve, _ = robustness_curve(
            model,
            get_topdown_dataset(dataset, use_detections=False),
            mapper=mapper,
            dataset_name=dataset,
            metadata=MetadataCatalog.get(dataset),
            alphas=args.alphas,
            beta=args.beta,
            seed=args.seed,
            batch_size=args.batch_size or int(cfg.dataloader.test.get("batch_size", 32)),
            num_workers=args.workers,
            protocol=_protocol(args),
        )
    return report, curve


def analyze_file(args, path, dataset, out_dir):
    """Report of one predictions file (no robustness curve: that needs a model)."""
    meta = MetadataCatalog.get(dataset)
    with open(path) as f:
        rows = json.load(f)
    if not isinstance(rows, list):
        raise SystemExit(f"{path}: expected a json list of predictions")
    arrays = predictions_to_arrays(rows, len(meta.keypoint_names), source=path)
    preds = [
        {
            "image_id": int(arrays.image_ids[i]),
            "keypoints": arrays.keypoints[i],
            "bbox_score": float(arrays.bbox_scores[i]),
            "area": float(arrays.areas[i]),
            "annotation_id": rows[i].get("annotation_id"),
        }
        for i in range(len(arrays))
    ]
    with open(meta.json_file) as f:
        gt = json.load(f)
    report = occlusion_metrics(
        preds,
        gt,
        keypoint_set=meta.keypoint_set,
        sigmas=meta.keypoint_oks_sigmas,
        keypoint_names=meta.keypoint_names,
        source=path,
        **_protocol(args),
    )
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "occlusion_table.txt"), "w") as f:
        f.write(format_report(report, title=f"Occlusion analysis of {path}") + "\n")
    return report, []


def main(argv=None) -> dict:
    args = parse_args(argv)
    setup_logger(name="ljof", abbrev_name="ljof")
    logging.getLogger("ljof").setLevel(logging.WARNING)
    if args.threads:
        torch.set_num_threads(args.threads)
    register_from_specs(args.register)
    paths = args.checkpoints or args.predictions
    for path in paths:
        if not os.path.exists(path):
            hint = (
                " (config overrides go at the end, after a one-value option)" if "=" in path else ""
            )
            raise SystemExit(f"{path}: no such file{hint}")
    labels = _labels(args, paths)
    if len(set(labels)) != len(labels):
        raise SystemExit(f"model labels {labels} are not distinct; give --labels")
    configs = args.config_file
    if args.checkpoints and len(configs) not in (1, len(paths)):
        raise SystemExit(f"give one --config-file, or one per checkpoint ({len(paths)})")
    dataset = args.dataset
    if dataset is None:
        if not configs:
            raise SystemExit("--dataset is needed with --predictions")
        dataset = LazyConfig.load(configs[0]).dataloader.evaluator.dataset_name
    meta = MetadataCatalog.get(dataset)
    if meta.get("keypoint_set") is None:
        raise SystemExit(f"dataset '{dataset}' is not registered (use --register)")
    os.makedirs(args.output, exist_ok=True)

    models = {}
    for i, (label, path) in enumerate(zip(labels, paths)):
        out_dir = os.path.join(args.output, label)
        if args.checkpoints:
            config = configs[i if len(configs) > 1 else 0]
            report, curve = analyze_model(args, config, path, dataset, out_dir)
        else:
            report, curve = analyze_file(args, path, dataset, out_dir)
        models[label] = {"source": path, "report": report, "robustness": curve}
        print(format_report(report, title=f"{label} on '{dataset}'"))
        if curve:
            print("\n" + format_curve(curve, label))
        print(flush=True)

    figures = {}
    if all(m["report"].get("per_joint") for m in models.values()):
        figures["per_joint"] = plot_per_joint(
            {k: m["report"]["per_joint"] for k, m in models.items()},
            os.path.join(args.output, "per_joint.png"),
        )
    if all(m["robustness"] for m in models.values()):
        figures["robustness"] = plot_robustness(
            {k: m["robustness"] for k, m in models.items()},
            os.path.join(args.output, "robustness.png"),
        )
    settings = {
        "dataset": dataset,
        "keypoint_set": meta.keypoint_set,
        "alphas": args.alphas,
        "beta": args.beta,
        "seed": args.seed,
        **_protocol(args),
    }
    with open(os.path.join(args.output, "occlusion_metrics.json"), "w") as f:
        json.dump({"settings": settings, "figures": figures, "models": models}, f, indent=1)

    summary = {"dataset": dataset, "output": args.output}
    for label, m in models.items():
        r = m["report"]
        summary[label] = {
            "AP": r["overall"]["AP"],
            "AP_visible": r["visible"].get("AP"),
            "AP_occluded": r["occluded"].get("AP"),
            **{f"AP_alpha{p['alpha']:g}": p["AP"] for p in m["robustness"]},
        }
    print(json.dumps(summary))
    sys.stdout.flush()
    return summary


if __name__ == "__main__":
    main()

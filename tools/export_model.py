#!/usr/bin/env python
"""Export a top-down pose model to ONNX, checked against PyTorch before anything is written.

Examples::

    python tools/export_model.py --config-file configs/hrnet_w32_coco_256x192.py \
        --checkpoint output/hrnet_w32_coco_256x192/model_final.pth --output export/hrnet_w32 --flip-test
    python tools/export_model.py --config-file configs/vitpose_b_coco_256x192.py \
        --checkpoint model.pth --output export/vitpose_b model.backbone.drop_path_rate=0.0

The graph (``ljof.deploy.PoseHeatmapNet``) takes the test mapper's uint8 crops ``(B, 3, H, W)`` in the
model's ``input_format`` (B dynamic) and returns the last head output ``(B, K, h, w)``; the channel swap,
the normalisation and, with ``--flip-test``, the flip-test average are in the graph. The weights load
through ``ljof.checkpoint.PoseCheckpointer`` (``torch.load(weights_only=True)``; published MMPose / ViTPose
checkpoints are converted). Then ONNX Runtime and PyTorch run on the person crops of a fixture dataset
(default: ``tests/data``'s COCO or CrowdPose fixture, by the model's keypoint count), cut by the test-mode
``TopDownDatasetMapper``; ``OUTPUT/model.onnx`` is written only if the heatmaps differ by less than
``--tolerance`` (max abs) and the decoded keypoints are identical. Otherwise nothing is written and the
exit status is 1. The last output line is one JSON object of the parity figures.
"""

import argparse
import json
import logging
import os
import sys
import time

import ljof  # noqa: F401  (compat shims before detectron2)
import torch
from detectron2.config import LazyConfig, instantiate
from detectron2.utils.logger import setup_logger

from ljof.checkpoint import PoseCheckpointer
from ljof.data import register_keypoint_dataset
from ljof.deploy import OnnxPoseModel, compare_backends, export_onnx, fixture_crops
from ljof.deploy.export import DEFAULT_OPSET
from ljof.deploy.parity import HEATMAP_TOLERANCE

logger = logging.getLogger("ljof.tools.export_model")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# keypoint count -> (annotation json, image folder, keypoint set) of the default parity fixture
_FIXTURES = {
    17: ("tests/data/coco/test_coco.json", "tests/data/coco", "coco"),
    14: ("tests/data/crowdpose/test_crowdpose.json", "tests/data/crowdpose", "crowdpose"),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--config-file", required=True, metavar="FILE", help="pose LazyConfig")
    parser.add_argument(
        "--checkpoint", required=True, metavar="W", help="weights (path or URL) for PoseCheckpointer"
    )
    parser.add_argument("--output", required=True, metavar="DIR", help="folder for model.onnx")
    parser.add_argument("--format", default="onnx", choices=["onnx"])
    parser.add_argument("--flip-test", action="store_true", help="put the flip test in the graph")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    parser.add_argument(
        "--tolerance",
        type=float,
        default=HEATMAP_TOLERANCE,
        help="max abs heatmap difference accepted (%(default)s)",
    )
    parser.add_argument("--parity-json", help="COCO-format keypoint json of the parity crops")
    parser.add_argument("--parity-image-root", help="its image folder")
    parser.add_argument("--parity-keypoint-set", choices=["coco", "crowdpose"])
    parser.add_argument("--max-crops", type=int, default=16, help="parity crops (%(default)s)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides key=value")
    return parser.parse_args(argv)


def _parity_dataset(args, num_keypoints: int) -> str:
    if args.parity_json:
        if not (args.parity_image_root and args.parity_keypoint_set):
            raise SystemExit("--parity-json needs --parity-image-root and --parity-keypoint-set")
        files = (args.parity_json, args.parity_image_root, args.parity_keypoint_set)
    elif num_keypoints in _FIXTURES:
        rel_json, rel_root, kset = _FIXTURES[num_keypoints]
        files = (os.path.join(ROOT, rel_json), os.path.join(ROOT, rel_root), kset)
    else:
        raise SystemExit(
            f"no default parity fixture for {num_keypoints} keypoints: give --parity-json, "
            "--parity-image-root and --parity-keypoint-set"
        )
    return register_keypoint_dataset(f"__ljof_export_parity_{os.getpid()}", *files)


def main(argv=None) -> int:
    args = parse_args(argv)
    setup_logger(name="ljof")
    cfg = LazyConfig.apply_overrides(LazyConfig.load(args.config_file), list(args.opts))
    model = instantiate(cfg.model)
    if not (hasattr(model, "predict_heatmaps") and hasattr(model, "normalize")):
        raise SystemExit(
            f"{args.config_file}: model is a {type(model).__name__}, expected a top-down pose model "
            "(ljof.modeling.TopDownPoseEstimator)"
        )
    model.eval()
    PoseCheckpointer(model).load(args.checkpoint)
    start = time.perf_counter()
    graph = export_onnx(model, flip_test=args.flip_test, opset=args.opset)
    export_s = time.perf_counter() - start
    onnx_model = OnnxPoseModel(graph)
    crops = fixture_crops(
        _parity_dataset(args, len(model.keypoint_flip_indices)), model.codec, args.max_crops
    )
    report = compare_backends(model, onnx_model, crops, tolerance=args.tolerance)
    path = os.path.join(args.output, "model.onnx")
    figures = {
        "config": args.config_file,
        "checkpoint": args.checkpoint,
        "format": args.format,
        "opset": args.opset,
        "exporter": "torch.onnx.export(dynamo=False)",
        "torch": torch.__version__,
        "export_s": round(export_s, 2),
        "onnx_mib": round(len(graph) / 2**20, 2),
        **report,
        "output": path if report["passed"] else None,
    }
    if report["passed"]:
        os.makedirs(args.output, exist_ok=True)
        tmp = path + f".tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(graph)
        os.replace(tmp, path)
        logger.info(f"wrote {path} ({figures['onnx_mib']} MiB); parity: {report}")
    else:
        logger.error(
            f"ONNX export of {args.config_file} FAILED the parity check, nothing written: heatmap max "
            f"abs diff {report['heatmap_max_abs_diff']:.3g} (batch of 1: "
            f"{report['batch1_max_abs_diff']:.3g}; tolerance {args.tolerance:g}), decoded keypoints "
            f"identical: {report['keypoints_identical']} (max diff "
            f"{report['keypoint_max_abs_diff_px']:.3g} px)"
        )
    print(json.dumps(figures))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

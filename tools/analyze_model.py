#!/usr/bin/env python
"""Parameters and FLOPs of a top-down pose model, from a LazyConfig.

Examples::

    python tools/analyze_model.py --config-file configs/hrnet_w32_coco_256x192.py --tasks parameter flop
    python tools/analyze_model.py --config-file configs/vitpose_b_coco_256x192.py --tasks flop \
        model.backbone.drop_path_rate=0.0 --json
    python tools/analyze_model.py --config-file common/models/topdown_hrnet_w48.py --tasks parameter flop

``--config-file`` is a file, or a path relative to ``configs/`` (``ljof.model_zoo``). Tasks: ``parameter``
(fvcore's ``parameter_count``, plus a per-module table with ``--verbose``) and ``flop`` (two figures on one
crop of the model codec's input size: fvcore's count, one multiply-add = one flop, in 1e9; and the HRNet
repository's convention, conv ``weight.numel() * H_out * W_out`` summed, deconvolutions at their output
size, / 2^30, which gives 7.12 for HRNet-W32 and 14.61 for W48 at 256x192). With ``--json`` the last line
of the output is one JSON object ``{"parameters", "fvcore_gflops", "hrnet_gflops"}`` (null for tasks not
run).
"""

import argparse
import json
import logging
import os
import sys

import ljof  # noqa: F401  (compat shims before detectron2)
import torch
from detectron2.config import LazyConfig, instantiate
from detectron2.utils.logger import setup_logger

from fvcore.nn import parameter_count, parameter_count_table

from ljof.model_zoo import get_config_file
from ljof.modeling import PoseNetwork, fvcore_gflops, hrnet_convention_gflops

logger = logging.getLogger("ljof.tools.analyze_model")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config-file",
        metavar="FILE",
        required=True,
        help="LazyConfig with a `model` entry: a file, or a path under configs/",
    )
    parser.add_argument(
        "--tasks", nargs="+", choices=["parameter", "flop"], default=["parameter", "flop"]
    )
    parser.add_argument(
        "--input-size",
        type=int,
        nargs=2,
        metavar=("H", "W"),
        help="crop size (default: the codec's input size, else 256 192)",
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    parser.add_argument("--verbose", action="store_true", help="per-module parameter table")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides key=value")
    return parser.parse_args(argv)


def build(args):
    """(PoseNetwork, (H, W)) of the config's model."""
    path = args.config_file
    cfg = LazyConfig.load(path if os.path.isfile(path) else get_config_file(path))
    cfg = LazyConfig.apply_overrides(cfg, args.opts)
    model = instantiate(cfg.model)
    backbone, head = model.backbone, model.head
    codec = getattr(model, "codec", None)
    size = (codec.input_size[1], codec.input_size[0]) if codec is not None else (256, 192)
    if args.input_size:
        size = tuple(args.input_size)
    return PoseNetwork(backbone, head).eval(), size


def main(argv=None) -> dict:
    args = parse_args(argv)
    setup_logger(name="ljof")
    setup_logger(name=__name__)
    with torch.no_grad():
        return _analyze(args)


def _analyze(args) -> dict:
    net, size = build(args)
    figures = {"parameters": None, "fvcore_gflops": None, "hrnet_gflops": None}
    if "parameter" in args.tasks:
        figures["parameters"] = parameter_count(net)[""]
        logger.info(f"Parameters: {figures['parameters']:,}")
        if args.verbose:
            logger.info("\n" + parameter_count_table(net, max_depth=3))
    if "flop" in args.tasks:
        figures["fvcore_gflops"] = round(fvcore_gflops(net, size), 4)
        figures["hrnet_gflops"] = round(hrnet_convention_gflops(net, size), 4)
        logger.info(
            f"Input 1x3x{size[0]}x{size[1]}: fvcore {figures['fvcore_gflops']:.3f} GFLOPs (1e9 "
            f"multiply-adds); HRNet-repo convention {figures['hrnet_gflops']:.2f} (conv MACs / 2^30)"
        )
    if args.json:
        print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])

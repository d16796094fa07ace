#!/usr/bin/env python
"""Convert a published pose / ImageNet checkpoint into LJOF's ``TopDownPoseEstimator`` names.

Examples::

    python tools/convert_checkpoint.py --format hrnet-official pose_hrnet_w32_256x192.pth w32.pth
    python tools/convert_checkpoint.py --format mmpose td-hm_hrnet-w32_8xb64-210e_coco-256x192.pth out.pth \
        --config-file configs/hrnet_w32_coco_256x192.py
    python tools/convert_checkpoint.py --format mae-vit mae_pretrain_vit_base.pth vit_b_init.pth

Formats: hrnet-official, simplebaseline-official, mmpose, vitpose-official, imagenet-hrnet,
torchvision-resnet, mae-vit, or auto. The input is read with ``torch.load(weights_only=True)``. The
output is a detectron2 checkpoint (``{"model": state_dict}``) that ``DetectionCheckpointer`` /
``ljof.checkpoint.PoseCheckpointer`` load directly. With ``--config-file`` (a file, or a path under
``configs/``) the result is also checked against the config's model: a shape mismatch fails (naming the
key and both shapes) unless ``--skip-mismatch`` (the tensor is then left out of the output), and the
written file is loaded into the model with ``PoseCheckpointer``, whose missing and unexpected keys are
reported. The last line of the output is one JSON
object ``{"format", "tensors", "dropped", "missing", "unexpected", "skipped_shape"}``.
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

from ljof.checkpoint import (
    FORMATS,
    PoseCheckpointer,
    check_shapes,
    convert_state_dict,
    detect_format,
    load_checkpoint_file,
    unwrap_checkpoint,
)
from ljof.model_zoo import get_config_file

logger = logging.getLogger("ljof.tools.convert_checkpoint")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--format", default="auto", choices=sorted(FORMATS) + ["auto"])
    parser.add_argument("input", help="checkpoint file to convert")
    parser.add_argument("output", help="where to write the converted checkpoint (.pth)")
    parser.add_argument(
        "--vit-grid",
        type=int,
        nargs=2,
        default=None,
        metavar=("H", "W"),
        help="token grid of the target ViT for mae-vit (default 16 12, i.e. 256x192 / 16)",
    )
    parser.add_argument("--config-file", help="check the result against this config's model")
    parser.add_argument(
        "--skip-mismatch", action="store_true", help="drop shape-mismatched tensors"
    )
    parser.add_argument("opts", nargs="*", help="config overrides key=value (with --config-file)")
    # intermixed: options may follow the positional INPUT OUTPUT
    return parser.parse_intermixed_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    setup_logger(name="ljof")
    setup_logger(name=__name__)
    state_dict = unwrap_checkpoint(load_checkpoint_file(args.input))
    fmt = detect_format(state_dict) if args.format == "auto" else args.format
    converted, dropped = convert_state_dict(state_dict, fmt, vit_grid=args.vit_grid)
    figures = {
        "format": fmt,
        "tensors": len(converted),
        "dropped": len(dropped),
        "missing": None,
        "unexpected": None,
        "skipped_shape": None,
    }
    if dropped:
        logger.info(f"Dropped {len(dropped)} keys with no counterpart, e.g. {dropped[:5]}")
    model = None
    if args.config_file:
        path = args.config_file
        cfg = LazyConfig.load(path if os.path.isfile(path) else get_config_file(path))
        model = instantiate(LazyConfig.apply_overrides(cfg, args.opts).model)
        skipped = check_shapes(
            converted, model.state_dict(), skip_mismatch=args.skip_mismatch, source=args.input
        )
        figures["skipped_shape"] = len(skipped)
    torch.save({"model": converted, "__author__": f"ljof-convert:{fmt}"}, args.output)
    logger.info(f"Wrote {len(converted)} tensors to {args.output}")
    if model is not None:  # the output as training and inference will load it
        keys = PoseCheckpointer(model).load(args.output)["incompatible_keys"]
        figures.update(missing=len(keys.missing_keys), unexpected=len(keys.unexpected_keys))
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python
"""Draw the ground-truth skeletons of a registered keypoint dataset onto its images (PNG files).

Uses detectron2's ``Visualizer`` on the image-level dataset dicts (keypoints in detectron2's +0.5
convention, as ``DatasetCatalog`` returns them), with the skeleton and colours of the dataset's
``keypoint_connection_rules`` metadata. Example::

    python tools/visualize_dataset.py --dataset ljof_crowdpose_val --output vis/ --num-images 20
    python tools/visualize_dataset.py --register demo=ann.json:images:coco --dataset demo --output vis/

Ends with one JSON line: ``{"dataset": ..., "images": N, "instances": M, "output": DIR}``.
"""

import argparse
import json
import logging
import os

import ljof  # noqa: F401  (compat shims, dataset registration)
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.detection_utils import read_image
from detectron2.utils.logger import setup_logger
from detectron2.utils.visualizer import Visualizer
from tqdm import tqdm

from ljof.data.datasets import check_dataset_files, add_register_argument, register_from_specs

logger = logging.getLogger("ljof.tools.visualize_dataset")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True, help="registered dataset name")
    add_register_argument(parser)
    parser.add_argument("--output", required=True, help="folder for the PNG files")
    parser.add_argument(
        "--num-images", type=int, default=0, help="at most this many images (0: all)"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="output scale of each image")
    parser.add_argument(
        "--no-boxes", action="store_true", help="draw only the skeletons, not the person boxes"
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    setup_logger(name="ljof")
    register_from_specs(args.register)
    if args.dataset not in DatasetCatalog.list():
        raise SystemExit(f"dataset '{args.dataset}' is not registered (use --register)")
    check_dataset_files(args.dataset)
    metadata = MetadataCatalog.get(args.dataset)
    dicts = DatasetCatalog.get(args.dataset)
    if args.num_images > 0:
        dicts = dicts[: args.num_images]
    os.makedirs(args.output, exist_ok=True)
    instances = 0
    for d in tqdm(dicts, desc=f"drawing {args.dataset}"):
        image = read_image(d["file_name"], format="RGB")
        annos = [a for a in d.get("annotations", []) if "keypoints" in a]
        if args.no_boxes:
            annos = [{k: v for k, v in a.items() if k != "bbox"} for a in annos]
        instances += len(annos)
        vis = Visualizer(image, metadata=metadata, scale=args.scale)
        out = vis.draw_dataset_dict({**d, "annotations": annos})
        name = os.path.splitext(os.path.basename(d["file_name"]))[0] + ".png"
        out.save(os.path.join(args.output, name))
    summary = {
        "dataset": args.dataset,
        "images": len(dicts),
        "instances": instances,
        "output": args.output,
    }
    logger.info(f"Wrote {len(dicts)} images with {instances} skeletons to {args.output}")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()

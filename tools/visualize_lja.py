#!/usr/bin/env python
"""Draw training crops after augmentation and Limb Joint Augmentation (the LJOF paper's Fig. 2).

Writes a PNG grid of ``--num`` training samples, as the network sees them: the training mapper's random
geometry, the LJA blocks (outlined in red), and the target keypoints with the dataset's skeleton overlaid
(unchanged by LJA: the occluded joints keep their targets), drawn with detectron2's ``Visualizer``
(:mod:`ljof.data.lja_drawing`). With ``--whole-images`` it also draws LJA on
the original images, every annotated person of an image at once (blocks sized from the person box).
Examples::

    python tools/visualize_lja.py --gt-json tests/data/coco/test_coco.json \\
        --image-root tests/data/coco --output vis/lja --num 12 --seed 0
    python tools/visualize_lja.py --dataset ljof_crowdpose_train --output vis/lja --whole-images
    python tools/visualize_lja.py --register demo=ann.json:images:coco --dataset demo --output vis/

Ends with one JSON line: ``{"images": [PNG paths], "blocks": total blocks drawn, "samples": N}``.
"""

import argparse
import json
import logging
import os

import numpy as np

import ljof  # noqa: F401  (compat shims, dataset registration)
from detectron2.data import MetadataCatalog
from detectron2.data.detection_utils import read_image
from detectron2.utils.logger import setup_logger
from PIL import Image
from tqdm import tqdm

from ljof.data import LimbJointAugmentation, TopDownDatasetMapper
from ljof.data.lja_drawing import crop_grid, draw_lja
from ljof.data.datasets import (
    get_topdown_dataset,
    add_register_argument,
    register_from_specs,
    register_keypoint_dataset,
)

logger = logging.getLogger("ljof.tools.visualize_lja")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = parser.add_argument_group("data (either --gt-json and --image-root, or --dataset)")
    src.add_argument("--gt-json", help="COCO-format keypoint annotation file")
    src.add_argument("--image-root", help="folder of the images of --gt-json")
    src.add_argument("--dataset", help="a registered dataset name")
    add_register_argument(src)
    parser.add_argument("--keypoint-set", default="coco", choices=["coco", "crowdpose"])
    parser.add_argument("--output", required=True, help="folder for the PNG files")
    parser.add_argument("--num", type=int, default=12, help="number of training crops to draw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cols", type=int, default=6, help="crops per row of the grid")
    parser.add_argument(
        "--no-geometry", action="store_true", help="no random flip/half-body/scale/rotation"
    )
    parser.add_argument("--alpha", type=float, default=0.15)
    parser.add_argument("--beta", type=float, default=0.20)
    parser.add_argument("--visibility", default="visible", choices=["visible", "labeled"])
    parser.add_argument("--size-reference", default="box", choices=["box", "crop"])
    parser.add_argument(
        "--fill",
        type=int,
        default=None,
        help="one fixed fill value for every block (the paper's Fig. 2 uses 169); default random",
    )
    parser.add_argument(
        "--whole-images", action="store_true", help="also draw LJA on the whole original images"
    )
    return parser.parse_args(argv)


def _dataset_name(args) -> str:
    register_from_specs(args.register)
    if args.dataset:
        return args.dataset
    if not (args.gt_json and args.image_root):
        raise SystemExit("give --gt-json and --image-root, or --dataset")
    name = f"visualize_lja_{os.getpid()}"
    register_keypoint_dataset(name, args.gt_json, args.image_root, keypoint_set=args.keypoint_set)
    return name


def whole_images(records, lja, meta, output):
    """LJA on every original image (all persons), keypoints overlaid; returns (paths, total blocks)."""
    by_image = {}
    for r in records:
        by_image.setdefault(r["file_name"], []).append(r)
    paths, total = [], 0
    for file_name, people in tqdm(sorted(by_image.items()), desc="images"):
        image = np.ascontiguousarray(read_image(file_name, format="RGB"))
        all_blocks = []
        for r in people:
            _, blocks = lja.apply(image, r["keypoints"], r["bbox"])
            all_blocks += blocks
        drawn = draw_lja(image, [r["keypoints"] for r in people], all_blocks, meta)
        total += len(all_blocks)
        path = os.path.join(
            output, "lja_" + os.path.splitext(os.path.basename(file_name))[0] + ".png"
        )
        Image.fromarray(drawn).save(path)
        paths.append(path)
    return paths, total


def main(argv=None):
    args = parse_args(argv)
    setup_logger(name="ljof")
    name = _dataset_name(args)
    meta = MetadataCatalog.get(name)
    records = get_topdown_dataset(name, use_detections=False)
    if not records:
        raise SystemExit(f"dataset {name!r} has no person instances with labeled keypoints")
    fill_range = (args.fill, args.fill) if args.fill is not None else (0, 255)
    lja = LimbJointAugmentation.from_metadata(
        meta,
        alpha=args.alpha,
        beta=args.beta,
        visibility=args.visibility,
        size_reference=args.size_reference,
        fill_range=fill_range,
    )
    mapper = TopDownDatasetMapper(
        True, metadata=meta, lja=lja, augmentations=[] if args.no_geometry else None
    )
    os.makedirs(args.output, exist_ok=True)
    grid, total = crop_grid(records, mapper, meta, args.num, args.cols, args.seed)
    grid_path = os.path.join(args.output, "lja_crops.png")
    Image.fromarray(grid).save(grid_path)
    images = [grid_path]
    if args.whole_images:
        np.random.seed(args.seed)
        paths, whole_total = whole_images(records, lja, meta, args.output)
        images += paths
        total += whole_total
    logger.info(f"wrote {len(images)} PNG files to {args.output} ({total} LJA blocks)")
    print(json.dumps({"images": images, "blocks": int(total), "samples": int(args.num)}))


if __name__ == "__main__":
    main()

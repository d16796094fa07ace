#!/usr/bin/env python
"""Samples per second of the top-down training mapper against the floor, on real images.

One process, one thread (OpenCV and torch limited to one thread). For every person record of the GT json
(default: the COCO fixture), times:

* ``floor``: read the image (``cv2.imread``, full decode) + one ``cv2.warpAffine`` to 256x192 + MSRA
  encode: the least work any top-down pipeline does per sample;
* ``mapper``: :class:`ljof.data.TopDownDatasetMapper` in training mode with the standard random policy
  (flip, half-body, shift/scale/rotation), MSRA targets, no LJA;
* ``mapper_lja``: the same with :class:`ljof.data.LimbJointAugmentation`;
* ``lja_stage``: the LJA step alone, timed on the ``mapper`` crops (its cost relative to the mapper is a
  finer estimate than the difference of the two totals, which the machine's noise blurs).

Each variant runs with and without reduced-size JPEG decoding (``reduced_decoding``), reported separately.
Variants are interleaved record by record (the same random policy in every mapper variant), so that a
noisy shared machine affects them alike; each time per sample is given as the median over passes and as the
mean of each record's fastest pass ("best"). Targets: ``mapper`` time per sample <= 1.25x the floor's;
LJA adds <= 5%. Ends with one JSON line of the figures.
"""

import argparse
import json
import logging
import os
import time

import cv2
import numpy as np
import torch

import ljof  # noqa: F401
from detectron2.data import MetadataCatalog
from detectron2.utils.logger import setup_logger

from ljof.data import CropAugInput, LimbJointAugmentation, MSRAHeatmap, TopDownDatasetMapper
from ljof.data.datasets import get_topdown_dataset, register_keypoint_dataset
from ljof.data.transforms import bbox_xywh_to_center_scale, fix_aspect_ratio, get_warp_matrix

logger = logging.getLogger("ljof.benchmarks.bench_mapper")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_FIXTURES = os.path.join(ROOT, "tests", "data")


def make_floor(codec: MSRAHeatmap):
    """The floor: full decode + one warp + MSRA encode (test-mode geometry)."""
    input_size = codec.input_size

    def floor(record):
        image = cv2.imread(record["file_name"], cv2.IMREAD_COLOR)
        center, scale = bbox_xywh_to_center_scale(record["bbox"], padding=1.25)
        scale = fix_aspect_ratio(scale, input_size[0] / input_size[1])
        m = get_warp_matrix(center, scale, 0.0, input_size)
        crop = cv2.warpAffine(image, m, input_size, flags=cv2.INTER_LINEAR)
        kpts = record["keypoints"]
        xy = kpts[:, :2] @ m[:, :2].T + m[:, 2]
        heatmaps, weights = codec.encode(xy, kpts[:, 2])
        return crop, heatmaps, weights

    return floor


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--gt-json", default=os.path.join(DEFAULT_FIXTURES, "coco", "test_coco.json")
    )
    parser.add_argument("--image-root", default=os.path.join(DEFAULT_FIXTURES, "coco"))
    parser.add_argument("--keypoint-set", default="coco", choices=["coco", "crowdpose"])
    parser.add_argument(
        "--passes", type=int, default=50, help="passes over all records per variant"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    setup_logger(name="ljof")
    setup_logger(name="ljof.benchmarks")

    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    name = f"bench_mapper_{os.getpid()}"
    register_keypoint_dataset(name, args.gt_json, args.image_root, keypoint_set=args.keypoint_set)
    records = get_topdown_dataset(name)
    meta = MetadataCatalog.get(name)
    codec = MSRAHeatmap()
    lja = LimbJointAugmentation.from_metadata(meta)
    variants = {"floor": make_floor(codec)}
    for reduced in (False, True):
        suffix = "_reduced" if reduced else ""
        variants["mapper" + suffix] = TopDownDatasetMapper(
            True, metadata=meta, codecs=[codec], reduced_decoding=reduced
        )
        variants["mapper_lja" + suffix] = TopDownDatasetMapper(
            True, metadata=meta, codecs=[codec], lja=lja, reduced_decoding=reduced
        )
    logger.info(
        f"{len(records)} person records from {args.gt_json}; {args.passes} passes per variant"
    )

    np.random.seed(args.seed)
    for fn in variants.values():  # warm-up: file cache, lazy imports
        for r in records:
            fn(r)
    times = {k: np.zeros((args.passes, len(records))) for k in variants}
    keys = list(variants)
    for p in range(args.passes):
        for i, r in enumerate(records):
            # Every variant maps this record back to back (in a rotating order), with the same seed:
            # the same random policy, and the same state of the shared machine as far as possible.
            shift = (p * len(records) + i) % len(keys)
            for key in keys[shift:] + keys[:shift]:
                np.random.seed(args.seed + p * len(records) + i)
                t0 = time.perf_counter()
                variants[key](r)
                times[key][p, i] = time.perf_counter() - t0
        if (p + 1) % 10 == 0:
            logger.info(f"pass {p + 1}/{args.passes}")

    # The LJA stage alone, on the mapper's own crops (what the LJA variant adds): a finer estimate of its
    # cost than the difference of two noisy totals.
    plain = variants["mapper"]
    stage = np.zeros((args.passes, len(records)))
    for p in range(args.passes):
        for i, r in enumerate(records):
            np.random.seed(args.seed + p * len(records) + i)
            sample = plain(r)
            crop = np.ascontiguousarray(sample["image"].numpy().transpose(1, 2, 0))
            box = np.asarray(r["bbox"][2:4], np.float32) * np.linalg.norm(
                sample["warp_matrix"].numpy()[:, :2], axis=0
            )
            inp = CropAugInput(crop, keypoints=sample["keypoints"].numpy(), box_size=box)
            t0 = time.perf_counter()
            lja(inp)
            stage[p, i] = time.perf_counter() - t0
    times["lja_stage"] = stage

    # Two estimates of the time per sample: the median over passes of the pass mean, and the mean over
    # records of each record's fastest pass (other processes only ever add time, so the minimum is the
    # least disturbed figure). The ratios use the median; both are printed.
    median = {k: float(np.median(v.mean(axis=1))) for k, v in times.items()}
    best = {k: float(v.min(axis=0).mean()) for k, v in times.items()}
    figures = {"samples": len(records), "passes": args.passes}
    figures["lja_stage_ms_per_sample"] = round(1000 * median["lja_stage"], 3)
    figures["lja_stage_best_ms_per_sample"] = round(1000 * best["lja_stage"], 3)
    figures["lja_stage_over_mapper"] = round(1 + median["lja_stage"] / median["mapper"], 3)
    figures["lja_stage_over_mapper_best"] = round(1 + best["lja_stage"] / best["mapper"], 3)
    for key in variants:
        figures[f"{key}_samples_per_s"] = round(1.0 / median[key], 1)
        figures[f"{key}_ms_per_sample"] = round(1000 * median[key], 3)
        figures[f"{key}_best_ms_per_sample"] = round(1000 * best[key], 3)
    for suffix in ("", "_reduced"):
        m, lja_key = "mapper" + suffix, "mapper_lja" + suffix
        figures[f"mapper{suffix}_over_floor"] = round(median[m] / median["floor"], 3)
        figures[f"lja{suffix}_over_mapper"] = round(median[lja_key] / median[m], 3)
        figures[f"mapper{suffix}_over_floor_best"] = round(best[m] / best["floor"], 3)
        figures[f"lja{suffix}_over_mapper_best"] = round(best[lja_key] / best[m], 3)
    for key in variants:
        logger.info(
            f"{key:20s} median {1000 * median[key]:7.3f} ms/sample ({1.0 / median[key]:6.1f}/s), "
            f"best {1000 * best[key]:7.3f} ms/sample"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Cost of rescoring + OKS-NMS relative to the OKS evaluation itself, at COCO-val scale.

Builds a synthetic COCO-format GT (``--num-images`` images, 0-4 people each) and about
``--instances-per-image`` person predictions per image around it (near-duplicates of each person, as
overlapping detector boxes give, plus false positives), then in one run times:

* ``protocol_s``: parsing the prediction dicts, rescoring and OKS-NMS (``apply_protocol``);
* ``eval_s``: the OKS evaluation (pycocotools) of the results that survive NMS;
* ``eval_raw_s``: the OKS evaluation of all predictions (no rescoring, no NMS), for reference.

Target: ``protocol_s / eval_s <= 0.20``. Ends with one JSON line of the figures.
"""

import argparse
import json
import logging
import os
import tempfile
import time

import numpy as np

import ljof  # noqa: F401
from detectron2.utils.logger import setup_logger

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.evaluation import apply_protocol, compute_oks_ap, predictions_to_arrays

logger = logging.getLogger("ljof.benchmarks.bench_evaluation")


def make_ground_truth(rng: np.random.Generator, num_images: int, num_keypoints: int):
    """Synthetic COCO keypoint GT: (json dict, list of (image_id, (K, 3) keypoints, area))."""
    images, annotations, people = [], [], []
    ann_id = 1
    for image_id in range(1, num_images + 1):
        images.append(
            {"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": 640, "height": 480}
        )
        for _ in range(rng.integers(0, 5)):
            w, h = rng.uniform(30, 250), rng.uniform(60, 400)
            x0, y0 = rng.uniform(0, 640 - w), rng.uniform(0, 480 - min(h, 479))
            kpts = np.stack(
                [
                    x0 + rng.uniform(0, w, num_keypoints),
                    y0 + rng.uniform(0, h, num_keypoints),
                    rng.choice([0, 1, 2], num_keypoints, p=[0.2, 0.2, 0.6]),
                ],
                axis=1,
            ).round(1)
            kpts[kpts[:, 2] == 0, :2] = 0
            visible = int((kpts[:, 2] > 0).sum())
            annotations.append(
                {
                    "id": ann_id,
                    "image_id": image_id,
                    "category_id": 1,
                    "iscrowd": 0,
                    "bbox": [x0, y0, w, h],
                    "area": w * h * 0.7,
                    "num_keypoints": visible,
                    "keypoints": kpts.reshape(-1).tolist(),
                }
            )
            people.append((image_id, kpts, w * h))
            ann_id += 1
    categories = [{"id": 1, "name": "person", "supercategory": "person"}]
    gt = {"images": images, "annotations": annotations, "categories": categories}
    return gt, people


def make_predictions(rng, people, num_images: int, per_image: int, num_keypoints: int):
    """About ``per_image`` predictions per image: 2-6 jittered copies per person, the rest random."""
    preds = []
    by_image = {}
    for image_id, kpts, area in people:
        by_image.setdefault(image_id, []).append((kpts, area))
    for image_id in range(1, num_images + 1):
        persons = by_image.get(image_id, [])
        count = 0
        for kpts, area in persons:
            # unlabelled joints: one guess per person, shared by its duplicates
            xy = np.where(kpts[:, 2:] > 0, kpts[:, :2], rng.uniform(0, 480, (num_keypoints, 2)))
            for _ in range(rng.integers(2, 7)):
                jitter = rng.normal(0, 0.01 * np.sqrt(area), (num_keypoints, 2))
                preds.append(_pred(rng, image_id, xy + jitter, area * 1.5, rng.uniform(0.5, 1.0)))
                count += 1
        for _ in range(max(per_image - count, 0)):
            w, h = rng.uniform(20, 200), rng.uniform(40, 300)
            xy = np.stack(
                [
                    rng.uniform(0, w, num_keypoints) + rng.uniform(0, 440),
                    rng.uniform(0, h, num_keypoints),
                ],
                axis=1,
            )
            preds.append(_pred(rng, image_id, xy, w * h * 1.5, rng.uniform(0.0, 0.6)))
    return preds


def _pred(rng, image_id, xy, area, bbox_score):
    scores = rng.uniform(0, 1, (len(xy), 1))
    return {
        "image_id": image_id,
        "category_id": 1,
        "keypoints": np.concatenate([xy, scores], axis=1).reshape(-1).tolist(),
        "score": float(bbox_score),
        "area": float(area),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-images", type=int, default=5000)
    parser.add_argument("--instances-per-image", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    setup_logger(name="ljof")
    logging.getLogger("ljof.evaluation").setLevel(logging.WARNING)

    rng = np.random.default_rng(args.seed)
    meta = get_keypoint_set_metadata("coco")
    sigmas, k = meta["keypoint_oks_sigmas"], len(meta["keypoint_names"])
    gt, people = make_ground_truth(rng, args.num_images, k)
    preds = make_predictions(rng, people, args.num_images, args.instances_per_image, k)
    logger.info(
        f"{args.num_images} images, {len(gt['annotations'])} GT people, {len(preds)} predictions"
    )
    with tempfile.TemporaryDirectory() as tmp:
        gt_json = os.path.join(tmp, "gt.json")
        with open(gt_json, "w") as f:
            json.dump(gt, f)

        t0 = time.perf_counter()
        arrays = predictions_to_arrays(preds, k)
        t1 = time.perf_counter()
        results = apply_protocol(arrays, sigmas, rescore=True, oks_nms_thr=0.9)
        t2 = time.perf_counter()
        metrics = compute_oks_ap(gt_json, results, "coco", sigmas)
        t3 = time.perf_counter()
        logger.info(f"rescore+NMS kept {len(results)} of {len(preds)}; AP {metrics['AP']:.4f}")

        raw = apply_protocol(arrays, sigmas, rescore=False, oks_nms_thr=None)
        t4 = time.perf_counter()
        raw_metrics = compute_oks_ap(gt_json, raw, "coco", sigmas)
        t5 = time.perf_counter()

    figures = {
        "num_images": args.num_images,
        "num_gt": len(gt["annotations"]),
        "num_predictions": len(preds),
        "num_after_nms": len(results),
        "parse_s": round(t1 - t0, 4),
        "rescore_nms_s": round(t2 - t1, 4),
        "protocol_s": round(t2 - t0, 4),
        "eval_s": round(t3 - t2, 4),
        "eval_raw_s": round(t5 - t4, 4),
        "protocol_over_eval": round((t2 - t0) / (t3 - t2), 4),
        "target_protocol_over_eval": 0.2,
        "AP": round(metrics["AP"], 4),
        "AP_raw": round(raw_metrics["AP"], 4),
    }
    logger.info(
        f"protocol (parse+rescore+NMS) {figures['protocol_s']:.3f}s vs evaluation {figures['eval_s']:.3f}s: "
        f"ratio {figures['protocol_over_eval']:.3f} (target <= 0.2)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

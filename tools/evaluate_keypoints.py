#!/usr/bin/env python
"""Score a COCO-format keypoint results json with the top-down protocol (rescoring, OKS-NMS, OKS AP).

Examples::

    python tools/evaluate_keypoints.py --gt-json person_keypoints_val2017.json \
        --predictions output/inference/keypoint_predictions.json
    python tools/evaluate_keypoints.py --dataset ljof_crowdpose_test_det --predictions preds.json
    python tools/evaluate_keypoints.py --register my_val=val.json:images:crowdpose --dataset my_val \
        --predictions preds.json --no-rescore --oks-nms-thr 0

Each prediction: ``image_id``, ``keypoints`` ``[x, y, score] * K`` (pixel-index px), ``score`` (the box
score; ``bbox_score`` wins when present), optionally ``area`` or ``bbox`` [x, y, w, h] as the OKS-NMS
scale (with neither, the keypoints' extent). Prints a table, detectron2's ``copypaste:`` CSV lines
(``print_csv_format``), then as its last line one JSON object of the metrics: percent, full precision,
NaN where a range has no ground truth (as detectron2's ``COCOEvaluator``).
"""

import argparse
import json
import logging
import sys

import ljof  # noqa: F401  (compat shims, dataset registration)
from detectron2.data import MetadataCatalog
from detectron2.evaluation import print_csv_format
from detectron2.utils.logger import create_small_table, setup_logger

from ljof.data.datasets import add_register_argument, register_from_specs
from ljof.evaluation import evaluate_keypoint_predictions
from ljof.evaluation.json_files import read_json_list

logger = logging.getLogger("ljof.tools.evaluate_keypoints")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--gt-json", help="COCO-format ground-truth keypoint json")
    source.add_argument("--dataset", help="a registered dataset name (e.g. ljof_coco_2017_val)")
    add_register_argument(parser)
    parser.add_argument(
        "--keypoint-set",
        choices=["coco", "crowdpose"],
        help="protocol: coco (COCO, OCHuman; pycocotools statistics) or crowdpose "
        "(crowdposetools statistics, easy/medium/hard); "
        "default: the dataset's, else coco",
    )
    parser.add_argument("--predictions", required=True, help="results json (list of predictions)")
    parser.add_argument(
        "--no-rescore", action="store_true", help="score = box score (no keypoint rescoring)"
    )
    parser.add_argument("--keypoint-score-thr", type=float, default=0.2, help="rescoring threshold")
    parser.add_argument(
        "--oks-nms-thr", type=float, default=0.9, help="OKS-NMS threshold; 0 or negative: no NMS"
    )
    parser.add_argument(
        "--output", help="folder for keypoint_results.json and keypoint_metrics.json"
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    setup_logger(name="ljof")
    setup_logger(name="detectron2", abbrev_name="d2")  # print_csv_format logs through it
    register_from_specs(args.register)
    if args.dataset:
        meta = MetadataCatalog.get(args.dataset)
        if meta.get("json_file") is None:
            raise SystemExit(f"dataset '{args.dataset}' is not registered (use --register)")
        gt_json = meta.json_file
        keypoint_set = args.keypoint_set or meta.get("keypoint_set", "coco")
    else:
        gt_json, keypoint_set = args.gt_json, args.keypoint_set or "coco"
    try:
        predictions = read_json_list(args.predictions, "predictions")
    except (OSError, ValueError) as e:
        raise SystemExit(str(e)) from e
    metrics = evaluate_keypoint_predictions(
        predictions,
        gt_json,
        keypoint_set=keypoint_set,
        rescore=not args.no_rescore,
        keypoint_score_thr=args.keypoint_score_thr,
        oks_nms_thr=args.oks_nms_thr if args.oks_nms_thr > 0 else None,
        output_dir=args.output,
        source=args.predictions,
    )
    print(
        f"OKS metrics (percent, {keypoint_set} protocol) of {args.predictions} against {gt_json}:"
    )
    print(create_small_table(metrics))
    sys.stdout.flush()
    print_csv_format({"keypoints": metrics})
    print(json.dumps(metrics))
    sys.stdout.flush()
    return metrics


if __name__ == "__main__":
    main()

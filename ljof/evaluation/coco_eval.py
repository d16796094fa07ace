"""OKS AP of COCO-format keypoint results against a GT json, with the library each protocol uses.

* ``keypoint_set="coco"`` (COCO, OCHuman): pycocotools ``COCOeval(iouType="keypoints")`` with the GT
  ``area`` as OKS scale (``use_area``), maxDets 20. Metrics ``AP AP50 AP75 APm APl AR AR50 AR75 ARm ARl``.
* ``keypoint_set="crowdpose"``: xtcocotools ``COCOeval(iouType="keypoints_crowd", use_area=False)`` (OKS
  scale = GT box area x 0.53, easy/medium/hard from the ``crowdIndex`` of the GT json's images, thresholds
  0.2 / 0.8, rounded to 4 decimals by xtcocotools). Metrics ``AP AP50 AP75 AR AR50 AR75 APE APM APH``.

Values are fractions in [0, 1] (``-1`` where a split has no ground truth), as the libraries report them.
"""

import contextlib
import copy
import io
import json
import logging
from typing import Dict, List, Sequence

import numpy as np

__all__ = ["COCO_METRIC_NAMES", "CROWDPOSE_METRIC_NAMES", "compute_oks_ap", "check_gt_json"]

logger = logging.getLogger(__name__)

COCO_METRIC_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")
CROWDPOSE_METRIC_NAMES = ("AP", "AP50", "AP75", "AR", "AR50", "AR75", "APE", "APM", "APH")


def check_gt_json(gt_json: str, keypoint_set: str) -> Dict:
    """Load a GT json and check what the protocol needs; returns the parsed json.

    Raises ``ValueError`` naming the file when CrowdPose images lack ``crowdIndex`` (xtcocotools would
    otherwise fail or, in other tools, silently report easy/medium/hard as -1) or when COCO-protocol
    annotations lack ``area``.
    """
    with open(gt_json) as f:
        data = json.load(f)
    for key in ("images", "annotations", "categories"):
        if key not in data:
            raise ValueError(
                f"ground-truth json {gt_json}: no '{key}' list (not a COCO-format file)"
            )
    if keypoint_set == "crowdpose":
        missing = [img.get("id") for img in data["images"] if "crowdIndex" not in img]
        if missing:
            raise ValueError(
                f"ground-truth json {gt_json}: {len(missing)} of {len(data['images'])} images have no "
                f"'crowdIndex' (e.g. image id {missing[0]}); the CrowdPose protocol needs it for the "
                "easy/medium/hard split. Use the CrowdPose annotation files that carry it "
                "(mmpose_crowdpose_*.json / crowdpose_*.json)."
            )
    elif keypoint_set == "coco":
        missing = [a.get("id") for a in data["annotations"] if "area" not in a]
        if missing:
            raise ValueError(
                f"ground-truth json {gt_json}: annotation {missing[0]} (and {len(missing) - 1} more) has "
                "no 'area', which the COCO protocol uses as OKS scale; for CrowdPose-style files use "
                "keypoint_set='crowdpose'"
            )
    else:
        raise ValueError(f"unknown keypoint_set {keypoint_set!r}; expected 'coco' or 'crowdpose'")
    return data


def _empty_results(coco_cls, gt):
    """A results object with no detection (``loadRes`` fails on an empty list)."""
    dt = coco_cls()
    dt.dataset = {
        "images": list(gt.dataset["images"]),
        "categories": copy.deepcopy(gt.dataset["categories"]),
        "annotations": [],
    }
    dt.createIndex()
    return dt


def compute_oks_ap(
    gt_json: str, results: List[Dict], keypoint_set: str, sigmas: Sequence[float]
) -> Dict[str, float]:
    """Run the OKS evaluation of ``results`` (COCO results format) against the GT file ``gt_json``.

    Args:
        gt_json: path of the GT json (loaded from the path: xtcocotools re-reads it for crowdIndex).
        results: list of ``{"image_id", "category_id", "keypoints": [x, y, s] * K, "score"}``
            (pixel-index px); not modified.
        keypoint_set: ``"coco"`` or ``"crowdpose"``.
        sigmas: K OKS sigmas.

    Returns:
        ordered dict of the protocol's metric names (module docstring) to floats.
    """
    check_gt_json(gt_json, keypoint_set)
    results = copy.deepcopy(results)  # loadRes writes area/bbox/id into them
    log = io.StringIO()
    with contextlib.redirect_stdout(log):  # both libraries print progress and tables
        if keypoint_set == "crowdpose":
            from xtcocotools.coco import COCO
            from xtcocotools.cocoeval import COCOeval

            gt = COCO(gt_json)
            if results:
                dt = gt.loadRes(results)
            else:
                dt = _empty_results(COCO, gt)
                gt.anno_file.append(None)  # get_type_result unpacks (gt_file, results_file)
            evaluator = COCOeval(gt, dt, "keypoints_crowd", np.asarray(sigmas), use_area=False)
            names = CROWDPOSE_METRIC_NAMES
        else:
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval

            gt = COCO(gt_json)
            dt = gt.loadRes(results) if results else _empty_results(COCO, gt)
            evaluator = COCOeval(gt, dt, "keypoints")
            evaluator.params.kpt_oks_sigmas = np.asarray(sigmas, dtype=np.float64)
            names = COCO_METRIC_NAMES
        evaluator.params.useSegm = None
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    logger.debug("OKS evaluation output:\n" + log.getvalue())
    stats = [float(v) for v in evaluator.stats]
    if len(stats) != len(names):
        raise RuntimeError(f"expected {len(names)} statistics from COCOeval, got {len(stats)}")
    return dict(zip(names, stats))

"""``OcclusionEvaluator``: the occlusion analysis (:mod:`.metrics`) as a detectron2
``DatasetEvaluator``; combine it with ``TopDownKeypointEvaluator`` through ``DatasetEvaluators``. The
metadata, the protocol's options, the keypoint check and the gathering are
:mod:`ljof.evaluation.evaluator_setup`'s, shared with ``TopDownKeypointEvaluator``."""

import copy
import json
import logging
import os
from collections import OrderedDict
from typing import Dict, List, Optional

import numpy as np
import torch
from detectron2.evaluation import DatasetEvaluator

from .metrics import VISIBILITY_FLAGS, occlusion_metrics
from ...reports.occlusion_plots import plot_per_joint
from ...reports.occlusion_report import format_report
from ..evaluator_setup import KeypointEvaluatorSetup, gather_on_main

__all__ = ["OcclusionEvaluator", "flatten_report"]

logger = logging.getLogger(__name__)


def _as_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def flatten_report(report: Dict) -> "OrderedDict[str, float]":
    """The scalar figures of a report (percent; NaN where undefined), for detectron2's result dicts:
    ``AP``, ``AR``..., ``AP_visible``, ``AR_visible``, ``AP_occluded``, ``AR_occluded``,
    ``AP_occfrac[0,0.1)``..., ``AP_maxiou[0,0.25)``..."""
    nan = float("nan")
    out = OrderedDict((k, nan if v is None else float(v)) for k, v in report["overall"].items())
    for vis in VISIBILITY_FLAGS:
        for m in ("AP", "AR"):
            v = report[vis].get(m)
            out[f"{m}_{vis}"] = nan if v is None else float(v)
    for key, prefix in (("occluded_fraction_buckets", "occfrac"), ("max_iou_buckets", "maxiou")):
        for row in report.get(key, []):
            out[f"AP_{prefix}{row['bucket']}"] = nan if row["AP"] is None else float(row["AP"])
    return out


class OcclusionEvaluator(DatasetEvaluator):
    """AP by joint visibility, per-joint localisation by visibility and AP by occlusion level.

    Accepts the per-instance outputs of LJOF's ``TopDownPoseEstimator`` (``keypoints`` (K, 3) [x, y,
    score] pixel-index px, ``bbox_score``, ``bbox_area``). From the inputs it takes ``image_id``,
    ``annotation_id`` (GT-box records: the person's own prediction is used for the per-joint table) and
    ``occluded_joints`` (set by :class:`~ljof.data.block_occlusion.BlockOcclusionMapper`).

    The metadata checks, the protocol's options and the gathering across processes are
    :class:`~ljof.evaluation.evaluator_setup.KeypointEvaluatorSetup`'s and
    :func:`~ljof.evaluation.evaluator_setup.gather_on_main`, as for
    :class:`~ljof.evaluation.TopDownKeypointEvaluator`; ``evaluate()`` returns ``{"occlusion": flat
    figures}`` (:func:`flatten_report`, percent); the full
    report is kept in ``self.report``. With ``output_dir`` it writes ``occlusion_metrics.json``,
    ``occlusion_table.txt`` and ``per_joint.png`` there.
    """

    def __init__(
        self,
        dataset_name: str,
        *,
        output_dir: Optional[str] = None,
        distributed: bool = True,
        rescore: bool = True,
        keypoint_score_thr: float = 0.2,
        oks_nms_thr: Optional[float] = 0.9,
        gt_json: Optional[str] = None,
        buckets: bool = True,
        per_joint: bool = True,
    ):
        """
        Args:
            dataset_name: a dataset registered with keypoint metadata (``json_file``, ``keypoint_set``,
                ``keypoint_oks_sigmas``, ``keypoint_names``).
            output_dir: where the report files go (None: not written).
            distributed: gather predictions from all processes to the main one.
            rescore, keypoint_score_thr, oks_nms_thr: the protocol, as ``TopDownKeypointEvaluator``.
            gt_json: overrides the dataset's ``json_file``.
            buckets, per_joint: compute the AP by occlusion level / the per-joint table.
        """
        self._setup = KeypointEvaluatorSetup(
            dataset_name,
            rescore=rescore,
            keypoint_score_thr=keypoint_score_thr,
            oks_nms_thr=oks_nms_thr,
            gt_json=gt_json,
            need_keypoint_names=True,
        )
        self._output_dir = output_dir
        self._distributed = distributed
        self._buckets = buckets
        self._per_joint = per_joint
        self.report: Optional[Dict] = None
        self.reset()

    def reset(self):
        self._predictions: List[Dict] = []

    @property
    def predictions(self) -> List[Dict]:
        """This process's per-instance predictions so far (``image_id``, ``keypoints`` (K, 3) [x, y,
        score] px, ``bbox_score``, ``area``, ``annotation_id``, ``occluded_joints``)."""
        return self._predictions

    def process(self, inputs, outputs):
        """
        Args:
            inputs: the test samples (``image_id``; optional ``annotation_id``, ``occluded_joints``).
            outputs: per input a dict with ``keypoints`` (K, 3) [x, y, score] pixel-index px,
                ``bbox_score`` and ``bbox_area`` (px^2, the OKS-NMS scale).
        """
        for inp, out in zip(inputs, outputs):
            if "keypoints" not in out:
                raise ValueError(
                    f"OcclusionEvaluator: output for image {inp.get('image_id')} has no per-instance "
                    f"'keypoints' (keys: {sorted(out)}); it expects a top-down model's outputs"
                )
            record = {
                "image_id": int(out.get("image_id", inp["image_id"])),
                "keypoints": self._setup.instance_keypoints(
                    out["keypoints"], inp.get("image_id"), type(self).__name__
                ),
                "bbox_score": float(out["bbox_score"]),
                "area": float(out["bbox_area"]),
                "annotation_id": inp.get("annotation_id"),
            }
            if inp.get("occluded_joints") is not None:
                record["occluded_joints"] = _as_numpy(inp["occluded_joints"]).astype(bool)
            self._predictions.append(record)

    def evaluate(self):
        predictions = gather_on_main(self._predictions, self._distributed)
        if predictions is None:
            return {}
        setup = self._setup
        with open(setup.gt_json) as f:
            gt = json.load(f)
        self.report = occlusion_metrics(
            predictions,
            gt,
            keypoint_set=setup.keypoint_set,
            sigmas=setup.sigmas,
            keypoint_names=setup.keypoint_names,
            buckets=self._buckets,
            per_joint=self._per_joint,
            source=setup.source,
            **setup.protocol(),
        )
        table = format_report(self.report, title=f"Occlusion analysis on '{setup.dataset_name}'")
        logger.info("\n" + table)
        if self._output_dir:
            os.makedirs(self._output_dir, exist_ok=True)
            with open(os.path.join(self._output_dir, "occlusion_metrics.json"), "w") as f:
                json.dump(self.report, f, indent=1)
            with open(os.path.join(self._output_dir, "occlusion_table.txt"), "w") as f:
                f.write(table + "\n")
            if self.report.get("per_joint"):
                plot_per_joint(
                    {setup.dataset_name: self.report["per_joint"]},
                    os.path.join(self._output_dir, "per_joint.png"),
                )
        return OrderedDict({"occlusion": copy.deepcopy(flatten_report(self.report))})

"""``OcclusionEvaluator``: the occlusion analysis (:mod:`.metrics`) as a detectron2
``DatasetEvaluator``; combine it with ``TopDownKeypointEvaluator`` through ``DatasetEvaluators``."""

import copy
import json
import logging
import os
from collections import OrderedDict
from typing import Dict, Optional

import numpy as np
import torch
from detectron2.data import MetadataCatalog

from .metrics import VISIBILITY_FLAGS, occlusion_metrics
from ...reports.occlusion_plots import plot_per_joint
from ...reports.occlusion_report import format_report
from ..topdown_evaluator import TopDownKeypointEvaluator

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


class OcclusionEvaluator(TopDownKeypointEvaluator):
    """AP by joint visibility, per-joint localisation by visibility and AP by occlusion level.

    Accepts the per-instance outputs of LJOF's ``TopDownPoseEstimator`` (``keypoints`` (K, 3) [x, y,
    score] pixel-index px, ``bbox_score``, ``bbox_area``). From the inputs it takes ``image_id``,
    ``annotation_id`` (GT-box records: the person's own prediction is used for the per-joint table) and
    ``occluded_joints`` (set by :class:`~ljof.data.block_occlusion.BlockOcclusionMapper`).

    The metadata checks, the protocol's options and the gathering across processes are
    :class:`~ljof.evaluation.TopDownKeypointEvaluator`'s; ``evaluate()`` returns ``{"occlusion": flat
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
        super().__init__(
            dataset_name,
            output_dir=output_dir,
            distributed=distributed,
            rescore=rescore,
            keypoint_score_thr=keypoint_score_thr,
            oks_nms_thr=oks_nms_thr,
            gt_json=gt_json,
        )
        self._keypoint_names = MetadataCatalog.get(dataset_name).get("keypoint_names")
        if not self._keypoint_names:
            raise ValueError(
                f"dataset '{dataset_name}' lacks keypoint_names metadata; register it with "
                "ljof.data.register_keypoint_dataset"
            )
        self._buckets = buckets
        self._per_joint = per_joint
        self.report: Optional[Dict] = None

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
                "keypoints": self._instance_keypoints(out["keypoints"], inp.get("image_id")),
                "bbox_score": float(out["bbox_score"]),
                "area": float(out["bbox_area"]),
                "annotation_id": inp.get("annotation_id"),
            }
            if inp.get("occluded_joints") is not None:
                record["occluded_joints"] = _as_numpy(inp["occluded_joints"]).astype(bool)
            self._predictions.append(record)

    def evaluate(self):
        predictions = self._gathered_predictions()
        if predictions is None:
            return {}
        with open(self._gt_json) as f:
            gt = json.load(f)
        self.report = occlusion_metrics(
            predictions,
            gt,
            keypoint_set=self._keypoint_set,
            sigmas=self._sigmas,
            keypoint_names=self._keypoint_names,
            buckets=self._buckets,
            per_joint=self._per_joint,
            source=f"predictions on '{self._dataset_name}'",
            rescore=self._rescore,
            keypoint_score_thr=self._keypoint_score_thr,
            oks_nms_thr=self._oks_nms_thr,
        )
        table = format_report(self.report, title=f"Occlusion analysis on '{self._dataset_name}'")
        logger.info("\n" + table)
        if self._output_dir:
            os.makedirs(self._output_dir, exist_ok=True)
            with open(os.path.join(self._output_dir, "occlusion_metrics.json"), "w") as f:
                json.dump(self.report, f, indent=1)
            with open(os.path.join(self._output_dir, "occlusion_table.txt"), "w") as f:
                f.write(table + "\n")
            if self.report.get("per_joint"):
                plot_per_joint(
                    {self._dataset_name: self.report["per_joint"]},
                    os.path.join(self._output_dir, "per_joint.png"),
                )
        return OrderedDict({"occlusion": copy.deepcopy(flatten_report(self.report))})

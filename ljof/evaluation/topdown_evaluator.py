"""``TopDownKeypointEvaluator``: the top-down keypoint protocol as a detectron2 ``DatasetEvaluator``.

It accepts the per-instance outputs of LJOF's ``TopDownPoseEstimator`` (``keypoints`` (K, 3) pixel-index
px, ``bbox_score``, ``bbox_area``) and image-level detectron2 outputs (``instances`` with
``pred_keypoints`` in detectron2's +0.5 convention, ``scores``, ``pred_boxes``; e.g. Keypoint R-CNN), then
applies :func:`ljof.evaluation.evaluate_keypoint_predictions` (rescoring, OKS-NMS, OKS AP).

Results are in percent with NaN for empty ranges, as detectron2's ``COCOEvaluator``: ``evaluate()``
returns ``{"keypoints": {"AP": ..., ...}}``, which detectron2's ``print_csv_format`` (called by the
train script's ``do_test``) prints as ``copypaste:`` CSV lines.
"""

import copy
import json
import logging
import os
from collections import OrderedDict
from typing import Dict, List, Optional

import numpy as np
from detectron2.evaluation import DatasetEvaluator
from detectron2.utils.logger import create_small_table

from ..structures import D2_KEYPOINT_OFFSET  # detectron2's continuous = pixel index + this
from .evaluator_setup import KeypointEvaluatorSetup, gather_on_main
from .oks import keypoint_extent_area
from .protocol import PredictionArrays, check_predictions, evaluate_keypoint_predictions

__all__ = ["TopDownKeypointEvaluator"]

logger = logging.getLogger(__name__)


class TopDownKeypointEvaluator(DatasetEvaluator):
    """Rescoring + OKS-NMS + OKS AP (pycocotools' statistics for COCO/OCHuman, crowdposetools' for
    CrowdPose), in percent.

    Files written to ``output_dir`` (main process): ``keypoint_predictions.json`` (the raw
    per-instance predictions: ``score`` = box score, ``bbox_score``, ``area``, ``keypoints`` with
    per-joint scores; ``tools/evaluate_keypoints.py --predictions`` re-scores it), and
    ``keypoint_results.json`` / ``keypoint_metrics.json`` (what was scored, and the metrics).
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
    ):
        """
        Args:
            dataset_name: a dataset registered with keypoint metadata (``json_file``, ``keypoint_set``,
                ``keypoint_oks_sigmas``).
            output_dir: where the prediction, result and metric json files go (None: not written).
            distributed: gather predictions from all processes to the main one.
            rescore: ``score = bbox_score x mean(keypoint scores > keypoint_score_thr)``; else box score.
            keypoint_score_thr: the rescoring threshold.
            oks_nms_thr: OKS-NMS threshold per image; ``None`` or ``<= 0`` turns NMS off.
            gt_json: overrides the dataset's ``json_file``.
        """
        self._setup = KeypointEvaluatorSetup(
            dataset_name,
            rescore=rescore,
            keypoint_score_thr=keypoint_score_thr,
            oks_nms_thr=oks_nms_thr,
            gt_json=gt_json,
        )
        self._output_dir = output_dir
        self._distributed = distributed
        self.reset()

    def reset(self):
        self._predictions: List[Dict] = []
        # the same predictions as one PredictionArrays per process() call, for evaluate(): stacking
        # ~10^5 per-instance arrays there took longer than the OKS AP itself
        self._batches: List[PredictionArrays] = []

    def process(self, inputs, outputs):
        """
        Args:
            inputs: the model inputs (per-instance samples or detectron2 image dicts), with ``image_id``.
            outputs: per input either a dict with ``keypoints`` (K, 3) [x, y, score] in pixel-index px,
                ``bbox_score`` and ``bbox_area`` (LJOF top-down), or a dict with ``instances``
                (``pred_keypoints`` (N, K, 3) with +0.5, ``scores``; area from ``pred_boxes``).
        """
        first = len(self._predictions)
        for inp, out in zip(inputs, outputs):
            image_id = int(out.get("image_id", inp["image_id"]))
            if "keypoints" in out:
                kpts = self._setup.instance_keypoints(
                    out["keypoints"], image_id, type(self).__name__
                )
                self._predictions.append(
                    {
                        "image_id": image_id,
                        "keypoints": kpts,
                        "bbox_score": float(out["bbox_score"]),
                        "area": float(out["bbox_area"]),
                    }
                )
            elif "instances" in out:
                self._process_instances(image_id, out["instances"])
            else:
                raise ValueError(
                    f"TopDownKeypointEvaluator: output for image {image_id} has neither 'keypoints' "
                    f"nor 'instances' (keys: {sorted(out)})"
                )
        added = self._predictions[first:]
        if added:
            self._batches.append(
                PredictionArrays(
                    [p["image_id"] for p in added],
                    np.stack([p["keypoints"] for p in added]),
                    [p["bbox_score"] for p in added],
                    [p["area"] for p in added],
                )
            )

    def _process_instances(self, image_id: int, instances) -> None:
        instances = instances.to("cpu")
        if len(instances) == 0:
            return
        if not instances.has("pred_keypoints"):
            raise ValueError(f"image {image_id}: instances have no pred_keypoints")
        kpts = instances.pred_keypoints.numpy().astype(np.float64).copy()
        setup = self._setup
        if kpts.shape[1:] != (setup.num_keypoints, 3):
            raise ValueError(
                f"{type(self).__name__} on '{setup.dataset_name}': pred_keypoints of image "
                f"{image_id} have shape {tuple(kpts.shape)}, expected (N, {setup.num_keypoints}, 3) "
                f"(the dataset's {setup.keypoint_set} keypoint set)"
            )
        kpts[..., :2] -= D2_KEYPOINT_OFFSET
        scores = instances.scores.numpy() if instances.has("scores") else np.ones(len(kpts))
        if instances.has("pred_boxes"):
            areas = instances.pred_boxes.area().numpy()
        else:  # the keypoints' extent, as for results files without boxes
            areas = keypoint_extent_area(kpts)
        for k, s, a in zip(kpts, scores, areas):
            self._predictions.append(
                {"image_id": image_id, "keypoints": k, "bbox_score": float(s), "area": float(a)}
            )

    @property
    def predictions(self) -> List[Dict]:
        """This process's per-instance predictions so far (``image_id``, ``keypoints`` (K, 3) [x, y,
        score] px, ``bbox_score``, ``area``)."""
        return self._predictions

    def _write_predictions(self, predictions: PredictionArrays) -> None:
        path = os.path.join(self._output_dir, "keypoint_predictions.json")
        rows = [
            {
                "image_id": i,
                "category_id": 1,
                "keypoints": k,
                "score": s,
                "bbox_score": s,
                "area": a,
            }
            for i, k, s, a in zip(
                predictions.image_ids.tolist(),
                predictions.keypoints.reshape(len(predictions), -1).tolist(),
                predictions.bbox_scores.tolist(),
                predictions.areas.tolist(),
            )
        ]
        with open(path, "w") as f:
            json.dump(rows, f)
        logger.info(f"Wrote {len(rows)} predictions to {path}")

    def _gathered_arrays(self) -> Optional[PredictionArrays]:
        """Every process's predictions as one :class:`PredictionArrays` on the main process (None on
        the others), in process order, then process() order."""
        batches = gather_on_main(self._batches, self._distributed)
        if batches is None:
            return None
        k = self._setup.num_keypoints
        if not batches:
            return PredictionArrays(np.zeros(0), np.zeros((0, k, 3)), np.zeros(0), np.zeros(0))
        return PredictionArrays(
            *(np.concatenate([getattr(b, name) for b in batches])
              for name in ("image_ids", "keypoints", "bbox_scores", "areas"))
        )  # fmt: skip

    def evaluate(self):
        arrays = self._gathered_arrays()
        if arrays is None:
            return {}
        setup = self._setup
        check_predictions(arrays, setup.num_keypoints, setup.source)  # before anything is written
        if self._output_dir:
            os.makedirs(self._output_dir, exist_ok=True)
            self._write_predictions(arrays)
        metrics = evaluate_keypoint_predictions(
            arrays,
            setup.gt_json,
            keypoint_set=setup.keypoint_set,
            sigmas=setup.sigmas,
            output_dir=self._output_dir,
            source=setup.source,
            **setup.protocol(),
        )
        logger.info(
            f"Keypoint OKS metrics on '{setup.dataset_name}' (percent):\n"
            + create_small_table(metrics)
        )
        return OrderedDict({"keypoints": copy.deepcopy(metrics)})

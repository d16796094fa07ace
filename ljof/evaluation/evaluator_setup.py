"""What both keypoint ``DatasetEvaluator``\\ s of the project share, defined once and used by composition:
the registered dataset's keypoint metadata and the protocol's options, checked once
(:class:`KeypointEvaluatorSetup`), one model output's keypoints as an array with its shape checked
(:meth:`KeypointEvaluatorSetup.instance_keypoints`), and the gathering of per-process lists onto the
main process (:func:`gather_on_main`, detectron2 ``comm.gather``).

Users: :class:`ljof.evaluation.TopDownKeypointEvaluator` and
:class:`ljof.evaluation.OcclusionEvaluator`.
"""

import itertools
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from detectron2.data import MetadataCatalog
from detectron2.utils import comm

__all__ = ["KeypointEvaluatorSetup", "gather_on_main"]


class KeypointEvaluatorSetup:
    """A keypoint dataset's evaluation metadata and the top-down protocol's options.

    Attributes:
        dataset_name; gt_json: the GT json path; keypoint_set: ``"coco"`` or ``"crowdpose"``;
        sigmas: the K OKS sigmas; num_keypoints: K; keypoint_names: K names, or None when not asked
        for; rescore, keypoint_score_thr, oks_nms_thr: the protocol
        (:func:`ljof.evaluation.evaluate_keypoint_predictions`); source: the predictions' name in
        error messages.
    """

    def __init__(
        self,
        dataset_name: str,
        *,
        rescore: bool,
        keypoint_score_thr: float,
        oks_nms_thr: Optional[float],
        gt_json: Optional[str],
        need_keypoint_names: bool = False,
    ):
        """
        Args:
            dataset_name: a dataset registered with keypoint metadata (``json_file``, ``keypoint_set``,
                ``keypoint_oks_sigmas``; ``keypoint_names`` when ``need_keypoint_names``).
            rescore, keypoint_score_thr, oks_nms_thr: the protocol's options.
            gt_json: overrides the dataset's ``json_file``.

        Raises:
            ValueError naming the dataset and the missing metadata.
        """
        meta = MetadataCatalog.get(dataset_name)
        self.dataset_name = dataset_name
        self.gt_json = gt_json or meta.get("json_file")
        self.keypoint_set = meta.get("keypoint_set")
        self.sigmas = meta.get("keypoint_oks_sigmas")
        if not self.gt_json or self.keypoint_set is None or self.sigmas is None:
            raise ValueError(
                f"dataset '{dataset_name}' lacks json_file / keypoint_set / keypoint_oks_sigmas metadata; "
                "register it with ljof.data.register_keypoint_dataset"
            )
        self.num_keypoints = len(self.sigmas)
        self.keypoint_names: Optional[Sequence[str]] = None
        if need_keypoint_names:
            self.keypoint_names = meta.get("keypoint_names")
            if not self.keypoint_names:
                raise ValueError(
                    f"dataset '{dataset_name}' lacks keypoint_names metadata; register it with "
                    "ljof.data.register_keypoint_dataset"
                )
        self.rescore = rescore
        self.keypoint_score_thr = keypoint_score_thr
        self.oks_nms_thr = oks_nms_thr
        self.source = f"predictions on '{dataset_name}'"

    def protocol(self) -> Dict:
        """The protocol's options as keyword arguments (``rescore``, ``keypoint_score_thr``,
        ``oks_nms_thr``)."""
        return dict(
            rescore=self.rescore,
            keypoint_score_thr=self.keypoint_score_thr,
            oks_nms_thr=self.oks_nms_thr,
        )

    def instance_keypoints(self, keypoints, image_id, evaluator: str) -> np.ndarray:
        """One per-instance output's keypoints (tensor or array, K x 3 values) as a (K, 3) float64
        array [x, y, score] px.

        Raises:
            ValueError naming ``evaluator``, the dataset and the image when the output has another
            number of keypoints than the dataset's keypoint set.
        """
        kpts = torch.as_tensor(keypoints).detach().to("cpu", torch.float64).numpy()
        if kpts.size != 3 * self.num_keypoints:
            raise ValueError(
                f"{evaluator} on '{self.dataset_name}': the output for image {image_id} "
                f"has keypoints of shape {tuple(kpts.shape)}, expected ({self.num_keypoints}, 3) "
                f"(the dataset's {self.keypoint_set} keypoint set); is the model's keypoint head "
                "for another keypoint set?"
            )
        return kpts.reshape(self.num_keypoints, 3)


def gather_on_main(items: List, distributed: bool) -> Optional[List]:
    """Every process's ``items`` concatenated in process order on the main process (None on the
    others); ``items`` itself when not ``distributed``."""
    if not distributed:
        return items
    comm.synchronize()
    gathered = list(itertools.chain(*comm.gather(items, dst=0)))
    return gathered if comm.is_main_process() else None

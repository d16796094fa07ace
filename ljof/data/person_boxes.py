"""Person boxes given with the inputs of ``DetectorPoseModel`` (e.g. ground truth instead of a detector)."""

from collections import defaultdict
from typing import Dict, List, Sequence

import numpy as np

__all__ = ["attach_person_boxes"]


def attach_person_boxes(dataset_dicts: Sequence[Dict], person_records: Sequence[Dict]) -> List[Dict]:
    """Copies of detectron2 image dicts with the boxes of their person records attached.

    Args:
        dataset_dicts: image-level dicts (``DatasetCatalog.get(name)``), each with ``image_id``.
        person_records: ``ljof.data.get_topdown_dataset(name, use_detections=False)`` for ground-truth
            boxes (or the detection records).

    Returns:
        new dicts with ``person_boxes`` ((N, 4) float64 XYWH original px) and ``person_scores`` ((N,)
        ``bbox_score``); detectron2's test ``DatasetMapper`` passes both keys through to the model.
    """
    by_image = defaultdict(list)
    for r in person_records:
        by_image[r["image_id"]].append(r)
    out = []
    for d in dataset_dicts:
        found = by_image.get(d["image_id"], [])
        boxes = np.array([r["bbox"] for r in found], np.float64).reshape(-1, 4)
        scores = np.array([r["bbox_score"] for r in found], np.float64)
        out.append(dict(d, person_boxes=boxes, person_scores=scores))
    return out

"""Person-instance records for top-down training and testing (one record per person).

Rules follow MMPose 1.x's COCO-style datasets (``mmpose/datasets/datasets/base/base_coco_style_dataset.py``):

* GT boxes are converted to x1y1x2y2, clipped to ``[0, w-1] x [0, h-1]`` and converted back to XYWH;
* crowd instances, ``num_keypoints == 0``, empty boxes and all-zero keypoints are dropped, in test mode too;
* detection boxes (``det_file``) are kept unclipped; only the person category (the GT's person id, or 1);
  boxes with ``score < det_score_thr`` are dropped (``det_score_thr`` 0 keeps all); boxes of zero or
  negative width or height are dropped at load time (counted and logged: an empty crop would stop the
  mapper); a non-finite number in a detection is an error naming the file and the entry.

Coordinates: detectron2's ``load_coco_json`` adds +0.5 to keypoint x, y; records subtract it again, so
record keypoints equal the json's pixel-index values (the convention of ``docs/interfaces.md``).
"""

import json
import logging
import os
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from detectron2.data import DatasetCatalog, MetadataCatalog

from ljof.structures import D2_KEYPOINT_OFFSET  # detectron2's load_coco_json adds it to x, y

from .register import check_dataset_files

__all__ = ["get_topdown_dataset", "image_dicts_to_person_records", "load_detection_records"]

logger = logging.getLogger(__name__)

def _gt_record(image: Dict, ann: Dict, num_keypoints: int, dataset_name: str) -> Optional[Dict]:
    """One person record from a detectron2 image dict and one of its annotations; None if filtered."""
    if ann.get("iscrowd", 0) or "keypoints" not in ann or "bbox" not in ann:
        return None
    kpts = np.asarray(ann["keypoints"], dtype=np.float64)
    if kpts.size != 3 * num_keypoints:
        raise ValueError(
            f"dataset '{dataset_name}', image {image['image_id']}, annotation {ann.get('id')}: "
            f"{kpts.size // 3} keypoints, the keypoint set has {num_keypoints}"
        )
    kpts = kpts.reshape(num_keypoints, 3)
    kpts[:, :2] -= D2_KEYPOINT_OFFSET  # back to pixel indices (undo load_coco_json)
    if ann.get("num_keypoints", 1) == 0 or np.max(kpts) <= 0:
        return None
    x, y, w, h = (float(v) for v in ann["bbox"])
    width, height = image["width"], image["height"]
    x1, x2 = np.clip([x, x + w], 0, width - 1)
    y1, y2 = np.clip([y, y + h], 0, height - 1)
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        return None
    box = [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]
    return {
        "file_name": image["file_name"],
        "image_id": image["image_id"],
        "height": height,
        "width": width,
        "bbox": box,
        "bbox_score": 1.0,
        "keypoints": kpts.astype(np.float32),
        "annotation_id": ann.get("id"),
        "area": float(ann["area"]) if "area" in ann else box[2] * box[3],
        "dataset_name": dataset_name,
    }


def image_dicts_to_person_records(
    image_dicts: List[Dict], dataset_name: str, num_keypoints: int
) -> List[Dict]:
    """GT person records from detectron2 image dicts (as ``DatasetCatalog.get`` returns them).

    Args:
        image_dicts: detectron2 dicts whose ``annotations[*]["keypoints"]`` carry the +0.5 offset.
        dataset_name: copied into each record.
        num_keypoints: K of the keypoint set.

    Returns:
        person records (``docs/interfaces.md``), keypoints (K, 3) float32 in pixel-index px.
    """
    records = []
    for image in image_dicts:
        for ann in image.get("annotations", []):
            record = _gt_record(image, ann, num_keypoints, dataset_name)
            if record is not None:
                records.append(record)
    return records


def load_detection_records(
    image_dicts: List[Dict],
    det_file: str,
    dataset_name: str,
    num_keypoints: int,
    det_score_thr: float = 0.0,
) -> List[Dict]:
    """Person records from a person-detection results json (boxes not clipped, keypoints all zero).

    Args:
        image_dicts: detectron2 dicts of the dataset (for file names and image sizes).
        det_file: json list of ``{"image_id", "category_id", "bbox": [x, y, w, h], "score"}``.
        dataset_name: registered name; its metadata ``person_category_ids`` (set when the GT json is
            loaded) says which ``category_id`` values are people (default: 1).
        det_score_thr: detections with ``score < det_score_thr`` are dropped.

    Raises:
        ValueError naming ``det_file`` and the entry: a malformed detection, an unknown image, or a
        non-finite box or score. Boxes with ``w <= 0`` or ``h <= 0`` are dropped and counted in a log
        line.
    """
    with open(det_file) as f:
        dets = json.load(f)
    if not isinstance(dets, list):
        raise ValueError(f"detection file {det_file}: expected a json list of detections")
    person_ids = set(MetadataCatalog.get(dataset_name).get("person_category_ids", (1,)))
    images = {d["image_id"]: d for d in image_dicts}
    records = []
    dropped = {"other category": 0, "score below det_score_thr": 0, "zero or negative area": 0}
    for i, det in enumerate(dets):
        try:
            image_id, category, box, score = (
                det["image_id"],
                det["category_id"],
                [float(v) for v in det["bbox"]],
                float(det["score"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(
                f"detection file {det_file}, record {i}: needs image_id, category_id, bbox, score ({e!r})"
            ) from e
        if len(box) != 4:
            raise ValueError(
                f"detection file {det_file}, record {i}: bbox {box} is not [x, y, w, h]"
            )
        if not np.isfinite(box + [score]).all():
            raise ValueError(
                f"detection file {det_file}, record {i}: non-finite number in bbox {box} or score "
                f"{score}"
            )
        if category not in person_ids:
            dropped["other category"] += 1
            continue
        if score < det_score_thr:
            dropped["score below det_score_thr"] += 1
            continue
        if image_id not in images:
            raise ValueError(
                f"detection file {det_file}, record {i}: image_id {image_id} is not in the annotation "
                f"file of dataset '{dataset_name}'"
            )
        if box[2] <= 0 or box[3] <= 0:
            dropped["zero or negative area"] += 1
            continue
        image = images[image_id]
        records.append(
            {
                "file_name": image["file_name"],
                "image_id": image_id,
                "height": image["height"],
                "width": image["width"],
                "bbox": box,
                "bbox_score": score,
                "keypoints": np.zeros((num_keypoints, 3), dtype=np.float32),
                "annotation_id": None,
                "area": box[2] * box[3],
                "dataset_name": dataset_name,
            }
        )
    reasons = ", ".join(f"{n} ({why})" for why, n in dropped.items() if n)
    if reasons:
        logger.info(
            f"detection file {det_file}: {len(records)} of {len(dets)} kept; dropped {reasons}"
        )
    if dropped["zero or negative area"]:
        logger.warning(
            f"detection file {det_file}: {dropped['zero or negative area']} boxes of zero or negative "
            "width/height dropped (no crop can be taken from them)"
        )
    return records


def get_topdown_dataset(
    names: Union[str, Sequence[str]],
    *,
    use_detections: Optional[bool] = None,
    det_score_thr: Optional[float] = None,
) -> List[Dict]:
    """Person records of one or more registered datasets, concatenated.

    Args:
        names: registered dataset name(s).
        use_detections: take person boxes from the dataset's ``det_file`` (default: when it has one);
            ``False`` gives GT records even for a detection split.
        det_score_thr: overrides the dataset's ``det_score_thr``.

    Returns:
        list of person records (``docs/interfaces.md``).
    """
    if isinstance(names, str):
        names = [names]
    records = []
    for name in names:
        meta = MetadataCatalog.get(name)
        if meta.get("keypoint_set") is None:
            raise ValueError(
                f"dataset '{name}' has no keypoint metadata; register it with "
                "ljof.data.register_keypoint_dataset"
            )
        check_dataset_files(name)
        num_keypoints = len(meta.keypoint_names)
        image_dicts = DatasetCatalog.get(name)
        det_file = meta.get("det_file")
        if use_detections and not det_file:
            raise ValueError(f"dataset '{name}' has no det_file, cannot use detections")
        if det_file and use_detections is not False:
            thr = meta.get("det_score_thr", 0.0) if det_score_thr is None else det_score_thr
            part = load_detection_records(image_dicts, det_file, name, num_keypoints, thr)
            source = f"detections of {os.path.basename(det_file)} (score >= {thr})"
        else:
            part = image_dicts_to_person_records(image_dicts, name, num_keypoints)
            source = "ground-truth boxes"
        logger.info(
            f"{len(part)} person instances from '{name}' ({source}), {len(image_dicts)} images"
        )
        records.extend(part)
    return records

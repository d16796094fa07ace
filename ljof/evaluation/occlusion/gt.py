"""Ground-truth copies and person-level occlusion measures for the occlusion analysis.

The OKS AP of a subset is the standard OKS AP against the GT with some joints or people unlabelled.
The evaluation (:mod:`ljof.evaluation.occlusion.metrics`, the paired bootstrap) builds its subsets as
masks over the parsed GT (:func:`ljof.evaluation.oks_ap.with_person_keypoints`, with
:func:`keep_visibility`); the dict copies built here are the same subsets as COCO-format json, for a
tool that reads one (pycocotools):

* :func:`visibility_subset`: joints whose flag is not the chosen one get ``[0, 0, 0]`` and
  ``num_keypoints`` is recounted (v > 0), so pycocotools computes OKS over the chosen joints only and a
  person left with none is ignored (``COCOeval._prepare``: ``ignore = num_labeled == 0 or iscrowd``;
  xtcocotools ``keypoints_crowd``: ``num_keypoints == 0``).
* :func:`restrict_to`: people outside a set lose all their joints the same way, so they are ignored and a
  prediction matched to them counts neither as a true nor as a false positive. (The GT field ``ignore``
  cannot be used: ``COCOeval._prepare`` of pycocotools and xtcocotools overwrites it with ``iscrowd``.)
* :func:`mark_occluded`: visible joints (v == 2) that a synthetic block covers become v == 1.

Person measures: :func:`occluded_fraction` (v == 1 over v > 0) and :func:`max_iou` (OCHuman's MaxIoU: the
largest IoU of a person's box with another person's box of the same image; Zhang et al., "Pose2Seg:
Detection Free Human Instance Segmentation", CVPR 2019, §3).
"""

import copy
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from detectron2.structures import Boxes, BoxMode, pairwise_iou

__all__ = [
    "OCCLUDED_FRACTION_BUCKETS",
    "MAX_IOU_BUCKETS",
    "annotation_keypoints",
    "evaluated_annotations",
    "keep_visibility",
    "visibility_subset",
    "restrict_to",
    "mark_occluded",
    "occluded_fraction",
    "max_iou",
    "assign_buckets",
    "bucket_label",
]

# (low, high) with low inclusive, high exclusive except for the last bucket, which includes 1.
OCCLUDED_FRACTION_BUCKETS: Tuple[Tuple[float, float], ...] = (
    (0.0, 0.1),
    (0.1, 0.3),
    (0.3, 0.5),
    (0.5, 1.0),
)
MAX_IOU_BUCKETS: Tuple[Tuple[float, float], ...] = (
    (0.0, 0.25),
    (0.25, 0.5),
    (0.5, 0.75),
    (0.75, 1.0),
)


def annotation_keypoints(
    ann: Mapping, num_keypoints: int, source: str = "ground truth"
) -> np.ndarray:
    """(K, 3) float64 keypoints of a GT annotation; ``ValueError`` naming ``source`` and the id if the
    annotation has another number of keypoints."""
    kpts = np.asarray(ann.get("keypoints", ()), dtype=np.float64)
    if kpts.size != 3 * num_keypoints:
        raise ValueError(
            f"{source}: annotation {ann.get('id')} (image {ann.get('image_id')}) has "
            f"{kpts.size} keypoint values, expected {3 * num_keypoints} ({num_keypoints} joints)"
        )
    return kpts.reshape(num_keypoints, 3)


def evaluated_annotations(gt: Mapping) -> List[Dict]:
    """The annotations the OKS evaluation scores: not crowd, with ``keypoints`` and at least one
    labeled joint (pycocotools ignores the others)."""
    out = []
    for ann in gt["annotations"]:
        if ann.get("iscrowd", 0) or "keypoints" not in ann:
            continue
        if any(v > 0 for v in ann["keypoints"][2::3]):
            out.append(ann)
    return out


def _with_keypoints(gt: Mapping, new_keypoints: Mapping[int, np.ndarray]) -> Dict:
    """A deep copy of ``gt`` with the keypoints of the annotations in ``new_keypoints`` (id -> (K, 3))
    replaced and their ``num_keypoints`` recounted (v > 0)."""
    out = copy.deepcopy(dict(gt))
    for ann in out["annotations"]:
        kpts = new_keypoints.get(ann.get("id"))
        if kpts is None:
            continue
        ann["keypoints"] = [float(v) for v in np.asarray(kpts, np.float64).reshape(-1)]
        ann["num_keypoints"] = int((np.asarray(kpts)[:, 2] > 0).sum())
    return out


def _check_flag(keep_flag: int) -> None:
    if keep_flag not in (1, 2):
        raise ValueError(f"keep_flag must be 1 (occluded) or 2 (visible), got {keep_flag}")


def keep_visibility(keypoints: np.ndarray, keep_flag: int) -> np.ndarray:
    """A copy of (..., K, 3) keypoints [x, y, v] in which the joints with ``v != keep_flag`` are
    ``[0, 0, 0]`` (unlabelled); ``keep_flag`` 2 (labeled and visible) or 1 (labeled, occluded)."""
    _check_flag(keep_flag)
    keypoints = np.array(keypoints, dtype=np.float64)
    keypoints[keypoints[..., 2] != keep_flag] = 0.0
    return keypoints


def visibility_subset(gt: Mapping, keep_flag: int, num_keypoints: int) -> Dict:
    """GT copy in which only the joints with ``v == keep_flag`` remain labeled.

    Args:
        gt: a COCO-format GT dict (``images``, ``annotations``, ``categories``); not modified.
        keep_flag: 2 (labeled and visible) or 1 (labeled, occluded).
        num_keypoints: K.

    Returns:
        the copy; other joints are ``[0, 0, 0]``, ``num_keypoints`` recounted.
    """
    _check_flag(keep_flag)
    new = {
        ann.get("id"): keep_visibility(annotation_keypoints(ann, num_keypoints), keep_flag)
        for ann in gt["annotations"]
        if "keypoints" in ann
    }
    return _with_keypoints(gt, new)


def restrict_to(gt: Mapping, keep_ids: Iterable[int], num_keypoints: int) -> Dict:
    """GT copy in which only the annotations in ``keep_ids`` keep their joints (the others: all
    ``[0, 0, 0]``, ``num_keypoints`` 0, hence ignored by the OKS evaluation)."""
    keep = set(keep_ids)
    new = {
        ann.get("id"): np.zeros((num_keypoints, 3))
        for ann in gt["annotations"]
        if "keypoints" in ann and ann.get("id") not in keep
    }
    return _with_keypoints(gt, new)


def mark_occluded(gt: Mapping, occluded: Mapping[int, np.ndarray], num_keypoints: int) -> Dict:
    """GT copy in which the visible joints (v == 2) flagged in ``occluded`` (annotation id -> (K,) bool)
    become occluded (v == 1). Joints with v == 1 stay 1, unlabeled joints stay 0."""
    by_id = {ann.get("id"): ann for ann in gt["annotations"]}
    new = {}
    for ann_id, mask in occluded.items():
        if ann_id not in by_id:
            raise ValueError(
                f"occluded joints given for annotation {ann_id}, which is not in the GT"
            )
        kpts = annotation_keypoints(by_id[ann_id], num_keypoints).copy()
        mask = np.asarray(mask, dtype=bool).reshape(-1)
        if mask.shape != (num_keypoints,):
            raise ValueError(
                f"annotation {ann_id}: occluded-joint mask has {mask.size} entries, expected "
                f"{num_keypoints}"
            )
        kpts[mask & (kpts[:, 2] == 2), 2] = 1
        new[ann_id] = kpts
    return _with_keypoints(gt, new)


def occluded_fraction(ann: Mapping, num_keypoints: int) -> Optional[float]:
    """Fraction of a person's labeled joints that are occluded (``#(v == 1) / #(v > 0)``); None when no
    joint is labeled."""
    v = annotation_keypoints(ann, num_keypoints)[:, 2]
    labeled = int((v > 0).sum())
    return None if labeled == 0 else float((v == 1).sum()) / labeled


def max_iou(gt: Mapping) -> Dict[int, float]:
    """OCHuman's MaxIoU of every non-crowd annotation with a ``bbox``: the largest IoU of its box (XYWH)
    with the box of another non-crowd person of the same image (0 for a person alone).

    Returns:
        annotation id -> MaxIoU in [0, 1].
    """
    by_image: Dict[int, List[Mapping]] = {}
    for ann in gt["annotations"]:
        if ann.get("iscrowd", 0) or "bbox" not in ann:
            continue
        by_image.setdefault(ann["image_id"], []).append(ann)
    out: Dict[int, float] = {}
    for anns in by_image.values():
        if len(anns) == 1:
            out[anns[0]["id"]] = 0.0
            continue
        xywh = torch.tensor([a["bbox"] for a in anns], dtype=torch.float64)
        boxes = Boxes(BoxMode.convert(xywh, BoxMode.XYWH_ABS, BoxMode.XYXY_ABS))
        iou = pairwise_iou(boxes, boxes).numpy()
        np.fill_diagonal(iou, 0.0)
        for a, m in zip(anns, iou.max(axis=1)):
            out[a["id"]] = float(m)
    return out


def assign_buckets(
    values: Mapping[int, Optional[float]], buckets: Sequence[Tuple[float, float]]
) -> List[List[int]]:
    """Split ids by value into ``buckets`` ((low, high): ``low <= v < high``, the last one also
    ``v == high``). Ids whose value is None or outside every bucket are in none."""
    out: List[List[int]] = [[] for _ in buckets]
    last = len(buckets) - 1
    for key, v in values.items():
        if v is None:
            continue
        for i, (lo, hi) in enumerate(buckets):
            if lo <= v < hi or (i == last and v == hi):
                out[i].append(key)
                break
    return out


def bucket_label(bucket: Tuple[float, float], last: bool) -> str:
    """``"[0.1,0.3)"``, or ``"[0.5,1]"`` for the last (closed) bucket."""
    lo, hi = bucket
    return f"[{lo:g},{hi:g}" + ("]" if last else ")")

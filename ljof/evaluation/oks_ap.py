"""OKS keypoint AP equal to the official tools, one function per protocol.

* :func:`coco_oks_ap` (COCO, OCHuman): the statistics of pycocotools ``COCOeval(iouType="keypoints")``
  (cocodataset/cocoapi ``PythonAPI/pycocotools/cocoeval.py``): OKS scale = the GT ``area``, a GT is
  ignored when ``iscrowd`` or ``num_keypoints == 0``, maxDets 20, areas all / medium / large.
  Metrics ``AP AP50 AP75 APm APl AR AR50 AR75 ARm ARl``.
* :func:`crowdpose_oks_ap`: the statistics of the official crowdposetools ``COCOeval(iouType=
  "keypoints")`` (github.com/Jeff-sjtu/CrowdPose ``crowdpose-api/PythonAPI/crowdposetools/cocoeval.py``):
  OKS scale = GT box w x h x 0.53, CrowdPose-14 sigmas, maxDets 20; easy / medium / hard (``APE APM
  APH``) are the mean precision over the images with ``crowdIndex < 0.2`` / ``< 0.8`` / ``>= 0.8``,
  without crowdposetools' rounding to 4 decimals. Metrics ``AP AP50 AP75 AR AR50 AR75 APE APM APH``.

Both keep every prediction, including those whose keypoint scores are all 0 (xtcocotools drops them),
and break score ties by image id, then by order in ``results``, as the official tools do.

The engine is :mod:`.cocoeval_arrays`, pycocotools' keypoint evaluation computed on arrays (bit-identical
OKS, the same matching, accumulation and summary; ``docs/evaluation.md`` has the measurements that chose
it over hotcoco and faster-coco-eval); :func:`image_matches` is its per-image matching, which the paired
bootstrap (:mod:`.bootstrap`) and the occlusion analysis' joint matches also use. The GT json is read by
:func:`~.json_files.read_json`. The CrowdPose
protocol is COCO keypoints with the GT ``area`` set to w x h x 0.53, accumulated once per crowdIndex
subset, which is what crowdposetools computes.

Values are **percent** (detectron2's ``COCOEvaluator`` convention), NaN where a range or subset has no
ground truth (the tools' -1).
"""

import contextlib
import copy
import gc
import logging
import os
from itertools import repeat
from operator import itemgetter
from typing import Dict, FrozenSet, List, Optional, Sequence

import numpy as np

from ..data.datasets.builtin_meta import get_keypoint_set_metadata
from ..data.datasets.person_category import find_person_category
from .cocoeval_arrays import (
    GroundTruthPeople,
    ImageMatches,
    accumulate,
    match_results,
    summarize_keypoints,
)
from .json_files import read_json, read_json_list
from .keypoint_results import KeypointResults, check_results, exact_ids, stack_keypoint_lists

__all__ = [
    "COCO_METRIC_NAMES",
    "CROWDPOSE_METRIC_NAMES",
    "CROWD_INDEX_THRESHOLDS",
    "KeypointGroundTruth",
    "load_keypoint_gt",
    "with_person_keypoints",
    "image_matches",
    "coco_oks_ap",
    "crowdpose_oks_ap",
    "compute_oks_ap",
]

logger = logging.getLogger(__name__)

COCO_METRIC_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")
CROWDPOSE_METRIC_NAMES = ("AP", "AP50", "AP75", "AR", "AR50", "AR75", "APE", "APM", "APH")
# crowdposetools: OKS scale and area of a GT person = box w x h x 0.53 (``computeOks``, ``evaluateImg``).
CROWDPOSE_AREA_FACTOR = 0.53
# crowdposetools ``get_type_result(first=0.2, second=0.8)``: easy < 0.2 <= medium < 0.8 <= hard.
CROWD_INDEX_THRESHOLDS = (0.2, 0.8)


class KeypointGroundTruth:
    """A GT keypoint json, parsed once and checked for what the protocol needs.

    Attributes:
        data: the COCO-format dict (as parsed; not modified).
        people: the person annotations as arrays (:class:`~.cocoeval_arrays.GroundTruthPeople`, json
            order; CrowdPose: ``areas`` = w x h x 0.53).
        keypoint_set: ``"coco"`` or ``"crowdpose"``.
        person_category_id: id of the person category in the json.
        accepted_category_ids: ``category_id`` values that mean person in predictions.
        image_ids: (I,) int64 sorted image ids.
        crowd_index: image id -> ``crowdIndex`` (CrowdPose only, else None).
        source: the file name (or a description) used in messages.
    """

    def __init__(self, data, people, keypoint_set, person_category_id, accepted_category_ids, source,
                 image_ids, crowd_index=None):  # fmt: skip
        self.data = data
        self.people: GroundTruthPeople = people
        self.keypoint_set = keypoint_set
        self.person_category_id: int = person_category_id
        self.accepted_category_ids: FrozenSet[int] = accepted_category_ids
        self.image_ids = np.sort(np.asarray(image_ids, dtype=np.int64))
        self.crowd_index: Optional[Dict[int, float]] = crowd_index
        self.source = source


def with_person_keypoints(gt: KeypointGroundTruth, keypoints: np.ndarray) -> KeypointGroundTruth:
    """``gt`` with its people's keypoints replaced: a subset of joints or of people as a mask over the
    parsed GT (no copy of the json, no second parse), as the occlusion analysis scores it.

    Args:
        gt: a parsed GT; keypoints: (G, K, 3) float64 [x, y, v] in ``gt.people`` order. ``num_keypoints``
            is recounted as the joints with v > 0, so a person left with none is ignored by the OKS
            evaluation (pycocotools ``_prepare``) and a result matched to it is neither a TP nor an FP.

    Returns:
        a :class:`KeypointGroundTruth` that shares everything else with ``gt`` (``data`` None: it has no
        json of its own).

    Raises:
        ValueError: ``keypoints`` of another shape than ``gt.people.keypoints``; a person left without a
        labelled joint and without a ``bbox`` (pycocotools would score results against its box).
    """
    people = gt.people
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.shape != people.keypoints.shape:
        raise ValueError(
            f"ground truth {gt.source}: keypoints {keypoints.shape} for people "
            f"{people.keypoints.shape}"
        )
    labelled = (keypoints[..., 2] > 0).sum(axis=1)
    no_box = np.flatnonzero((labelled == 0) & np.isnan(people.boxes).any(axis=1))
    if len(no_box):
        i = int(no_box[0])
        raise ValueError(
            f"ground truth {gt.source}: annotation {int(people.ids[i])} (image "
            f"{int(people.image_ids[i])}) has no labelled keypoint and no 'bbox' (results are scored "
            "against its box)"
        )
    subset = copy.copy(gt)
    subset.data = None
    subset.people = GroundTruthPeople(
        image_ids=people.image_ids, ids=people.ids, keypoints=keypoints, areas=people.areas,
        boxes=people.boxes, iscrowd=people.iscrowd, num_keypoints=labelled,
    )  # fmt: skip
    return subset


def _gt_dict(gt, source: str) -> Dict:
    """The COCO-format dict of a path (read by :func:`~.json_files.read_json`), a dict or a COCO-API
    object (anything with ``.dataset``).

    Raises:
        FileNotFoundError, TypeError, ValueError naming the file: not json, not a dict, no ``images``,
        ``annotations`` or ``categories`` list.
    """
    if isinstance(gt, (str, os.PathLike)):
        data = read_json(gt, "ground-truth json")
    else:
        data = gt if isinstance(gt, dict) else getattr(gt, "dataset", None)
    if not isinstance(data, dict):
        raise TypeError(
            f"ground truth {source}: expected a json path, a dict or a COCO object, got {type(gt)}"
        )
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise ValueError(f"ground truth {source}: no '{key}' list (not a COCO-format file)")
    for key in ("images", "annotations", "categories"):
        if not set(map(type, data[key])) <= {dict}:  # one C-level pass; the loop names the item
            bad = next(i for i, x in enumerate(data[key]) if not isinstance(x, dict))
            raise ValueError(f"ground truth {source}: {key}[{bad}] is not a json object")
    return data


def _check_unique_ids(annotations: List[Dict], source: str) -> None:
    """Every annotation id is unique.

    Raises:
        ValueError naming the file, the id and the two annotations' images: pycocotools looks people
        up by id, so it scores one of them twice and loses the other.
    """
    ids = list(map(dict.get, annotations, repeat("id")))
    if len(set(ids)) == len(ids):
        return
    seen = {}
    for i, ann_id in enumerate(ids):
        if ann_id in seen:
            first = annotations[seen[ann_id]]
            raise ValueError(
                f"ground truth {source}: annotation id {ann_id!r} is used twice (annotations {seen[ann_id]} "
                f"and {i} of the list, images {first.get('image_id')} and "
                f"{annotations[i].get('image_id')}); pycocotools would score one person twice and lose "
                "the other. Give every annotation a unique id."
            )
        seen[ann_id] = i


def _people_arrays(people: List[Dict], num_keypoints: int, keypoint_set: str, source: str):
    """The person annotations as :class:`GroundTruthPeople` (CrowdPose: area = box w x h x 0.53).

    Raises:
        ValueError naming the annotation: a person without a labelled joint (all v = 0) and without
        ``bbox`` (pycocotools scores results against such a person by its box), non-finite keypoints
        or area.
    """
    n = len(people)
    try:  # one C-level pass when every person has a box
        boxes = np.array(list(map(itemgetter("bbox"), people)), dtype=np.float64).reshape(n, 4)
    except (KeyError, TypeError, ValueError):
        boxes = np.full((n, 4), np.nan)
        with_box = [i for i, a in enumerate(people) if a.get("bbox") is not None]
        if with_box:
            boxes[with_box] = [people[i]["bbox"] for i in with_box]
    keypoints = stack_keypoint_lists(people, num_keypoints)
    if keypoint_set == "crowdpose":  # crowdposetools: box w x h x 0.53, in this order
        areas = boxes[:, 2] * boxes[:, 3] * CROWDPOSE_AREA_FACTOR
    else:
        areas = np.fromiter(map(itemgetter("area"), people), np.float64, count=n)
    unlabelled_without_box = ~(keypoints[..., 2] > 0).any(axis=1) & np.isnan(boxes).any(axis=1)
    finite_keypoints = np.isfinite(keypoints).all(axis=(1, 2))
    bad = unlabelled_without_box | ~np.isfinite(areas) | ~finite_keypoints
    for i in np.flatnonzero(bad).tolist():
        ann = people[i]
        if not finite_keypoints[i]:
            problem = "keypoints with NaN or inf"
        elif not np.isfinite(areas[i]):
            problem = "a non-finite area"
        else:
            problem = "no labelled keypoint and no 'bbox' (results are scored against its box)"
        raise ValueError(
            f"ground truth {source}: annotation {ann.get('id')} (image {ann.get('image_id')}) has "
            + problem
        )
    where = f"ground truth {source}"
    counted = ~np.fromiter(map(dict.get, people, repeat("iscrowd"), repeat(0)), bool, count=n)
    counted &= np.fromiter(map(itemgetter("num_keypoints"), people), np.int64, count=n) > 0
    no_scale = np.flatnonzero(counted & ~(areas > 0))
    if len(
        no_scale
    ):  # pycocotools divides by the area too: the OKS is ~0 (1 only for exact joints)
        ann = people[int(no_scale[0])]
        field = "bbox w x h" if keypoint_set == "crowdpose" else "area"
        logger.warning(
            f"{where}: {len(no_scale)} person annotations with labelled keypoints have {field} <= 0 "
            f"(e.g. annotation {ann.get('id')}, image {ann.get('image_id')}); OKS divides by it, so "
            "no prediction matches them (OKS ~0) and the AP counts them as missed, as in pycocotools. "
            "Fix the file: set each person's area (e.g. its segmentation area or bbox w x h)."
        )
    return GroundTruthPeople(
        image_ids=exact_ids(
            list(map(itemgetter("image_id"), people)), "image_id", where, "annotation"
        ),
        ids=exact_ids(list(map(itemgetter("id"), people)), "id", where, "annotation"),
        keypoints=keypoints,
        areas=areas,
        boxes=boxes,
        iscrowd=np.fromiter(map(dict.get, people, repeat("iscrowd"), repeat(0)), bool, count=n),
        num_keypoints=np.fromiter(map(itemgetter("num_keypoints"), people), np.int64, count=n),
    )


def load_keypoint_gt(
    gt, keypoint_set: str, *, num_keypoints: Optional[int] = None, source: Optional[str] = None
) -> KeypointGroundTruth:
    """Parse a GT once and check the contract of the protocol.

    Args:
        gt: a GT json path, its parsed dict, a COCO-API object (pycocotools / xtcocotools / hotcoco
            ``COCO``: its ``dataset`` is used) or a :class:`KeypointGroundTruth` (returned as is).
        keypoint_set: ``"coco"`` (COCO, OCHuman) or ``"crowdpose"``.
        num_keypoints: if given, every person annotation must have ``3 * num_keypoints`` values.
        source: name used in messages (default: the path).

    Raises:
        ValueError naming the file and the annotation or image: no person category (see
        :func:`ljof.data.datasets.person_category.find_person_category`); a person annotation without
        ``keypoints``, ``num_keypoints``, ``bbox`` (CrowdPose) or ``area`` (COCO), or with the wrong
        number of keypoints; a CrowdPose image without ``crowdIndex``.
    """
    if keypoint_set not in ("coco", "crowdpose"):
        raise ValueError(f"unknown keypoint_set {keypoint_set!r}; expected 'coco' or 'crowdpose'")
    if isinstance(gt, KeypointGroundTruth):
        if gt.keypoint_set != keypoint_set:
            raise ValueError(
                f"ground truth {gt.source} was loaded for the {gt.keypoint_set} protocol, "
                f"not {keypoint_set}"
            )
        return gt
    source = source or (os.fspath(gt) if isinstance(gt, (str, os.PathLike)) else "(in memory)")
    data = _gt_dict(gt, source)
    images = data["images"]
    image_ids = exact_ids(
        list(map(dict.get, images, repeat("id"))), "id", f"ground truth {source}", "image"
    )
    _check_unique_ids(data["annotations"], source)
    person_id, accepted = find_person_category(data["categories"], source)
    required = ["keypoints", "num_keypoints"] + (
        ["bbox"] if keypoint_set == "crowdpose" else ["area"]
    )
    people = [a for a in data["annotations"] if a.get("category_id") == person_id]
    known = set(image_ids.tolist())
    on_image = [a.get("image_id") in known for a in people]
    if not all(
        on_image
    ):  # pycocotools reads annotations through the image list: it never sees them
        outside = [a for a, inside in zip(people, on_image) if not inside]
        logger.warning(
            f"ground truth {source}: {len(outside)} person annotations have an image_id that is not "
            f"in 'images' (e.g. annotation {outside[0].get('id')}, image "
            f"{outside[0].get('image_id')}); they are left out, as the official tools leave them out"
        )
        people = [a for a, inside in zip(people, on_image) if inside]
    for key in required:  # one C-level scan per field; the loop below only names the culprit
        if None in map(dict.get, people, repeat(key)):
            ann = next(a for a in people if a.get(key) is None)
            hint = "; for CrowdPose-style files (no area) use keypoint_set='crowdpose'"
            raise ValueError(
                f"ground truth {source}: annotation {ann.get('id')} (image {ann.get('image_id')}) has "
                f"no {key!r}, which the {keypoint_set} protocol needs"
                + (hint if key == "area" else "")
            )
    if num_keypoints is None:
        num_keypoints = len(people[0]["keypoints"]) // 3 if people else 0
    lengths = list(map(len, map(itemgetter("keypoints"), people)))
    if set(lengths) - {3 * num_keypoints}:
        i = next(i for i, n in enumerate(lengths) if n != 3 * num_keypoints)
        raise ValueError(
            f"ground truth {source}: annotation {people[i].get('id')} has {lengths[i]} keypoint "
            f"values, expected {3 * num_keypoints} ({num_keypoints} keypoints)"
        )
    crowd_index = None
    if keypoint_set == "crowdpose":
        by_id = dict(zip(image_ids.tolist(), images))  # a repeated id: the last entry, as the tools
        missing = [i for i, img in by_id.items() if img.get("crowdIndex") is None]
        if missing:
            raise ValueError(
                f"ground truth {source}: {len(missing)} of {len(by_id)} images have no 'crowdIndex' "
                f"(e.g. image id {missing[0]}); the CrowdPose protocol needs it for the easy/medium/"
                "hard split. Use the CrowdPose annotation files that carry it "
                "(mmpose_crowdpose_*.json / crowdpose_*.json)."
            )
        crowd_index = {i: float(img["crowdIndex"]) for i, img in by_id.items()}
    arrays = _people_arrays(people, num_keypoints, keypoint_set, source)
    return KeypointGroundTruth(data, arrays, keypoint_set, person_id, accepted, source,
                               np.unique(image_ids), crowd_index)  # fmt: skip


def checked_results(gt: KeypointGroundTruth, results, num_keypoints: int, source: str):
    """:func:`~.keypoint_results.check_results` against this GT: a :class:`KeypointResults`
    (``results`` may be a results json path, read by :func:`~.json_files.read_json_list`; ``source``
    "results" then becomes the path)."""
    if isinstance(results, (str, os.PathLike)):
        source = os.fspath(results) if source == "results" else source
        results = read_json_list(results, "results")
    return check_results(
        results,
        num_keypoints,
        image_ids=gt.image_ids,
        category_ids=gt.accepted_category_ids,
        gt_source=gt.source,
        source=source,
    )


@contextlib.contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector (restored on exit).

    The evaluation builds ~10^5 small dicts and lists; with the collector on, its repeated passes over
    them took longer than the evaluation itself (measured with ``benchmarks/bench_evaluation.py``).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _percent(value: float) -> float:
    return 100.0 * float(value) if value >= 0 else float("nan")


def _sigmas(sigmas, keypoint_set: str) -> List[float]:
    if sigmas is None:
        sigmas = get_keypoint_set_metadata(keypoint_set)["keypoint_oks_sigmas"]
    return [float(s) for s in sigmas]


def image_matches(
    gt: KeypointGroundTruth, results: KeypointResults, sigmas: Sequence[float], *, with_gt=False
) -> ImageMatches:
    """pycocotools ``evaluate()`` of checked results against a parsed GT (or a subset of it): the
    per-image matching of :func:`~.cocoeval_arrays.match_results`, result areas as ``loadRes`` sets
    them; ``with_gt`` also records the GT person each result matched."""
    return match_results(
        gt.people, gt.image_ids, results.image_ids, results.keypoints, results.scores, sigmas,
        dt_areas=None if results.boxes is None else results.areas, with_gt=with_gt,
    )  # fmt: skip


def _coco_stats(gt: KeypointGroundTruth, results: KeypointResults, sigmas) -> Dict[str, float]:
    stats = summarize_keypoints(*accumulate(image_matches(gt, results, sigmas)))
    return {name: _percent(value) for name, value in zip(COCO_METRIC_NAMES, stats)}


def _crowdpose_stats(gt: KeypointGroundTruth, results: KeypointResults, sigmas) -> Dict[str, float]:
    matches = image_matches(gt, results, sigmas)
    stats = dict(zip(COCO_METRIC_NAMES, summarize_keypoints(*accumulate(matches))))
    metrics = {name: _percent(stats[name]) for name in CROWDPOSE_METRIC_NAMES[:6]}
    first, second = CROWD_INDEX_THRESHOLDS
    crowd = np.array([gt.crowd_index[i] for i in gt.image_ids.tolist()], dtype=np.float64)
    subsets = {
        "APE": crowd < first,
        "APM": (first <= crowd) & (crowd < second),
        "APH": crowd >= second,
    }
    for name, images in subsets.items():
        if not images.any():  # crowdposetools: no image in the subset -> precision all -1
            metrics[name] = float("nan")
            continue
        precision, _ = accumulate(matches, images=images)
        # crowdposetools ``get_type_result``: mean of precision[:, :, :, area all, :], -1 included
        metrics[name] = _percent(np.mean(precision[:, :, :, 0, :]))
    return metrics


def coco_oks_ap(
    gt, results: Sequence[Dict], *, sigmas: Optional[Sequence[float]] = None, source="results"
) -> Dict[str, float]:
    """OKS AP of COCO-format keypoint results with pycocotools' statistics (COCO, OCHuman).

    Args:
        gt: GT json path, parsed dict, COCO-API object or :class:`KeypointGroundTruth`.
        results: list of ``{"image_id", "keypoints": [x, y, score] * K, "score"}`` (``category_id``
            optional: the GT's person id, or 1; ``bbox`` sets the result areas, as ``loadRes``), a
            results json path, or a :class:`~.keypoint_results.KeypointResults`, scored as given (no
            rescoring, no NMS); not modified.
        sigmas: K OKS sigmas (default COCO-17).
        source: name of the results in error messages.

    Returns:
        ``COCO_METRIC_NAMES`` -> percent (NaN: no GT in the range).
    """
    sigmas = _sigmas(sigmas, "coco")
    with gc_paused():
        gt = load_keypoint_gt(gt, "coco", num_keypoints=len(sigmas))
        return _coco_stats(gt, checked_results(gt, results, len(sigmas), source), sigmas)


def crowdpose_oks_ap(
    gt, results: Sequence[Dict], *, sigmas: Optional[Sequence[float]] = None, source="results"
) -> Dict[str, float]:
    """OKS AP of COCO-format keypoint results with crowdposetools' statistics (CrowdPose).

    Args and errors as :func:`coco_oks_ap` (default sigmas CrowdPose-14); the GT images need
    ``crowdIndex``.

    Returns:
        ``CROWDPOSE_METRIC_NAMES`` -> percent (NaN: no GT in that subset).
    """
    sigmas = _sigmas(sigmas, "crowdpose")
    with gc_paused():
        gt = load_keypoint_gt(gt, "crowdpose", num_keypoints=len(sigmas))
        return _crowdpose_stats(gt, checked_results(gt, results, len(sigmas), source), sigmas)


def compute_oks_ap(
    gt,
    results: Sequence[Dict],
    keypoint_set: str,
    sigmas: Optional[Sequence[float]] = None,
    source: str = "results",
) -> Dict[str, float]:
    """:func:`coco_oks_ap` for ``keypoint_set="coco"``, :func:`crowdpose_oks_ap` for ``"crowdpose"``."""
    if keypoint_set == "crowdpose":
        return crowdpose_oks_ap(gt, results, sigmas=sigmas, source=source)
    if keypoint_set == "coco":
        return coco_oks_ap(gt, results, sigmas=sigmas, source=source)
    raise ValueError(f"unknown keypoint_set {keypoint_set!r}; expected 'coco' or 'crowdpose'")

"""COCO-format keypoint results (what the OKS evaluation scores) as arrays, and their checks.

A result is one scored person: ``image_id``, ``keypoints`` ``[x, y, score] * K`` in original-image
pixel-index px, ``score``, optionally ``category_id`` (the COCO results format, cocodataset.org
"Results Format": keypoint detection).
"""

import itertools
import operator
from itertools import repeat
from operator import itemgetter
from typing import Dict, FrozenSet, List, Sequence

import numpy as np

__all__ = [
    "KeypointResults",
    "image_score_order",
    "stack_keypoint_lists",
    "image_ids_of",
    "check_image_ids",
    "check_categories",
    "check_results",
]


class KeypointResults:
    """N scored person results: ``image_ids`` (N,) int64, ``keypoints`` (N, K, 3) float64 [x, y, score]
    px, ``scores`` (N,) float64. Their order breaks score ties, as a results file's order does."""

    def __init__(self, image_ids, keypoints, scores):
        self.image_ids = np.asarray(image_ids, dtype=np.int64).reshape(-1)
        self.keypoints = np.asarray(keypoints, dtype=np.float64)
        self.scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        n = len(self.image_ids)
        if self.keypoints.ndim != 3 or len(self.keypoints) != n or len(self.scores) != n:
            raise ValueError(
                f"KeypointResults: inconsistent shapes: image_ids {n}, keypoints "
                f"{self.keypoints.shape} (expected (N, K, 3)), scores {len(self.scores)}"
            )

    def __len__(self) -> int:
        return len(self.image_ids)

    def to_coco(self, category_id: int) -> List[Dict]:
        """The COCO results list (json-serialisable, full precision)."""
        kpts = self.keypoints.reshape(len(self), -1).tolist()
        return [
            {"image_id": i, "category_id": category_id, "keypoints": k, "score": s}
            for i, k, s in zip(self.image_ids.tolist(), kpts, self.scores.tolist())
        ]


def image_score_order(image_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(N,) int64 indices that order results by image id, then score descending, ties in input order:
    ``np.lexsort((-scores, image_ids))``, computed as two stable sorts (the same order, 2-3x faster)."""
    by_score = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    return by_score[np.argsort(np.asarray(image_ids)[by_score], kind="stable")]


def stack_keypoint_lists(records: Sequence, num_keypoints: int) -> np.ndarray:
    """(N, K, 3) float64 from the records' ``keypoints`` (flat lists of 3K numbers, or arrays).

    Raises:
        KeyError, TypeError, ValueError or IndexError when a record has no or malformed keypoints (the
        callers locate the record).
    """
    n = len(records)
    kpts = list(map(itemgetter("keypoints"), records))
    size = 3 * num_keypoints
    if set(map(type, kpts)) == {list} and set(map(len, kpts)) == {size}:  # json: 2x faster
        flat = itertools.chain.from_iterable(kpts)
        return np.fromiter(flat, dtype=np.float64, count=n * size).reshape(n, num_keypoints, 3)
    if not n:
        return np.zeros((0, num_keypoints, 3))
    return np.array(kpts, dtype=np.float64).reshape(n, num_keypoints, 3)


def check_results(
    results,
    num_keypoints: int,
    *,
    image_ids: np.ndarray,
    category_ids: FrozenSet[int],
    gt_source: str,
    source: str = "results",
) -> KeypointResults:
    """Validate COCO-format results against a GT and stack them.

    Args:
        results: a list of result dicts (module docstring) or :class:`KeypointResults` (checked too).
        num_keypoints: K.
        image_ids: (I,) the GT's image ids; category_ids: the ``category_id`` values that mean person
            (absent also means person); gt_source: the GT's name in messages.
        source: the results' name in messages.

    Raises:
        ValueError naming ``source`` and the result index: a missing or malformed field, a number of
        keypoint values other than 3K, a non-finite score or keypoint, an image not in the GT, another
        category.
    """
    if not isinstance(results, KeypointResults):
        results = _stack_results(results, num_keypoints, category_ids, gt_source, source)
    if results.keypoints.shape[1:] != (num_keypoints, 3):
        raise ValueError(
            f"{source}: keypoints {results.keypoints.shape[1:]}, expected ({num_keypoints}, 3)"
        )
    finite = np.isfinite(results.keypoints).all(axis=(1, 2)) & np.isfinite(results.scores)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"{source}, result {i}: keypoints or score contain NaN or inf "
            f"({int((~finite).sum())} such results)"
        )
    check_image_ids(results.image_ids, image_ids, gt_source=gt_source, source=source, noun="result")
    return results


def check_image_ids(ids: np.ndarray, known: np.ndarray, *, gt_source: str, source: str, noun: str):
    """Every id of ``ids`` is one of the GT's image ids ``known``.

    Raises:
        ValueError naming ``source`` and the first ``noun`` (record / result) with another id.
    """
    unknown = ~np.isin(ids, known)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise ValueError(
            f"{source}, {noun} {i}: image_id {int(ids[i])} is not an image of the ground truth "
            f"{gt_source} ({int(unknown.sum())} {noun}s have unknown image ids)"
        )


def _stack_results(results: Sequence[Dict], num_keypoints: int, category_ids, gt_source, source):
    n = len(results)
    try:  # one C-level pass per field; a failure is located by the per-result pass of _locate
        image_ids = image_ids_of(results, source)
        keypoints = stack_keypoint_lists(results, num_keypoints)
        scores = np.fromiter(map(itemgetter("score"), results), np.float64, count=n)
    except (KeyError, TypeError, IndexError) as e:
        raise _locate(results, num_keypoints, source) from e
    except ValueError as e:
        if str(e).startswith(source):
            raise
        raise _locate(results, num_keypoints, source) from e
    check_categories(results, category_ids, source=source, noun="result", gt_source=gt_source)
    return KeypointResults(image_ids, keypoints, scores)


def check_categories(
    records: Sequence, category_ids: FrozenSet[int], *, source: str, noun: str, gt_source=None
):
    """Every record's ``category_id`` (absent: person) is one of ``category_ids``.

    Args:
        records: prediction or result mappings; noun: "record" / "result" in messages;
        gt_source: the GT's name, when the message should name it.

    Raises:
        ValueError naming ``source`` and the first ``noun`` of another category.
    """
    person = min(category_ids)  # any accepted id: an absent category_id means person
    category = operator.methodcaller("get", "category_id", person)
    try:  # dict.get is 3x faster than the method call, for dicts only
        found = set(map(dict.get, records, repeat("category_id"), repeat(person)))
    except TypeError:
        found = set(map(category, records))
    if not found <= category_ids:
        i = next(i for i, r in enumerate(records) if category(r) not in category_ids)
        what = "person" if gt_source is None else f"the person category of {gt_source}"
        raise ValueError(
            f"{source}, {noun} {i}: category_id {category(records[i])} is not {what} "
            f"(accepted: {sorted(category_ids)})"
        )


def image_ids_of(records: Sequence[Dict], source: str) -> np.ndarray:
    """(N,) int64 ``image_id`` of each record; a fractional or non-finite id is an error naming the
    record (never truncated).

    Raises:
        ValueError naming ``source`` and the record; KeyError / TypeError for a missing or non-numeric
        id.
    """
    values = np.fromiter(map(itemgetter("image_id"), records), np.float64, count=len(records))
    whole = np.isfinite(values) & (values == np.round(values))
    if not whole.all():
        i = int(np.flatnonzero(~whole)[0])
        raise ValueError(
            f"{source}, record {i}: image_id {records[i]['image_id']!r} is not an integer"
        )
    return values.astype(np.int64)


def _locate(results: Sequence, num_keypoints: int, source: str) -> ValueError:
    """The error for the first malformed result (the fast path above failed somewhere)."""
    for i, r in enumerate(results):
        try:
            kpts = r["keypoints"]
            float(r["score"])
            int(r["image_id"])
            if len(kpts) != 3 * num_keypoints:
                return ValueError(
                    f"{source}, result {i}: {len(kpts)} keypoint values, expected "
                    f"{3 * num_keypoints} ({num_keypoints} keypoints)"
                )
            np.asarray(kpts, dtype=np.float64)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            return ValueError(
                f"{source}, result {i}: expected image_id, keypoints ([x, y, score] * "
                f"{num_keypoints}) and score ({type(e).__name__}: {e})"
            )
    return ValueError(f"{source}: malformed results")

"""Object keypoint similarity (OKS) between predictions, and greedy OKS-NMS. Pure numpy.

The formulas are those of MMPose 1.x ``mmpose/evaluation/functional/nms.py`` (``oks_iou``,
``oks_nms``): for two poses with areas ``a_1``, ``a_2``,
``e_k = d_k^2 / (2 sigma_k)^2 / ((a_1 + a_2) / 2 + eps) / 2`` and ``OKS = mean_k exp(-e_k)`` over all K
joints (:func:`_oks` is the one place it is written). NMS visits instances by decreasing score and keeps
one when its OKS with every kept instance is ``<= thr``.

**Precision:** the OKS is computed and compared in float64. MMPose stores each OKS in a float32 array
before comparing it, so a pair with float64 OKS in (0.9, 0.9 + 6e-9] (float32 rounds it to 0.9f, below
0.9) is kept by MMPose and suppressed here; any other pair gets the same decision. float64 is LJOF's
choice because the sigmas and every other OKS of the evaluation are float64 as in pycocotools
(``tests/evaluation/test_official_semantics.py`` has the boundary case).

Hand-written because no maintained library offers OKS-NMS (pycocotools only computes OKS against ground
truth). :func:`batched_oks_nms` runs all images at once: instances are padded into (images, M) slots and
the greedy pass is a loop over the M slots, vectorised across images, with blocks of images on a few
threads (:mod:`.threads`); each step tests the kept instance in that slot against the later, not yet
suppressed slots only, and computes the full OKS only for pairs that two cheap upper bounds cannot rule
out (:class:`_PairTest`; the first is evaluated on whole (images, slots) arrays, without gathers), so
100k instances take 0.10-0.13 s on 2 threads (``benchmarks/bench_evaluation.py --stages``).
"""

from typing import Sequence

import numpy as np

from .keypoint_results import image_score_order
from .threads import num_workers, thread_map

__all__ = ["oks_iou", "oks_nms", "batched_oks_nms", "keypoint_extent_area"]

_EPS = np.spacing(1)
# Upper bound of slots (images x M) of one block of groups padded to M slots.
_BLOCK_SLOTS = 1 << 17


def _variances(sigmas: Sequence[float]) -> np.ndarray:
    return (np.asarray(sigmas, dtype=np.float64) * 2) ** 2


def _oks(
    sq_dist: np.ndarray, area_a: np.ndarray, area_b: np.ndarray, var: np.ndarray
) -> np.ndarray:
    """OKS from squared joint distances (..., K) (overwritten) and the two areas (...), broadcast.

    Operations in MMPose's order, so that the values (and ties at the NMS threshold) match it bit for bit.
    """
    e = sq_dist
    e /= var
    e /= ((area_a + area_b) / 2 + _EPS)[..., None]
    e /= 2
    np.negative(e, out=e)
    np.exp(e, out=e)
    return e.sum(axis=-1) / e.shape[-1]


def keypoint_extent_area(keypoints: np.ndarray) -> np.ndarray:
    """(N, K, 2+) keypoints (px) -> (N,) area (px^2) of the box spanned by all K keypoints.

    The OKS-NMS scale of a prediction that carries neither ``area`` nor ``bbox``.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.shape[1] == 0:
        return np.zeros(len(keypoints))
    span = keypoints[..., :2].max(axis=1) - keypoints[..., :2].min(axis=1)
    return span[:, 0] * span[:, 1]


def oks_iou(
    pose: np.ndarray, poses: np.ndarray, area: float, areas: np.ndarray, sigmas: Sequence[float]
) -> np.ndarray:
    """OKS of one pose against N others.

    Args:
        pose: (K, 2+) keypoints (x, y, ...) in px.
        poses: (N, K, 2+) keypoints in px.
        area: area (px^2) of ``pose``; areas: (N,) areas of ``poses``.
        sigmas: K per-joint OKS sigmas.

    Returns:
        (N,) float64 OKS values in [0, 1].
    """
    pose = np.asarray(pose, dtype=np.float64)[..., :2]
    poses = np.asarray(poses, dtype=np.float64)[..., :2]
    if poses.ndim != 3 or pose.shape != poses.shape[1:]:
        raise ValueError(f"oks_iou: pose {pose.shape} and poses {poses.shape} do not match")
    sq_dist = ((poses - pose[None]) ** 2).sum(axis=-1)  # (N, K)
    return _oks(sq_dist, np.float64(area), np.asarray(areas, dtype=np.float64), _variances(sigmas))


def oks_nms(
    keypoints: np.ndarray,
    scores: np.ndarray,
    areas: np.ndarray,
    thr: float,
    sigmas: Sequence[float],
) -> np.ndarray:
    """Greedy OKS-NMS over the instances of one image.

    Args:
        keypoints: (N, K, 2+) keypoints in px; scores: (N,); areas: (N,) px^2.
        thr: an instance is suppressed when its OKS with a kept, higher-scored one is ``> thr``.
        sigmas: K per-joint OKS sigmas.

    Returns:
        int64 indices of the kept instances, highest score first.
    """
    keypoints = np.asarray(keypoints)
    return batched_oks_nms(
        np.zeros(len(keypoints), np.int64), keypoints, scores, areas, thr, sigmas
    )


def _score_order(group: np.ndarray, scores: np.ndarray) -> np.ndarray:
    # By group, then score descending; ties: later instance first (MMPose sorts with
    # ``scores.argsort()[::-1]``, which for its small per-image arrays is a reversed stable sort).
    # A stable sort of the reversed arrays puts later instances first among ties.
    reverse = np.arange(len(scores))[::-1]
    return reverse[image_score_order(np.asarray(group)[reverse], np.asarray(scores)[reverse])]


def batched_oks_nms(
    groups: np.ndarray,
    keypoints: np.ndarray,
    scores: np.ndarray,
    areas: np.ndarray,
    thr: float,
    sigmas: Sequence[float],
) -> np.ndarray:
    """OKS-NMS run independently within each group (image), vectorised over groups.

    Args:
        groups: (N,) integer group (image) id of each instance.
        keypoints: (N, K, 2+) keypoints in px; scores: (N,); areas: (N,) px^2.
        thr, sigmas: as :func:`oks_nms`.

    Returns:
        int64 indices of the kept instances, ordered by group, then score descending.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    n = len(keypoints)
    if not (len(groups) == len(scores) == len(areas) == n):
        raise ValueError(
            f"batched_oks_nms: lengths differ (groups {len(groups)}, keypoints {n}, "
            f"scores {len(scores)}, areas {len(areas)})"
        )
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if keypoints.ndim != 3 or keypoints.shape[1] != len(sigmas):
        raise ValueError(
            f"batched_oks_nms: keypoints {keypoints.shape} do not match {len(sigmas)} sigmas"
        )
    order = _score_order(np.asarray(groups), scores)
    sorted_groups = np.asarray(groups)[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    counts = np.diff(np.r_[starts, n])
    keep = np.zeros(n, dtype=bool)  # indexed by position in ``order``
    keep[starts[counts == 1]] = True  # a group of one keeps its instance
    multi = np.flatnonzero(counts > 1)
    if len(multi):
        pairs = _PairTest(keypoints, np.asarray(areas, dtype=np.float64), thr, sigmas)
        by_size = multi[np.argsort(counts[multi], kind="stable")]
        blocks = [by_size[i:j] for i, j in _blocks(counts[by_size], num_workers())]
        # each block writes only its own groups' elements of ``keep``
        thread_map(lambda b: _nms_block(starts[b], counts[b], order, pairs, keep), blocks)
    return order[keep]


def _blocks(sizes: np.ndarray, workers: int):
    """[start, end) ranges that split groups of ascending ``sizes`` into blocks of similar size
    (padding stays small) of at most _BLOCK_SLOTS padded slots, and of at most 1/``workers`` of the
    work (pairs, ~size^2) each, so that ``workers`` threads share it (a single group over either limit
    is a block alone); largest work first."""
    work = np.cumsum(sizes.astype(np.float64) ** 2)
    share = work[-1] / workers * (1 + 1e-9)
    ranges, i = [], 0
    while i < len(sizes):
        done = work[i - 1] if i else 0.0
        # padded slots and work of the block if it ended at each later group
        slots = np.arange(1, len(sizes) - i + 1) * sizes[i:]
        over = (slots > _BLOCK_SLOTS) | (work[i:] - done > share)
        j = i + max(1, int(np.argmax(over))) if over.any() else len(sizes)
        ranges.append((i, j, work[j - 1] - done))
        i = j
    return [(i, j) for i, j, _ in sorted(ranges, key=lambda r: -r[2])]


class _PairTest:
    """Decides ``OKS(a, b) > thr`` for arrays of instance pairs, computing the full OKS (:func:`_oks`,
    bit for bit as :func:`oks_iou`) only for pairs two cheap upper bounds cannot rule out:

    1. every joint distance is at least the gap between the two poses' keypoint boxes, so
       ``OKS <= exp(-gap^2 / (2 max(var) scale))``;
    2. each joint term ``exp(-e_k)`` is at most 1, so ``K OKS <= sum_{k in S} exp(-e_k) + K - |S|``
       for the joints S with the smallest sigmas (terms computed as in :func:`_oks`).

    When S is used, bound 1 is taken on the boxes of the S joints instead (each of their distances is
    at least the gap between those boxes, so ``sum_S exp(-e_k) <= |S| exp(-gap_S^2 / (2 max_S(var)
    scale))``, which must reach bound 2's threshold): a face-sized box rules out far more pairs.

    Both hold for a positive scale ``(a_a + a_b) / 2 + eps`` and are tested with a margin (1e-9) far
    above float rounding; pairs with another scale, and every pair when ``thr`` is outside (0, 1),
    get the full OKS.
    """

    def __init__(self, keypoints, areas, thr, sigmas):
        self.x = np.ascontiguousarray(keypoints[:, :, 0])  # (N, K) rows: gathers take whole rows
        self.y = np.ascontiguousarray(keypoints[:, :, 1])
        self.areas, self.thr = areas, thr
        self.var = _variances(sigmas)
        num_joints = len(self.var)
        self.bound = 0.0 < thr < 1.0
        if self.bound:
            # |S| such that the S terms must sum to more than 2 (COCO at 0.9: 4 joints, > 2.3);
            # not worth it when S would be over half the joints
            size = int(np.ceil(num_joints * (1.0 - thr))) + 2
            self.subset = None
            if 2 * size <= num_joints:
                self.subset = np.argsort(self.var, kind="stable")[:size]
            box_x, box_y = self.x, self.y
            # box bound in the form gap^2 <= limit x (area_a + area_b + 2 eps), margin 1e-9 on OKS
            self.gap_limit = -np.log(thr * (1.0 - 1e-9)) * (1.0 + 1e-9) * self.var.max()
            if self.subset is not None:
                self.sub_x = np.ascontiguousarray(self.x[:, self.subset])
                self.sub_y = np.ascontiguousarray(self.y[:, self.subset])
                self.sub_var = self.var[self.subset]
                self.sub_thr = (num_joints * thr - (num_joints - size)) - 1e-9
                per_joint = self.sub_thr * (1.0 - 1e-9) / size
                if 0.0 < per_joint < 1.0:  # bound 1 on the S joints' boxes: tighter (see above)
                    box_x, box_y = self.sub_x, self.sub_y
                    self.gap_limit = -np.log(per_joint) * (1.0 + 1e-9) * self.sub_var.max()
            x_t, y_t = box_x.T.copy(), box_y.T.copy()  # (joints, N): reductions along rows, faster
            self.x_lo, self.x_hi = x_t.min(axis=0), x_t.max(axis=0)
            self.y_lo, self.y_hi = y_t.min(axis=0), y_t.max(axis=0)

    def slots(self, idx: np.ndarray):
        """The per-instance arrays of bound 1 in the (groups, slots) layout of ``idx``."""
        return tuple(v[idx] for v in (self.x_lo, self.x_hi, self.y_lo, self.y_hi, self.areas))

    def near(self, boxes, s: int) -> np.ndarray:
        """(G, M - s - 1) bool: bound 1 cannot rule out OKS > thr between slot ``s`` and each later
        slot, for every group (``boxes`` from :meth:`slots`; only with ``self.bound``)."""
        x_lo, x_hi, y_lo, y_hi, areas = boxes
        a, b = slice(s, s + 1), slice(s + 1, None)
        gap = np.maximum(np.maximum(x_lo[:, b] - x_hi[:, a], x_lo[:, a] - x_hi[:, b]), 0.0)
        gap2 = gap * gap
        gap = np.maximum(np.maximum(y_lo[:, b] - y_hi[:, a], y_lo[:, a] - y_hi[:, b]), 0.0)
        gap2 += gap * gap
        limit = areas[:, b] + areas[:, a]
        limit += 2 * _EPS
        limit *= self.gap_limit
        return (gap2 <= limit) | (limit <= 0)  # scale <= 0: no bound holds

    def over(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(P,) bool: OKS of instance ``a[p]`` (the higher-scored) with ``b[p]`` is ``> thr``, for
        pairs that :meth:`near` kept (all pairs when not ``self.bound``)."""
        result = np.zeros(len(a), dtype=bool)
        cand = np.arange(len(a))
        if self.bound and self.subset is not None and len(cand):
            scale = (self.areas[a] + self.areas[b]) / 2 + _EPS
            e = (np.take(self.sub_x, b, axis=0) - np.take(self.sub_x, a, axis=0)) ** 2
            e += (np.take(self.sub_y, b, axis=0) - np.take(self.sub_y, a, axis=0)) ** 2
            e /= self.sub_var
            e /= scale[:, None]
            e /= 2
            np.negative(e, out=e)
            np.exp(e, out=e)
            cand = cand[(e.sum(axis=1) >= self.sub_thr) | (scale <= 0)]
        if len(cand):
            ca, cb = a[cand], b[cand]
            sq_dist = (np.take(self.x, cb, axis=0) - np.take(self.x, ca, axis=0)) ** 2  # (P, K)
            sq_dist += (np.take(self.y, cb, axis=0) - np.take(self.y, ca, axis=0)) ** 2
            result[cand] = _oks(sq_dist, self.areas[ca], self.areas[cb], self.var) > self.thr
        return result


def _nms_block(starts, counts, order, pairs: _PairTest, keep) -> None:
    """Greedy NMS of groups (``starts``/``counts`` in ``order``, counts ascending) padded to the
    largest count ``m``, as a loop over the slots vectorised across groups; sets ``keep`` (positions
    in ``order``)."""
    m = int(counts.max())
    slot = np.arange(m)
    valid = slot[None, :] < counts[:, None]  # (G, m)
    pos = np.where(valid, starts[:, None] + slot[None, :], 0)  # position in ``order``
    idx = order[pos]  # instance index of each slot
    suppressed = ~valid
    boxes = pairs.slots(idx) if pairs.bound else None
    for s in range(m - 1):
        # groups with a slot after s (a suffix: counts ascend), whose slot s survives (it is kept),
        # and the later slots it may suppress
        first = int(np.searchsorted(counts, s + 2))
        test = ~suppressed[first:, s + 1 :]
        test &= ~suppressed[first:, s, None]
        if boxes is not None:
            test &= pairs.near(tuple(v[first:] for v in boxes), s)
        g, t = np.nonzero(test)
        if len(g) == 0:
            continue
        g += first
        t += s + 1
        over = pairs.over(idx[g, s], idx[g, t])
        suppressed[g[over], t[over]] = True
    keep[pos[~suppressed]] = True

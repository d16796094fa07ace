"""Object keypoint similarity (OKS) between predictions, and greedy OKS-NMS. Pure numpy.

The formulas are those of MMPose 1.x ``mmpose/evaluation/functional/nms.py`` (``oks_iou``,
``oks_nms``): for two poses with areas ``a_1``, ``a_2``,
``e_k = d_k^2 / (2 sigma_k)^2 / ((a_1 + a_2) / 2 + eps) / 2`` and ``OKS = mean_k exp(-e_k)`` over all K
joints (:func:`_oks` is the one place it is written). NMS visits instances by decreasing score and keeps
one when its OKS with every kept instance is ``<= thr``.

Hand-written because no maintained library offers OKS-NMS (pycocotools only computes OKS against ground
truth). :func:`batched_oks_nms` runs all images at once: instances are padded into (images, M) slots and
the greedy pass is a loop over the M slots, vectorised across images; each step computes the OKS of the
kept instance in that slot with the later slots only, so 100k instances take a fraction of a second.
"""

from typing import Sequence

import numpy as np

__all__ = ["oks_iou", "oks_nms", "batched_oks_nms", "keypoint_extent_area"]

_EPS = np.spacing(1)
# Upper bound of elements of one (images, M, K) block of padded keypoints (float64: 8 bytes each).
_BLOCK_ELEMENTS = 1 << 21


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
    scores = np.asarray(scores, dtype=np.float64)[reverse]
    return reverse[np.lexsort((-scores, np.asarray(group)[reverse]))]


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
    var = _variances(sigmas)
    areas = np.asarray(areas, dtype=np.float64)
    # x and y as contiguous (N, K) rows: the gathers below take whole rows (faster than 3-D indexing)
    x, y = np.ascontiguousarray(keypoints[:, :, 0]), np.ascontiguousarray(keypoints[:, :, 1])
    order = _score_order(np.asarray(groups), scores)
    sorted_groups = np.asarray(groups)[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    counts = np.diff(np.r_[starts, n])
    keep = np.zeros(n, dtype=bool)  # indexed by position in ``order``
    singles = starts[counts == 1]
    keep[singles] = True  # a group of one keeps its instance
    # Process the other groups in blocks of similar size so padding stays small.
    multi = np.flatnonzero(counts > 1)
    by_size = multi[np.argsort(counts[multi], kind="stable")]
    num_joints = keypoints.shape[1]
    i = 0
    while i < len(by_size):
        j = i + 1
        while j < len(by_size) and (j - i + 1) * counts[by_size[j]] * num_joints <= _BLOCK_ELEMENTS:
            j += 1
        block = by_size[i:j]
        m = counts[block[-1]]
        _nms_block(starts[block], counts[block], m, order, x, y, areas, var, thr, keep)
        i = j
    return order[keep]


def _nms_block(starts, counts, m, order, x, y, areas, var, thr, keep) -> None:
    """Greedy NMS of groups padded to ``m`` slots; writes ``keep`` (positions in ``order``)."""
    slot = np.arange(m)
    valid = slot[None, :] < counts[:, None]  # (G, m)
    pos = np.where(valid, starts[:, None] + slot[None, :], 0)  # position in ``order``
    idx = order[pos]
    x = np.take(x, idx.ravel(), axis=0)  # (G * m, K): row g * m + s is slot s of group g
    y = np.take(y, idx.ravel(), axis=0)
    area = areas[idx]  # (G, m)
    # Pairs that cannot reach ``thr`` are skipped: every joint distance is at least the gap between the
    # two poses' keypoint boxes, so OKS <= exp(-gap^2 / (2 max(var) scale)) (the factor 1 - 1e-9 keeps
    # the test clear of rounding).
    prune = 0.0 < thr < 1.0
    if prune:
        x_lo, x_hi = x.min(-1).reshape(-1, m), x.max(-1).reshape(-1, m)
        y_lo, y_hi = y.min(-1).reshape(-1, m), y.max(-1).reshape(-1, m)
        bound_thr = thr * (1.0 - 1e-9)
        bound_den = -2.0 * var.max()
    suppressed = ~valid
    kept = np.zeros_like(valid)
    for s in range(m):
        rows = np.flatnonzero(~suppressed[:, s])  # groups whose slot s survives: it is kept
        kept[rows, s] = True
        if s == m - 1 or len(rows) == 0:
            continue
        later = slice(s + 1, m)
        scale = (area[rows, s, None] + area[rows, later]) / 2 + _EPS
        todo = ~suppressed[rows, later]
        if prune:
            gap2 = _box_gap(x_lo, x_hi, rows, s, later) ** 2
            gap2 += _box_gap(y_lo, y_hi, rows, s, later) ** 2
            todo &= np.exp(gap2 / bound_den / scale) >= bound_thr
        r, t = np.nonzero(todo)
        if len(r) == 0:
            continue
        g, t = rows[r], t + s + 1
        first, second = g * m + s, g * m + t  # rows of x, y
        sq_dist = (np.take(x, second, axis=0) - np.take(x, first, axis=0)) ** 2  # (pairs, K)
        sq_dist += (np.take(y, second, axis=0) - np.take(y, first, axis=0)) ** 2
        over = _oks(sq_dist, area[g, s], area[g, t], var) > thr
        suppressed[g[over], t[over]] = True
    keep[pos[kept]] = True


def _box_gap(lo, hi, rows, s, later):
    """Gap (>= 0) along one axis between the keypoint box of slot ``s`` and those of ``later``."""
    gap = np.maximum(lo[rows, later] - hi[rows, s, None], lo[rows, s, None] - hi[rows, later])
    return np.maximum(gap, 0.0)

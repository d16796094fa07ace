"""Object keypoint similarity (OKS) between predictions, and greedy OKS-NMS. Pure numpy.

The formulas are those of MMPose's ``oks_iou`` / ``oks_nms`` (reference.md §1.6): for two poses with
areas ``a_1``, ``a_2``, ``e_k = d_k^2 / (2 sigma_k)^2 / ((a_1 + a_2) / 2 + eps) / 2`` and
``OKS = mean_k exp(-e_k)`` over all K joints. NMS visits instances by decreasing score and keeps one when
its OKS with every kept instance is ``<= thr``.

Hand-written because no maintained library offers OKS-NMS (pycocotools only computes OKS against ground
truth). :func:`batched_oks_nms` runs all images at once: instances are padded into (images, M) slots and
the greedy pass is a loop over the M slots, vectorised across images, so 100k instances take well under
a second.
"""

from typing import Sequence

import numpy as np

__all__ = ["oks_iou", "oks_nms", "batched_oks_nms"]

_EPS = np.spacing(1)
# Upper bound of elements of one (images, M, M, K) OKS block (float64: 8 bytes each).
_BLOCK_ELEMENTS = 1 << 22


def _variances(sigmas: Sequence[float]) -> np.ndarray:
    return (np.asarray(sigmas, dtype=np.float64) * 2) ** 2


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
    d2 = ((poses - pose[None]) ** 2).sum(axis=-1)  # (N, K)
    scale = (float(area) + np.asarray(areas, dtype=np.float64)) / 2 + _EPS
    e = d2 / _variances(sigmas) / scale[:, None] / 2
    return np.exp(-e).sum(axis=-1) / e.shape[-1]


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
    idx = np.arange(len(scores))
    return np.lexsort((-idx, -np.asarray(scores, dtype=np.float64), group))


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
    order = _score_order(np.asarray(groups), scores)
    sorted_groups = np.asarray(groups)[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    counts = np.diff(np.r_[starts, n])
    keep = np.zeros(n, dtype=bool)  # indexed by position in ``order``
    # Process groups in blocks of similar size so padding stays small.
    by_size = np.argsort(counts, kind="stable")
    i = 0
    num_joints = keypoints.shape[1]
    while i < len(by_size):
        m = counts[by_size[i]]
        j = i + 1
        while j < len(by_size):
            m_next = counts[by_size[j]]
            if (j - i + 1) * m_next * m_next * num_joints > _BLOCK_ELEMENTS:
                break
            m = m_next
            j += 1
        block = by_size[i:j]
        _nms_block(starts[block], counts[block], m, order, keypoints, areas, var, thr, keep)
        i = j
    return order[keep]


def _nms_block(starts, counts, m, order, keypoints, areas, var, thr, keep) -> None:
    """Greedy NMS of groups padded to ``m`` slots; writes ``keep`` (positions in ``order``)."""
    slot = np.arange(m)
    valid = slot[None, :] < counts[:, None]  # (G, m)
    pos = np.where(valid, starts[:, None] + slot[None, :], 0)  # position in ``order``
    idx = order[pos]
    x, y = keypoints[idx, :, 0], keypoints[idx, :, 1]  # (G, m, K)
    area = np.asarray(areas, dtype=np.float64)[idx]  # (G, m)
    # e = (dx^2 + dy^2) / var / ((a_i + a_j) / 2 + eps) / 2, in MMPose's order of operations, in place.
    e = (x[:, :, None] - x[:, None, :]) ** 2  # (G, m, m, K)
    e += (y[:, :, None] - y[:, None, :]) ** 2
    e /= var
    e /= ((area[:, :, None] + area[:, None, :]) / 2 + _EPS)[..., None]
    e /= 2
    np.negative(e, out=e)
    np.exp(e, out=e)
    oks = e.sum(axis=-1) / e.shape[-1]  # (G, m, m)
    suppressed = ~valid
    kept = np.zeros_like(valid)
    for s in range(m):
        kept[:, s] = ~suppressed[:, s]
        suppressed |= kept[:, s, None] & (oks[:, s, :] > thr)
    keep[pos[kept]] = True

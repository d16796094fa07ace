"""pycocotools' keypoint ``COCOeval`` (evaluate, accumulate, summarize) computed on arrays.

Source: cocodataset/cocoapi ``PythonAPI/pycocotools/cocoeval.py`` (``computeOks``, ``evaluateImg``,
``accumulate``, ``summarize``, ``Params.setKpParams``), ``iouType="keypoints"``, one category, maxDets 20.
The same arithmetic in the same order: the OKS of every (result, GT) pair is bit-identical to
``computeOks``' (tested), matching is pycocotools' greedy loop run for all images at once (images where
no result reaches OKS 0.5 with two GT people take a shortcut with the same outcome: at each threshold,
each GT matches its first result by rank that reaches it, a crowd region every such result), and the
precision / recall arrays are built and averaged as ``accumulate`` / ``summarize`` do. Chunks of images
in the matching and area ranges in ``accumulate`` run on a few threads (:mod:`.threads`).

Hand-written because the fastest exact library, hotcoco 1.3, takes keypoint results only as Python
dicts: building ~70k of them and reading them back was about a quarter of a whole evaluation
(``benchmarks/bench_evaluation.py --stages``); here the results stay numpy arrays end to end.
"""

from typing import Optional, Sequence, Tuple

import numpy as np

from .keypoint_results import image_score_order
from .threads import num_workers, thread_map

__all__ = [
    "IOU_THRESHOLDS",
    "RECALL_THRESHOLDS",
    "AREA_RANGES",
    "MAX_DETS",
    "GroundTruthPeople",
    "ImageMatches",
    "cocoeval_oks",
    "match_results",
    "accumulate",
    "accumulate_resampled",
    "summarize_keypoints",
    "summarize_resampled",
]

# Params.setKpParams: thresholds exactly as pycocotools builds them (AP75 looks 0.75 up by equality).
IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
AREA_RANGES = ((0**2, 1e5**2), (32**2, 96**2), (96**2, 1e5**2))  # all, medium, large (px^2)
MAX_DETS = 20
# Upper bound on the elements of one matching state array (images x areas x thresholds x GT slots).
_CHUNK_ELEMENTS = 4_000_000
# Upper bound on the elements of one of accumulate_resampled's cumulative count arrays
# (multisets x thresholds x results; a few int64 arrays of it at once).
_ACCUMULATE_ELEMENTS = 1_000_000


class GroundTruthPeople:
    """The person annotations of a GT json as arrays, in json order (G people).

    Attributes:
        image_ids: (G,) int64; ids: (G,) int64 annotation ids; keypoints: (G, K, 3) float64 [x, y, v];
        areas: (G,) float64 px^2, the OKS scale; boxes: (G, 4) float64 [x, y, w, h] (NaN where absent,
        used only for people without a labelled keypoint); iscrowd: (G,) bool; ignore: (G,) bool,
        ``iscrowd or num_keypoints == 0`` (pycocotools ``_prepare`` for keypoints).
    """

    def __init__(self, image_ids, ids, keypoints, areas, boxes, iscrowd, num_keypoints):
        self.image_ids = np.asarray(image_ids, dtype=np.int64).reshape(-1)
        self.ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        self.keypoints = np.asarray(keypoints, dtype=np.float64)
        self.areas = np.asarray(areas, dtype=np.float64).reshape(-1)
        self.boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        self.iscrowd = np.asarray(iscrowd, dtype=bool).reshape(-1)
        self.ignore = self.iscrowd | (np.asarray(num_keypoints).reshape(-1) == 0)
        # planar copies for the OKS of many pairs (contiguous gathers)
        self.x = np.ascontiguousarray(self.keypoints[..., 0])
        self.y = np.ascontiguousarray(self.keypoints[..., 1])
        self.visible = self.keypoints[..., 2] > 0
        # box of the labelled joints (for a bound on the OKS; inf / -inf for a person without any)
        self.x_lo = np.where(self.visible, self.x, np.inf).min(axis=1, initial=np.inf)
        self.x_hi = np.where(self.visible, self.x, -np.inf).max(axis=1, initial=-np.inf)
        self.y_lo = np.where(self.visible, self.y, np.inf).min(axis=1, initial=np.inf)
        self.y_hi = np.where(self.visible, self.y, -np.inf).max(axis=1, initial=-np.inf)

    def __len__(self) -> int:
        return len(self.image_ids)


class ImageMatches:
    """What ``evaluateImg`` returns, for every image at once (A area ranges, T OKS thresholds).

    Attributes:
        dt_image: (M,) int64 index into the sorted GT image ids of each result kept (the top
            ``MAX_DETS`` of its image by score), in ``accumulate``'s concatenation order (image, then
            score descending, ties in results order); dt_scores: (M,) float64;
        dt_index: (M,) int64 index of each kept result in the input results;
        dt_matched: (A, T, M) bool, ``dtMatches != 0``; dt_ignored: (A, T, M) bool, ``dtIgnore``;
        gt_image: (G,) int64 image index of each GT person; gt_ignored: (A, G) bool, ``gtIgnore``;
        dt_gt: (A, T, M) int64 index into the GT people of the person each result matched (-1: none;
            ``dtMatches`` as a person index, set also where the GT id is 0), or None when
            :func:`match_results` was not asked for it.
    """

    def __init__(self, dt_image, dt_scores, dt_matched, dt_ignored, gt_image, gt_ignored,
                 dt_index, dt_gt=None):  # fmt: skip
        self.dt_image = dt_image
        self.dt_index = dt_index
        self.dt_gt = dt_gt
        self.dt_scores = dt_scores
        self.dt_matched = dt_matched
        self.dt_ignored = dt_ignored
        self.gt_image = gt_image
        self.gt_ignored = gt_ignored


def cocoeval_oks(dt_x, dt_y, gt_x, gt_y, gt_visible, gt_areas, gt_boxes, sigmas) -> np.ndarray:
    """OKS of P (result, GT) pairs, bit-identical to pycocotools ``COCOeval.computeOks``.

    A GT with labelled joints (v > 0): the mean over them of ``exp(-e)``, ``e = (dx^2 + dy^2) /
    (2 sigma)^2 / (area + eps) / 2`` computed in that order; a GT without: the same over all K joints
    with dx, dy the distances to its box enlarged to [x - w, x + 2w] x [y - h, y + 2h].

    Args:
        dt_x, dt_y: (P, K) the results' joint coordinates, px; gt_x, gt_y: (P, K) the GT's, px;
        gt_visible: (P, K) bool, GT v > 0; gt_areas: (P,) px^2; gt_boxes: (P, 4) [x, y, w, h] (read
        only for GTs without labelled joints); sigmas: K OKS sigmas.

    Returns:
        (P,) float64.
    """
    variances = (np.asarray(sigmas, dtype=np.float64) * 2) ** 2
    k = len(variances)
    visible = np.array(gt_visible, dtype=bool)
    labelled = visible.sum(axis=1)
    dx = dt_x - gt_x
    dy = dt_y - gt_y
    unlabelled = labelled == 0
    if unlabelled.any():  # computeOks: distance to the enlarged GT box
        xd, yd = dt_x[unlabelled], dt_y[unlabelled]
        x, y, w, h = gt_boxes[unlabelled].T[..., None]
        x0, x1, y0, y1 = x - w, x + w * 2, y - h, y + h * 2
        dx[unlabelled] = np.maximum(0.0, x0 - xd) + np.maximum(0.0, xd - x1)
        dy[unlabelled] = np.maximum(0.0, y0 - yd) + np.maximum(0.0, yd - y1)
        visible[unlabelled] = True  # all K joints count
    counts = np.where(unlabelled, k, labelled)
    dx *= dx
    dy *= dy
    dx += dy
    dx /= variances
    dx /= gt_areas[:, None] + np.spacing(1)
    dx /= 2
    e = dx[visible]  # the counted joints, row by row
    np.negative(e, out=e)
    terms = np.exp(e, out=e)
    # computeOks sums a row's counted terms as a 1-D array; summing the rows of a count as an
    # (n, count) block adds them in the same order (numpy's pairwise sum), so the bits agree.
    starts = np.cumsum(counts) - counts
    oks = np.empty(len(counts))
    for count in np.unique(counts).tolist():
        rows = np.flatnonzero(counts == count)
        block = terms[starts[rows][:, None] + np.arange(count)]
        oks[rows] = block.sum(axis=1) / count
    return oks


def _segments(sorted_index: np.ndarray, n: int) -> Tuple[np.ndarray, np.ndarray]:
    """Start and count of each value 0..n-1 in a sorted index array."""
    counts = np.bincount(sorted_index, minlength=n)
    return np.cumsum(counts) - counts, counts


def match_results(
    people: GroundTruthPeople,
    image_ids: np.ndarray,
    dt_image_ids: np.ndarray,
    dt_keypoints: np.ndarray,
    dt_scores: np.ndarray,
    sigmas: Sequence[float],
    dt_areas: Optional[np.ndarray] = None,
    with_gt: bool = False,
) -> ImageMatches:
    """pycocotools ``evaluate()`` (``computeOks`` + ``evaluateImg`` for every image and area range).

    Args:
        people: the GT person annotations; image_ids: (I,) sorted GT image ids (``params.imgIds``).
        dt_image_ids: (N,) image id of each result (each one of ``image_ids``); dt_keypoints: (N, K, 3)
            [x, y, score] px; dt_scores: (N,) float64; results in their original order (which breaks
            score ties, as in pycocotools).
        sigmas: K OKS sigmas.
        dt_areas: (N,) px^2 the results' areas as ``loadRes`` sets them (``bbox`` w x h, see
            :attr:`~.keypoint_results.KeypointResults.areas`); None: the keypoints' extent.
        with_gt: also record which GT person each result matched (:attr:`ImageMatches.dt_gt`).

    Returns:
        :class:`ImageMatches`.
    """
    num_images = len(image_ids)
    num_areas, num_thrs = len(AREA_RANGES), len(IOU_THRESHOLDS)
    # results: by image, then score descending (mergesort, ties in results order), top MAX_DETS
    dt_image = np.searchsorted(image_ids, dt_image_ids)
    same = dt_image[1:] == dt_image[:-1]
    if (np.diff(dt_image) >= 0).all() and (dt_scores[1:][same] <= dt_scores[:-1][same]).all():
        order = np.arange(
            len(dt_image)
        )  # sorted already (the protocol's results): stable = identity
    else:
        order = image_score_order(dt_image, dt_scores)
    dt_image = dt_image[order]
    starts, counts = _segments(dt_image, num_images)
    rank = np.arange(len(order)) - starts[dt_image]
    kept = rank < MAX_DETS
    order, dt_image, rank = order[kept], dt_image[kept], rank[kept]
    xs = np.ascontiguousarray(dt_keypoints[:, :, 0][order])
    ys = np.ascontiguousarray(dt_keypoints[:, :, 1][order])
    dt_scores = dt_scores[order]
    num_dt = len(order)
    xs_t, ys_t = xs.T.copy(), ys.T.copy()  # (K, M): reductions over joints run along rows, fast
    dt_box = xs_t.min(axis=0), xs_t.max(axis=0), ys_t.min(axis=0), ys_t.max(axis=0)
    if dt_areas is None:  # loadRes without bbox: a keypoint result's area is its keypoints' extent
        dt_area = (dt_box[1] - dt_box[0]) * (dt_box[3] - dt_box[2])
    else:
        dt_area = np.asarray(dt_areas, dtype=np.float64)[order]
    dt_outside = np.stack([(dt_area < lo) | (dt_area > hi) for lo, hi in AREA_RANGES])  # (A, M)

    gt_image = np.searchsorted(image_ids, people.image_ids)
    gt_order = np.argsort(gt_image, kind="stable")  # json order within an image
    gt_starts, gt_counts = _segments(gt_image[gt_order], num_images)
    gt_outside = np.stack([(people.areas < lo) | (people.areas > hi) for lo, hi in AREA_RANGES])
    gt_ignored = people.ignore[None, :] | gt_outside  # (A, G)

    dt_matched = np.zeros((num_areas, num_thrs, num_dt), dtype=bool)
    dt_ignored = np.zeros((num_areas, num_thrs, num_dt), dtype=bool)
    dt_gt = np.full((num_areas, num_thrs, num_dt), -1, dtype=np.int64) if with_gt else None
    # images with both results and GT people; the others have no match to make
    both = np.flatnonzero((counts > 0) & (gt_counts > 0))
    if len(both):
        max_gt = int(gt_counts[both].max())
        # chunks bound the state arrays and share the images among the threads (.threads); each
        # writes only its own results' elements of dt_matched / dt_ignored
        chunk = max(1, _CHUNK_ELEMENTS // (num_areas * num_thrs * max_gt))
        chunk = min(chunk, -(-len(both) // num_workers()))
        thread_map(
            lambda begin: _match_images(
                both[begin : begin + chunk], people, gt_order, gt_starts, gt_counts, gt_ignored,
                dt_image, rank, xs, ys, dt_box, sigmas, dt_matched, dt_ignored, dt_gt,
            ),
            range(0, len(both), chunk),
        )  # fmt: skip
    # evaluateImg: an unmatched result outside the area range is ignored
    dt_ignored |= ~dt_matched & dt_outside[:, None, :]
    return ImageMatches(dt_image, dt_scores, dt_matched, dt_ignored, gt_image, gt_ignored, order,
                        dt_gt)  # fmt: skip


def _match_images(images, people, gt_order, gt_starts, gt_counts, gt_ignored, dt_image, rank,
                  dt_x, dt_y, dt_box, sigmas, dt_matched, dt_ignored, dt_gt):  # fmt: skip
    """``evaluateImg``'s greedy matching for a chunk of images, all area ranges and thresholds at once;
    writes ``dt_matched`` / ``dt_ignored`` (and ``dt_gt`` unless None) of their results."""
    num_images = len(images)
    local = np.full(len(gt_starts), -1)
    local[images] = np.arange(num_images)
    max_gt = int(gt_counts[images].max())
    # GT slots: the image's people in json order, padded
    slot = np.arange(max_gt)
    valid = slot[None, :] < gt_counts[images][:, None]  # (n, S)
    gt_index = np.where(
        valid, gt_order[np.minimum(gt_starts[images][:, None] + slot, len(gt_order) - 1)], 0
    )
    # results of these images, and every (result, GT slot) pair of the same image
    dts = np.flatnonzero(local[dt_image] >= 0)
    dt_local = local[dt_image[dts]]
    per_dt = gt_counts[images][dt_local]  # GT people in each result's image
    pair_dt, pair_local = np.repeat(dts, per_dt), np.repeat(dt_local, per_dt)
    pair_slot = np.arange(len(pair_dt)) - np.repeat(np.cumsum(per_dt) - per_dt, per_dt)
    pair_gt = gt_index[pair_local, pair_slot]
    # Only an OKS >= the lowest threshold can make a match: pairs whose OKS provably stays under it
    # keep -inf. Bound: every labelled joint is at least the gap between the result's joint box and
    # the GT's labelled-joint box away, so OKS <= exp(-gap^2 / max(var) / (area + eps) / 2); tested
    # with a 1e-9 margin; people without labelled joints or with area <= 0 always get the full OKS.
    area = people.areas[pair_gt]
    gap_x = np.maximum(np.maximum(people.x_lo[pair_gt] - dt_box[1][pair_dt],
                                  dt_box[0][pair_dt] - people.x_hi[pair_gt]), 0.0)  # fmt: skip
    gap_y = np.maximum(np.maximum(people.y_lo[pair_gt] - dt_box[3][pair_dt],
                                  dt_box[2][pair_dt] - people.y_hi[pair_gt]), 0.0)  # fmt: skip
    variance_max = ((np.asarray(sigmas, dtype=np.float64) * 2) ** 2).max()
    limit = -np.log(IOU_THRESHOLDS.min() * (1 - 1e-9)) * (1 + 1e-9)
    bound = (gap_x**2 + gap_y**2) / variance_max / (area + np.spacing(1)) / 2
    full = np.flatnonzero(~(bound > limit) | ~(area > 0) | np.isinf(people.x_lo[pair_gt]))
    pair_dt, pair_gt = pair_dt[full], pair_gt[full]
    oks = cocoeval_oks(
        dt_x[pair_dt], dt_y[pair_dt], people.x[pair_gt], people.y[pair_gt], people.visible[pair_gt],
        people.areas[pair_gt], people.boxes[pair_gt], sigmas,
    )  # fmt: skip
    max_rank = int(rank[dts].max()) + 1
    ious = np.full((num_images, max_rank, max_gt), -np.inf)
    ious[pair_local[full], rank[pair_dt], pair_slot[full]] = oks
    dt_at = np.full((num_images, max_rank), -1)
    dt_at[dt_local, rank[dts]] = dts

    ignored = np.where(
        valid[:, None, :], gt_ignored[:, gt_index].transpose(1, 0, 2), True
    )  # (n, A, S)
    regular_gt = ~ignored[:, :, None, :]  # (n, A, 1, S)
    crowd = people.iscrowd[gt_index] & valid  # (n, S): a crowd region absorbs any number of matches
    nonzero_id = people.ids[gt_index] != 0  # pycocotools stores the GT id: id 0 reads as no match
    thresholds = np.minimum(IOU_THRESHOLDS, 1 - 1e-10)
    # a result whose OKS is under the lowest threshold with every GT matches nothing: skipped
    edges = ious >= thresholds.min()  # (n, R, S): the pairs that can match at some threshold
    reaches = edges.any(axis=-1)  # (n, R); padded ranks have no edge (OKS -inf)
    # Images where no result can match two GT people: each GT's results match it alone, and the
    # greedy loop reduces to "the first result, by rank, with OKS >= t" (every one for a crowd region)
    star = ~(edges.sum(axis=-1) > 1).any(axis=-1)  # (n,)
    _match_star_images(edges & star[:, None, None], ious, thresholds, dt_at, crowd, nonzero_id,
                       ignored, dt_matched, dt_ignored, gt_index, dt_gt)  # fmt: skip
    reaches &= ~star[:, None]
    thresholds = thresholds[None, None, :, None]
    free = np.broadcast_to(
        valid[:, None, None, :], ignored.shape[:2] + (len(IOU_THRESHOLDS), max_gt)
    )
    free = free.copy()  # (n, A, T, S): GT slots still open to a match
    for r in range(max_rank):
        rows = np.flatnonzero(reaches[:, r])
        if not len(rows):
            continue
        iou = ious[rows, r][:, None, None, :]  # (n, 1, 1, S)
        candidate = free[rows] & (iou >= thresholds)  # (n, A, T, S)
        regular = candidate & regular_gt[rows]
        # a regular GT wins over any ignored one; among the allowed, the best OKS, the last on ties
        allowed = np.where(regular.any(axis=-1, keepdims=True), regular, candidate)
        value = np.where(allowed, iou, -np.inf)
        best = max_gt - 1 - np.argmax(value[..., ::-1], axis=-1)  # (n, A, T)
        n_idx, a_idx, t_idx = np.nonzero(allowed.any(axis=-1))
        s_idx = best[n_idx, a_idx, t_idx]
        image_rows = rows[n_idx]
        free[image_rows, a_idx, t_idx, s_idx] = crowd[image_rows, s_idx]
        dt = dt_at[image_rows, r]
        dt_matched[a_idx, t_idx, dt] = nonzero_id[image_rows, s_idx]
        dt_ignored[a_idx, t_idx, dt] = ignored[image_rows, a_idx, s_idx]
        if dt_gt is not None:
            dt_gt[a_idx, t_idx, dt] = gt_index[image_rows, s_idx]


def _match_star_images(edges, ious, thresholds, dt_at, crowd, nonzero_id, ignored, dt_matched,
                       dt_ignored, gt_index, dt_gt):  # fmt: skip
    """The greedy matching of images where every result has at most one GT with OKS >= the lowest
    threshold (``edges``, (n, R, S), only those images' pairs set): at threshold t, a GT matches the
    first result by rank with OKS >= t (a crowd region: each one), whatever the area range, since no
    other GT competes for those results; writes ``dt_matched`` / ``dt_ignored`` (and ``dt_gt`` unless
    None) of the matched ones."""
    image, rank, slot = np.nonzero(edges)  # C order: by image, then rank
    if not len(image):
        return
    by_gt = np.argsort(image * edges.shape[2] + slot, kind="stable")  # per GT slot, by rank
    image, rank, slot = image[by_gt], rank[by_gt], slot[by_gt]
    oks = ious[image, rank, slot]
    first_of_gt = np.r_[True, (image[1:] != image[:-1]) | (slot[1:] != slot[:-1])]
    start = np.maximum.accumulate(np.where(first_of_gt, np.arange(len(image)), 0))
    is_crowd = crowd[image, slot]
    dt = dt_at[image, rank]
    for t, threshold in enumerate(thresholds):
        reached = oks >= threshold
        before = np.cumsum(reached) - reached  # reaching edges earlier in the whole list
        matched = reached & ((before == before[start]) | is_crowd)  # none earlier for this GT
        rows = np.flatnonzero(matched)
        dt_matched[:, t, dt[rows]] = nonzero_id[image[rows], slot[rows]]
        dt_ignored[:, t, dt[rows]] = ignored[image[rows], :, slot[rows]].T
        if dt_gt is not None:
            dt_gt[:, t, dt[rows]] = gt_index[image[rows], slot[rows]]


def accumulate(
    matches: ImageMatches, images: Optional[np.ndarray] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """pycocotools ``accumulate()`` over all images or a subset.

    Args:
        matches: from :func:`match_results`.
        images: optional (I,) bool mask over the sorted GT image ids (``params.imgIds`` restricted).

    Returns:
        ``precision`` (T, R, 1, A, 1) and ``recall`` (T, 1, A, 1) float64 as ``COCOeval.eval``, -1
        where an area range has no GT person that counts.
    """
    counts = None if images is None else np.asarray(images, dtype=np.int64)[None, :]
    precision, recall = accumulate_resampled(matches, counts)
    return precision[0][:, :, None, :, None], recall[0][:, None, :, None]


def accumulate_resampled(
    matches: ImageMatches, counts: Optional[np.ndarray] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """pycocotools ``accumulate()`` over B multisets of the images (bootstrap resamples).

    Image i taken ``counts[b, i]`` times is what ``accumulate`` gives on a GT and results in which that
    image and its results appear that many times, the copies next to each other in the image order
    (each copy's results and GT people count; OKS and matching stay per image). A result of weight w
    adds w to the true- or false-positive count at once: the copies' intermediate (recall, precision)
    points change no interpolated precision (a run of true positives raises the precision, so the
    envelope is the same along it; a run of false positives keeps the recall), so the arrays are
    bit-identical to ``accumulate`` on such copies. ``counts`` of 0 / 1 is ``params.imgIds`` restricted.

    Args:
        matches: from :func:`match_results`.
        counts: (B, I) non-negative integers over the sorted GT image ids; None: every image once (B = 1).

    Returns:
        ``precision`` (B, T, R, A) and ``recall`` (B, T, A) float64, -1 where an area range has no GT
        person that counts in that multiset.
    """
    num_thrs, num_recall, num_areas = len(IOU_THRESHOLDS), len(RECALL_THRESHOLDS), len(AREA_RANGES)
    num_samples = 1 if counts is None else len(counts)
    precision = -np.ones((num_samples, num_thrs, num_recall, num_areas))
    recall = -np.ones((num_samples, num_thrs, num_areas))
    order = np.argsort(-matches.dt_scores, kind="mergesort")
    if counts is not None:
        counts = np.asarray(counts, dtype=np.int64)
        if num_samples == 1:  # one subset or multiset: results of images it leaves out drop here
            order = order[counts[0, matches.dt_image[order]] > 0]

    def area_range(a: int) -> None:  # writes precision[..., a] and recall[..., a] only
        regular = ~matches.gt_ignored[a]
        if counts is None:
            npig = np.array([np.count_nonzero(regular)])
        else:
            npig = counts[:, matches.gt_image[regular]].sum(axis=1)
        rows = np.flatnonzero(npig > 0)
        if not len(rows):
            return
        # A result ignored at every threshold adds neither a TP nor an FP: it repeats the previous
        # (recall, precision) point, which changes no interpolated precision; left out.
        counted = order[~matches.dt_ignored[a].all(axis=0)[order]]
        dtm = matches.dt_matched[a][:, counted]
        dtig = matches.dt_ignored[a][:, counted]
        dt_image = matches.dt_image[counted]
        # multisets in chunks of at most _ACCUMULATE_ELEMENTS cumulative counts
        step = max(1, _ACCUMULATE_ELEMENTS // max(1, num_thrs * len(counted)))
        for begin in range(0, len(rows), step):
            chunk = rows[begin : begin + step]
            weights = None if counts is None else counts[chunk][:, dt_image]
            p, r = _precision_recall(dtm & ~dtig, ~dtm & ~dtig, npig[chunk], weights)
            precision[chunk, :, :, a] = p
            recall[chunk, :, a] = r

    thread_map(area_range, range(num_areas))
    return precision, recall


def _precision_recall(tps, fps, npig, weights):
    """``accumulate``'s arrays of one area range for C multisets.

    Args:
        tps, fps: (T, n) bool, the counted results in score order (``tps`` / ``fps`` of
            ``accumulate``); npig: (C,) int64 > 0 GT people that count; weights: (C, n) int64
            multiplicities of the results, or None (each once).

    Returns:
        precision (C, T, R) and recall (C, T) float64.

    Only the true positives are visited after the cumulative counts: ``accumulate`` reads the
    precision envelope at the first result whose recall reaches a recall threshold, which is a true
    positive (or the first result, for threshold 0), and the envelope there is the largest precision
    of a later true positive (between two of them the precision only falls).
    """
    num_samples, (num_thrs, n) = len(npig), tps.shape
    rows = num_samples * num_thrs  # one row per (multiset, OKS threshold)
    if n == 0:  # no result: recall and precision 0
        return np.zeros((num_samples, num_thrs, len(RECALL_THRESHOLDS))), np.zeros(
            (num_samples, num_thrs)
        )
    counted = tps | fps
    if weights is None:
        tp_weight, weight = tps[None], counted[None]
    else:
        tp_weight = weights[:, None, :] * tps  # (C, T, n) int64
        weight = weights[:, None, :] * counted
    # cumulative counts: exact integers, as pycocotools' cumsum().astype(float)
    tp_sum = np.cumsum(tp_weight, axis=2, dtype=np.int64).reshape(rows, n)
    dt_sum = np.cumsum(weight, axis=2, dtype=np.int64).reshape(rows, n)  # tp_sum + fp_sum
    row, position = np.nonzero(tp_weight.reshape(rows, n))  # the true positives, row by row
    tp = tp_sum[row, position]
    # pycocotools: tp / (fp + tp + eps), fp + tp an exact integer in float64
    precision_at = tp / (dt_sum[row, position].astype(np.float64) + np.spacing(1))
    per_row = np.bincount(row, minlength=rows)
    first = np.cumsum(per_row) - per_row
    rank = np.arange(len(row)) - first[row]
    envelope = np.zeros((rows, max(1, int(per_row.max()))))  # padding 0: precision is >= 0
    envelope[row, rank] = precision_at
    envelope = np.maximum.accumulate(envelope[:, ::-1], axis=1)[:, ::-1]
    # np.searchsorted(rc, RECALL_THRESHOLDS, side="left") of accumulate: rc = tp / npig in float64
    # grows with tp, so rc >= r exactly when tp >= the least count whose quotient reaches r; the
    # search runs on the integer counts of the true positives of all rows at once (each row offset
    # past the previous).
    least = np.repeat(_least_counts(npig), num_thrs, axis=0)  # (rows, R)
    span = int(max(tp_sum[:, -1].max(), least.max())) + 1
    offsets = np.arange(rows, dtype=np.int64) * span
    found = np.searchsorted(tp + offsets[row], least + offsets[:, None], side="left")
    found -= first[:, None]
    inside = found < per_row[:, None]
    picked = np.take_along_axis(envelope, np.minimum(found, envelope.shape[1] - 1), axis=1)
    precision = np.where(inside, picked, 0.0).reshape(num_samples, num_thrs, -1)
    recall = (tp_sum[:, -1] / npig.repeat(num_thrs)).reshape(num_samples, num_thrs)
    return precision, recall


def _least_counts(npig: np.ndarray) -> np.ndarray:
    """(C, R) the least integer k with ``k / npig >= RECALL_THRESHOLDS[r]`` in float64, for each of
    the C counts ``npig`` (between ``floor(r * npig) - 1`` and that + 3: the product is off by far
    less than 1)."""
    npig = np.asarray(npig, dtype=np.int64)[:, None, None]
    base = np.maximum(np.floor(RECALL_THRESHOLDS[None, :] * npig[:, :, 0]) - 1, 0).astype(np.int64)
    candidates = base[:, :, None] + np.arange(4)
    reaches = candidates / npig.astype(np.float64) >= RECALL_THRESHOLDS[None, :, None]
    return base + np.argmax(reaches, axis=2)


def summarize_keypoints(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """pycocotools ``summarize()`` for keypoints: (10,) ``AP AP50 AP75 APm APl AR AR50 AR75 ARm ARl``
    as fractions, -1 where nothing counts; ``precision`` (T, R, 1, A, 1), ``recall`` (T, 1, A, 1)."""
    return summarize_resampled(precision[None, :, :, 0, :, 0], recall[None, :, 0, :, 0])[0]


def summarize_resampled(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """:func:`summarize_keypoints` of B multisets: ``precision`` (B, T, R, A), ``recall`` (B, T, A)
    from :func:`accumulate_resampled`; returns (B, 10). Each statistic is the mean of its slice, or -1
    where the slice is -1 (an area range without GT people that count is -1 throughout)."""
    num_samples = len(precision)

    def mean(s: np.ndarray) -> np.ndarray:  # (B, ...) -> (B,): pycocotools np.mean(s[s > -1])
        s = s.reshape(num_samples, -1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where((s > -1).any(axis=1), s.mean(axis=1), -1.0)

    def stat(ap: bool, iou_thr=None, area=0) -> np.ndarray:
        s = precision[..., area] if ap else recall[..., area]  # (B, T, ...)
        if iou_thr is not None:
            s = s[:, np.where(iou_thr == IOU_THRESHOLDS)[0]]
        return mean(np.ascontiguousarray(s))

    return np.stack(
        [stat(ap, thr, area) for ap in (True, False)
         for thr, area in ((None, 0), (0.5, 0), (0.75, 0), (None, 1), (None, 2))],
        axis=1,
    )  # fmt: skip

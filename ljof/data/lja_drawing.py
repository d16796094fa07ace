"""Drawings of Limb Joint Augmentation (the LJOF paper's Fig. 2): training crops with their LJA blocks and
target skeletons, as ``tools/visualize_lja.py`` and the main job's ``lja_samples.png`` show them.

OpenCV on BGR ``uint8`` images. Hand-written because detectron2's ``Visualizer`` draws RGB images at its
own scale and cannot draw the hollow (occluded) joint markers; a grid of small crops needs neither.
"""

import math

import cv2
import numpy as np
from tqdm import tqdm

__all__ = ["draw_skeleton", "draw_blocks", "crop_grid"]


def _colour(rgb):
    return (int(rgb[2]), int(rgb[1]), int(rgb[0]))  # BGR for OpenCV


def draw_skeleton(image, keypoints, meta, *, radius=3):
    """Draw joints (v > 0) and the metadata's connections on a BGR image, in place.

    Args:
        image: H x W x 3 BGR ``uint8``.
        keypoints: K x 3 (x, y, v) in pixels of ``image``.
        meta: metadata with ``keypoint_names`` and ``keypoint_connection_rules``.
    """
    names = list(meta.keypoint_names)
    for a, b, rgb in meta.keypoint_connection_rules:
        ia, ib = names.index(a), names.index(b)
        if keypoints[ia, 2] > 0 and keypoints[ib, 2] > 0:
            pa = tuple(int(round(v)) for v in keypoints[ia, :2])
            pb = tuple(int(round(v)) for v in keypoints[ib, :2])
            cv2.line(image, pa, pb, _colour(rgb), 2, cv2.LINE_AA)
    for x, y, v in keypoints:
        if v > 0:
            # filled = visible (v == 2), hollow = labeled but occluded (v == 1)
            thickness = -1 if v == 2 else 1
            cv2.circle(image, (int(round(x)), int(round(y))), radius, (255, 255, 255), thickness)


def draw_blocks(image, blocks):
    """Outline LJA blocks ``(x0, y0, x1, y1, fill)`` (pixels, end exclusive) in red, in place."""
    for x0, y0, x1, y1, _ in blocks:
        cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), (0, 0, 255), 1)


def crop_grid(records, mapper, meta, num, cols, rng_seed):
    """A BGR grid of ``num`` augmented training crops (``mapper`` with LJA, ``cols`` per row; records
    drawn in a ``np.random.seed(rng_seed)`` permutation); returns (grid, total blocks)."""
    np.random.seed(rng_seed)
    tiles, total = [], 0
    order = np.random.permutation(len(records))
    for i in tqdm(range(num), desc="crops"):
        sample = mapper(records[order[i % len(records)]])
        crop = np.ascontiguousarray(sample["image"].numpy().transpose(1, 2, 0))
        blocks = sample["lja_blocks"]
        total += len(blocks)
        draw_skeleton(crop, sample["keypoints"].numpy(), meta)
        draw_blocks(crop, blocks)
        tiles.append(crop)
    h, w = tiles[0].shape[:2]
    rows = math.ceil(len(tiles) / cols)
    grid = np.full((rows * (h + 4) + 4, min(cols, len(tiles)) * (w + 4) + 4, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        grid[4 + r * (h + 4) : 4 + r * (h + 4) + h, 4 + c * (w + 4) : 4 + c * (w + 4) + w] = tile
    return grid, total

"""Drawings of Limb Joint Augmentation (the LJOF paper's Fig. 2): training crops with their LJA blocks and
target skeletons, as ``tools/visualize_lja.py`` and the main job's ``lja_samples.png`` show them.

Drawn with detectron2's ``Visualizer`` (as ``tools/visualize_dataset.py``): joints and the metadata's
``keypoint_connection_rules`` by ``draw_and_connect_keypoints``, blocks by ``draw_box``. Coordinates: LJOF's
keypoints are pixel indices (pixel ``i`` centred on ``i``), the ``Visualizer``'s are detectron2's continuous
ones (pixel ``i`` spans ``[i, i + 1]``), so keypoints move by ``D2_KEYPOINT_OFFSET``; a block's exclusive
pixel-index ends ``x1``, ``y1`` already are its continuous edges.
"""

import math
from typing import Sequence

import matplotlib as mpl
import numpy as np
from detectron2.data.detection_utils import convert_image_to_rgb
from detectron2.utils.visualizer import Visualizer
from tqdm import tqdm

from ljof.structures import D2_KEYPOINT_OFFSET

__all__ = ["draw_lja", "crop_grid"]


def draw_lja(image, people: Sequence, blocks: Sequence, meta, *, scale: float = 1.0) -> np.ndarray:
    """Draw skeletons and LJA block outlines on an image.

    Labeled joints (v > 0) are the ``Visualizer``'s keypoint dots joined by the metadata's connections;
    a labeled but occluded joint (v == 1) gets a white ring as well, drawn as a matplotlib patch like
    ``Visualizer.draw_circle`` (which only fills). Blocks are outlined in red.

    Args:
        image: (H, W, 3) uint8 RGB.
        people: per person a (K, 3) array of x, y, v in ``image``'s px (pixel-index convention).
        blocks: ``(x0, y0, x1, y1, fill)`` in ``image``'s px, ``x1``/``y1`` exclusive.
        meta: detectron2 ``Metadata`` with ``keypoint_names`` and ``keypoint_connection_rules``.
        scale: output size / input size.

    Returns:
        (round(H * scale), round(W * scale), 3) uint8 RGB.
    """
    vis = Visualizer(image, metadata=meta, scale=scale)
    for keypoints in people:
        kpts = np.array(keypoints, np.float32, copy=True).reshape(-1, 3)
        kpts[:, :2] += D2_KEYPOINT_OFFSET
        vis.draw_and_connect_keypoints(kpts)  # v is the "probability": v > 0 is drawn
        for x, y, _ in kpts[kpts[:, 2] == 1]:
            vis.output.ax.add_patch(
                mpl.patches.Circle((x, y), radius=4, fill=False, color="w", linewidth=1)
            )
    for x0, y0, x1, y1, _ in blocks:
        vis.draw_box((x0, y0, x1, y1), alpha=1.0, edge_color="r")
    return vis.output.get_image()


def crop_grid(records, mapper, meta, num, cols, rng_seed):
    """An RGB grid of ``num`` augmented training crops (``mapper`` with LJA, ``cols`` per row, 4 px white
    gaps; records drawn in a ``np.random.seed(rng_seed)`` permutation); returns (grid, total blocks)."""
    np.random.seed(rng_seed)
    tiles, total = [], 0
    order = np.random.permutation(len(records))
    for i in tqdm(range(num), desc="crops"):
        sample = mapper(records[order[i % len(records)]])
        crop = convert_image_to_rgb(sample["image"].permute(1, 2, 0), mapper.image_format)
        blocks = sample["lja_blocks"]
        total += len(blocks)
        tiles.append(draw_lja(crop, [sample["keypoints"].numpy()], blocks, meta))
    h, w = tiles[0].shape[:2]
    rows = math.ceil(len(tiles) / cols)
    grid = np.full((rows * (h + 4) + 4, min(cols, len(tiles)) * (w + 4) + 4, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        grid[4 + r * (h + 4) : 4 + r * (h + 4) + h, 4 + c * (w + 4) : 4 + c * (w + 4) + w] = tile
    return grid, total

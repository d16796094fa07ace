"""Image reading for the top-down mapper: detectron2's ``read_image``, or a reduced-size JPEG decode.

When a person crop is a downscale of the image by at least 2, JPEG can be decoded directly at 1/2, 1/4
or 1/8 of its size (libjpeg's scaled IDCT, exposed by Pillow's ``Image.draft``), which saves most of the
decoding time. Pixel ``i`` of a 1/f decode covers full-resolution pixels ``f*i .. f*i + f - 1``, so its
centre is at ``f*i + (f - 1) / 2`` (pixel-index convention); :func:`read_image_for_crop` returns that map
as an affine matrix and the warp takes it into account exactly. Images with an EXIF orientation other than
"normal", and non-JPEG files, are decoded in full with ``read_image``.
"""

import logging
from typing import Tuple

import numpy as np
from detectron2.data.detection_utils import convert_PIL_to_numpy, read_image
from detectron2.utils.file_io import PathManager
from PIL import Image

__all__ = ["read_image_for_crop", "reduction_matrix"]

logger = logging.getLogger(__name__)

_EXIF_ORIENTATION = 0x0112


def reduction_matrix(factor: int) -> np.ndarray:
    """(2, 3) matrix from full-resolution px to the px of a 1/``factor`` decode."""
    f = float(factor)
    return np.array(
        [[1.0 / f, 0.0, -(f - 1.0) / (2.0 * f)], [0.0, 1.0 / f, -(f - 1.0) / (2.0 * f)]]
    )


def read_image_for_crop(
    file_name: str, *, format: str, max_reduction: int = 1
) -> Tuple[np.ndarray, int]:
    """Read an image, decoding a JPEG at a reduced size when allowed.

    Args:
        file_name: image path.
        format: detectron2 image format ("BGR", "RGB", ...).
        max_reduction: the largest reduction the caller can accept (1 = full size; 2, 4 or 8).

    Returns:
        (image (H', W', C) uint8, factor) where ``factor`` is the reduction used (1, 2, 4 or 8);
        ``image`` px = :func:`reduction_matrix` (factor) applied to full-resolution px.
    """
    if max_reduction < 2:
        return read_image(file_name, format=format), 1
    with PathManager.open(file_name, "rb") as f:
        image = Image.open(f)
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1) if image.format == "JPEG" else None
        if orientation != 1:  # not a JPEG, or EXIF-rotated: the plain path handles it
            image.close()
            return read_image(file_name, format=format), 1
        full_w, full_h = image.size
        factor = 1
        for f in (8, 4, 2):
            if f <= max_reduction:
                factor = f
                break
        mode = "L" if format == "L" else "RGB"
        # Pillow picks the largest scale whose output is at least the requested size; libjpeg then
        # rounds the scaled size up.
        image.draft(mode, (max(1, full_w // factor), max(1, full_h // factor)))
        factor = int(round(full_w / image.size[0]))
        if factor > 1 and image.size != (
            (full_w + factor - 1) // factor,
            (full_h + factor - 1) // factor,
        ):
            # Not the expected scaled size: decode in full rather than guess the geometry.
            image.close()
            return read_image(file_name, format=format), 1
        return convert_PIL_to_numpy(image, format), factor

"""Test-time horizontal flip of heatmaps (flip back, swap left/right channels, optional 1-px shift)."""

from typing import Sequence

import torch

__all__ = ["flip_back_heatmaps"]


def flip_back_heatmaps(
    heatmaps: torch.Tensor, flip_indices: Sequence[int], shift: bool = True
) -> torch.Tensor:
    """Map heatmaps predicted on horizontally flipped crops back to the unflipped crops.

    Args:
        heatmaps: ``(B, K, h, w)`` predicted on ``images.flip(-1)``.
        flip_indices: length-K permutation; channel ``k`` of the result is channel ``flip_indices[k]``
            of the flipped prediction (the left/right counterpart).
        shift: move the result one heatmap pixel to the right (``out[..., 1:] = out[..., :-1]``, column 0
            kept), the MSRA convention compensating the ``w - 1 - x`` vs ``W - 1 - x`` mismatch between
            heatmap and input flips. UDP models use ``shift=False``.

    Returns:
        ``(B, K, h, w)`` tensor.
    """
    if heatmaps.dim() != 4 or heatmaps.shape[1] != len(flip_indices):
        raise ValueError(
            f"flip_back_heatmaps: heatmaps {tuple(heatmaps.shape)} do not match "
            f"{len(flip_indices)} flip indices"
        )
    index = torch.as_tensor(list(flip_indices), device=heatmaps.device, dtype=torch.long)
    out = heatmaps.flip(-1).index_select(1, index)
    if shift:
        out = torch.cat([out[..., :1], out[..., :-1]], dim=-1)
    return out

"""Reading checkpoint files safely and checking tensor shapes against a model (used by PoseCheckpointer)."""

import logging
from typing import Dict, List

import torch

__all__ = ["check_shapes", "load_checkpoint_file"]

logger = logging.getLogger(__name__)


def load_checkpoint_file(path: str):
    """``torch.load(path, map_location="cpu", weights_only=True)`` with the path in any error."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - re-raised with the file name
        raise RuntimeError(f"cannot load checkpoint {path} with weights_only=True: {e}") from e


def check_shapes(
    state_dict: Dict[str, torch.Tensor],
    reference: Dict[str, torch.Tensor],
    *,
    skip_mismatch: bool = False,
    source: str = "checkpoint",
) -> List[str]:
    """Raise on a shape mismatch, naming the key and both shapes; or drop it if ``skip_mismatch``.

    Returns the keys removed from ``state_dict`` (in place) because of a mismatch.
    """
    skipped = []
    for k in list(state_dict):
        if k in reference and tuple(state_dict[k].shape) != tuple(reference[k].shape):
            msg = (
                f"{source}: shape mismatch for {k}: checkpoint {tuple(state_dict[k].shape)} vs "
                f"model {tuple(reference[k].shape)}"
            )
            if not skip_mismatch:
                raise ValueError(msg + " (pass skip_mismatch=True to skip such tensors)")
            logger.warning(msg + "; skipped")
            del state_dict[k]
            skipped.append(k)
    return skipped

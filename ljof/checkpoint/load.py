"""Reading checkpoint files safely and checking tensor shapes against a model (used by PoseCheckpointer)."""

import logging
import os
from typing import Dict, List

import torch

from ljof.errors import InputError

__all__ = ["check_shapes", "load_checkpoint_file"]

logger = logging.getLogger(__name__)


def _describe(path: str, error: Exception) -> str:
    """What a file that ``torch.load`` refused with ``error`` is, from its first bytes and its name."""
    with open(path, "rb") as f:
        head = f.read(512)
    if not head:
        return "is empty"
    if path.lower().endswith(".onnx"):
        return "is an ONNX model (what tools/export_model.py writes), not a PyTorch checkpoint"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\x80"):  # torch.save's zip, or a pickle
        if "Unsupported global" not in str(error):
            return f"is a damaged or foreign zip/pickle file ({type(error).__name__})"
        return (
            "holds Python objects besides tensors, numbers, strings and containers; LJOF reads "
            "checkpoints as weights only (torch.load with weights_only=True), never running code from "
            "a file"
        )
    try:
        head.decode("utf-8")
        return "is a text file, not a PyTorch checkpoint"
    except UnicodeDecodeError:
        return "is not a PyTorch checkpoint (neither torch.save's zip archive nor a pickle)"


def load_checkpoint_file(path: str):
    """``torch.load(path, map_location="cpu", weights_only=True)``; a file it refuses raises our message.

    Raises:
        InputError: one line naming ``path`` and what the file is (empty, text, ONNX, objects that
            ``weights_only=True`` refuses), ending with what to give instead.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any refusal becomes one line that names the file
        if not os.path.isfile(path):
            raise InputError(f"checkpoint {path} does not exist") from None
        logger.debug(f"torch.load({path!r}, weights_only=True) failed: {type(e).__name__}: {e}")
        raise InputError(
            f"checkpoint {path} {_describe(path, e)}; give a .pth written by torch.save of a state dict "
            "(e.g. train.output_dir/model_final.pth)"
        ) from None


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

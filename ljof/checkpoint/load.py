"""Load converted weights into a model: strict shape checks, missing/unexpected key report."""

import logging
from dataclasses import dataclass, field
from typing import Dict, List

import torch
from torch import nn

__all__ = ["LoadReport", "check_shapes", "load_converted", "load_checkpoint_file"]

logger = logging.getLogger(__name__)


@dataclass
class LoadReport:
    """What happened when loading: keys the model did not get, keys it does not have, shape skips."""

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    skipped_shape: List[str] = field(default_factory=list)
    dropped: List[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"missing {len(self.missing)}, unexpected {len(self.unexpected)}, "
            f"shape-skipped {len(self.skipped_shape)}, dropped by conversion {len(self.dropped)}"
        )


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


def load_converted(
    model: nn.Module,
    state_dict: Dict[str, torch.Tensor],
    *,
    skip_mismatch: bool = False,
    strict: bool = False,
    source: str = "checkpoint",
) -> LoadReport:
    """Copy converted tensors into ``model``; report what is missing or unexpected.

    Args:
        model: the target (e.g. a ``TopDownPoseEstimator``).
        state_dict: tensors with our names (the output of ``convert_state_dict``).
        skip_mismatch: drop tensors whose shape differs instead of raising.
        strict: raise if anything is missing or unexpected.
        source: file name or description used in messages.
    """
    state_dict = dict(state_dict)
    reference = model.state_dict()
    report = LoadReport()
    report.skipped_shape = check_shapes(
        state_dict, reference, skip_mismatch=skip_mismatch, source=source
    )
    result = model.load_state_dict(state_dict, strict=False)
    report.missing = list(result.missing_keys)
    report.unexpected = list(result.unexpected_keys)
    if report.missing:
        logger.warning(
            f"{source}: {len(report.missing)} model keys not in the checkpoint, e.g. "
            f"{report.missing[:5]}"
        )
    if report.unexpected:
        logger.warning(
            f"{source}: {len(report.unexpected)} checkpoint keys not in the model, e.g. "
            f"{report.unexpected[:5]}"
        )
    if strict and (report.missing or report.unexpected):
        raise ValueError(
            f"{source}: strict load failed: missing {report.missing[:10]}, unexpected "
            f"{report.unexpected[:10]}"
        )
    logger.info(f"Loaded {source}: {report.summary()}")
    return report

"""A detectron2 ``DetectionCheckpointer`` that also reads published pose and ImageNet checkpoints."""

import logging
import os
from typing import Optional, Sequence

from detectron2.checkpoint import DetectionCheckpointer

from ljof.errors import InputError

from .convert import FORMATS, convert_state_dict, detect_format, unwrap_checkpoint
from .load import check_shapes, load_checkpoint_file

__all__ = ["PoseCheckpointer"]

logger = logging.getLogger(__name__)


class PoseCheckpointer(DetectionCheckpointer):
    """``DetectionCheckpointer`` + conversion of foreign checkpoints (``ljof.checkpoint.convert``).

    ``.pth`` files are read with ``torch.load(..., weights_only=True)``. A file written by detectron2
    (ours: has ``model`` with our names) loads as usual, with optimizer/scheduler state for resuming.
    Any other file is converted from ``source_format`` (``"auto"`` detects it from the key names), its
    shapes are checked against the model (a mismatch raises, naming the key and both shapes, unless
    ``skip_mismatch``), and detectron2 then logs the missing and unexpected keys. URLs work as in
    detectron2 (downloaded through its ``PathManager``), so configs can name the published URLs as
    ``train.init_checkpoint``.

    ``load(path)`` returns detectron2's extra data of the file plus what happened to the weights:
    ``incompatible_keys`` (fvcore's ``_IncompatibleKeys``: ``missing_keys``, ``unexpected_keys``,
    ``incorrect_shapes``), ``skipped_shape_keys`` (dropped for a shape mismatch, with ``skip_mismatch``)
    and, for a converted file, ``dropped_keys`` (source keys with no counterpart in a pose model).

    Args:
        model, save_dir, checkpointables: as ``DetectionCheckpointer``.
        source_format: one of ``ljof.checkpoint.FORMATS`` or ``"auto"``.
        skip_mismatch: drop shape-mismatched tensors with a warning instead of raising.
        vit_grid: token grid of the ViT for ``mae-vit`` conversion (default: the model's).
    """

    def __init__(
        self,
        model,
        save_dir: str = "",
        *,
        source_format: str = "auto",
        skip_mismatch: bool = False,
        vit_grid: Optional[Sequence[int]] = None,
        **checkpointables,
    ):
        super().__init__(model, save_dir, **checkpointables)
        if source_format != "auto" and source_format not in FORMATS:
            raise ValueError(f"unknown source_format {source_format!r}; expected {sorted(FORMATS)}")
        self.source_format = source_format
        self.skip_mismatch = skip_mismatch
        if vit_grid is None:
            backbone = getattr(model, "backbone", None)
            vit_grid = getattr(backbone, "grid_size", None)
        self.vit_grid = vit_grid

    def load(self, path: str, *args, **kwargs):
        """detectron2's ``load``, with a missing file or a failed download as one-line
        :class:`~ljof.errors.InputError` (naming the path and what to do) instead of an assertion or a
        ``URLError`` traceback."""
        if path and not os.path.isfile(path):
            if "://" not in path:
                raise InputError(f"checkpoint {path} does not exist")
            try:
                path = self.path_manager.get_local_path(path)
            except Exception as e:  # noqa: BLE001 - offline, HTTP error, proxy...: one line
                reason = (str(getattr(e, "reason", e)) or type(e).__name__).splitlines()[0]
                raise InputError(
                    f"cannot download checkpoint {path} ({reason}); download it on a machine with "
                    "network access and give the local file, e.g. train.init_checkpoint=FILE.pth "
                    "(an empty train.init_checkpoint= starts from random weights)"
                ) from None
        return super().load(path, *args, **kwargs)

    def _load_file(self, filename: str):
        if filename.endswith(".pkl"):
            return super()._load_file(filename)
        raw = load_checkpoint_file(filename)
        reference = self.model.state_dict()
        if isinstance(raw, dict) and isinstance(raw.get("model"), dict):
            ours = raw["model"]
            if ours and sum(k in reference for k in ours) >= 0.5 * len(ours):
                skipped = check_shapes(
                    ours, reference, skip_mismatch=self.skip_mismatch, source=filename
                )
                # a detectron2 checkpoint of this model (maybe with optimizer state)
                return {**raw, "skipped_shape_keys": skipped}
        state_dict = unwrap_checkpoint(raw)
        fmt = self.source_format if self.source_format != "auto" else detect_format(state_dict)
        converted, dropped = convert_state_dict(state_dict, fmt, vit_grid=self.vit_grid)
        if dropped:
            self.logger.info(
                f"{filename}: {len(dropped)} {fmt} keys have no counterpart and were dropped, "
                f"e.g. {dropped[:5]}"
            )
        skipped = check_shapes(
            converted, reference, skip_mismatch=self.skip_mismatch, source=filename
        )
        return {
            "model": converted,
            "__author__": f"ljof-convert:{fmt}",
            "matching_heuristics": False,
            "dropped_keys": dropped,
            "skipped_shape_keys": skipped,
        }

    def _load_model(self, checkpoint):
        incompatible = super()._load_model(checkpoint)
        checkpoint["incompatible_keys"] = incompatible  # returned by load() with the extra data
        return incompatible

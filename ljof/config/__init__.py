"""Checks of what a user hands a tool before anything runs: the config file, the ``key=value`` overrides,
``--eval-only``'s checkpoint, the datasets' keypoint sets against the model's. Each mistake raises
:class:`ljof.errors.InputError` (one line; the tools print it without a traceback and exit with 2)."""

from .config_file import list_config_files, resolve_config_file
from .eval_only import check_eval_checkpoint
from .keypoints import check_keypoint_counts
from .overrides import apply_overrides, check_overrides, parse_overrides

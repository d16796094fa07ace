"""Resolve and load the LazyConfigs under ``configs/`` (detectron2's ``model_zoo.get_config`` for LJOF)."""

import os

from detectron2.config import LazyConfig

__all__ = ["get_config_file", "get_config"]

_CONFIG_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")


def get_config_file(config_path: str) -> str:
    """Absolute path of a config shipped with LJOF.

    Args:
        config_path: path relative to the repository's ``configs/`` folder, e.g.
            ``"hrnet_w32_coco_256x192.py"`` or ``"common/models/topdown_hrnet_tiny.py"``.

    Raises:
        RuntimeError: no such file among LJOF's configs.
    """
    path = os.path.join(_CONFIG_ROOT, config_path)
    if not os.path.isfile(path):
        raise RuntimeError(f"{config_path} is not among LJOF's configs ({_CONFIG_ROOT})")
    return path


def get_config(config_path: str):
    """The LazyConfig (``omegaconf.DictConfig``) of a config shipped with LJOF; see :func:`get_config_file`.

    Each call loads the file afresh, so the caller may change the result.
    """
    return LazyConfig.load(get_config_file(config_path))

"""LJOF's configs as a model zoo, as ``detectron2.model_zoo`` serves detectron2's.

``get_config("common/models/topdown_hrnet.py")`` loads a LazyConfig by its path relative to the
repository's ``configs/`` folder (reachable from an installed package through ``ljof/model_zoo/configs``,
a link to ``configs/`` whose files ``setup.py`` ships as package data).
"""

from .model_zoo import get_config, get_config_file

__all__ = ["get_config", "get_config_file"]

"""The model's keypoint set in a LazyConfig, and the yacs keys of detectron2's ``build_model(cfg)`` path.

The LazyConfigs under ``configs/common/models/`` are the one definition of every network, codec and
default. The yacs path builds from them too: ``cfg.MODEL.TOPDOWN.CONFIG_FILE`` names one, and
:func:`model_config_from_yacs` applies the yacs keys and ``cfg.MODEL.TOPDOWN.OVERRIDES`` to its ``model``.
"""

import os

from detectron2.config import CfgNode as CN
from detectron2.config import LazyCall as L
from detectron2.config import LazyConfig
from detectron2.data.detection_utils import create_keypoint_hflip_indices

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.model_zoo import get_config

__all__ = ["add_topdown_config", "model_config_from_yacs", "use_keypoint_set"]


# A registered builtin split per keypoint set, whose metadata holds the set's flip map.
_FLIP_MAP_SOURCE = {"coco": "ljof_coco_2017_train", "crowdpose": "ljof_crowdpose_trainval"}


def use_keypoint_set(model_cfg, keypoint_set: str) -> None:
    """Point a top-down model config at a keypoint set, in place.

    Sets ``head.num_keypoints`` (K) and ``keypoint_flip_indices`` (the left/right permutation of the set's
    ``keypoint_flip_map``) of a ``TopDownPoseEstimator`` LazyConfig node.

    Args:
        model_cfg: the ``model`` node of a config (``configs/common/models/*.py``).
        keypoint_set: a name of ``ljof.data.KEYPOINT_SETS`` (``"coco"``: 17, ``"crowdpose"``: 14).
    """
    meta = get_keypoint_set_metadata(keypoint_set)
    model_cfg.head.num_keypoints = len(meta["keypoint_names"])
    # detectron2's permutation, read from a builtin split of the set (registered at ``import ljof``)
    model_cfg.keypoint_flip_indices = L(create_keypoint_hflip_indices)(
        dataset_names=_FLIP_MAP_SOURCE[keypoint_set]
    )


def add_topdown_config(cfg) -> None:
    """Add ``cfg.MODEL.TOPDOWN`` and set ``cfg.MODEL.PIXEL_MEAN``/``PIXEL_STD`` for pose models.

    Keys (read by :func:`model_config_from_yacs`):

    * ``CONFIG_FILE``: the model's LazyConfig, relative to ``configs/`` (``ljof.model_zoo``) or a file
      path; default HRNet-W32 256x192 (``common/models/topdown_hrnet.py``).
    * ``KEYPOINT_SET``: ``"coco"`` or ``"crowdpose"``: K and the flip map.
    * ``OVERRIDES``: LazyConfig overrides ``"model.<key>=<value>"`` applied last, e.g.
      ``["model.flip_test=False", "model.codec.sigma=3.0"]``.

    ``PIXEL_MEAN``/``PIXEL_STD`` become the configs' ImageNet RGB statistics
    (``configs/common/data/constants.py``); ``INPUT.FORMAT`` is the channel order the mapper gives.
    """
    cfg.MODEL.TOPDOWN = CN()
    cfg.MODEL.TOPDOWN.CONFIG_FILE = "common/models/topdown_hrnet.py"
    cfg.MODEL.TOPDOWN.KEYPOINT_SET = "coco"
    cfg.MODEL.TOPDOWN.OVERRIDES = []
    constants = get_config("common/data/constants.py").constants
    cfg.MODEL.PIXEL_MEAN = list(constants.imagenet_rgb256_mean)
    cfg.MODEL.PIXEL_STD = list(constants.imagenet_rgb256_std)


def model_config_from_yacs(cfg, *, model_class: type):
    """The ``model`` LazyConfig node that ``build_model(cfg)`` instantiates for ``TopDownPoseEstimator``.

    Loads ``cfg.MODEL.TOPDOWN.CONFIG_FILE``, applies ``KEYPOINT_SET`` (:func:`use_keypoint_set`),
    ``cfg.MODEL.PIXEL_MEAN``/``PIXEL_STD`` and ``cfg.INPUT.FORMAT``, then ``OVERRIDES``.

    Args:
        cfg: a yacs config extended by :func:`add_topdown_config`.
        model_class: what the file's ``model`` must build (``TopDownPoseEstimator.from_config`` passes
            its class, so this module does not import the meta-architecture that imports it).

    Raises:
        RuntimeError: ``CONFIG_FILE`` is neither a file nor a config under ``configs/``.
        ValueError: the file's ``model`` is not a ``model_class``, or an override does not apply.
    """
    t = cfg.MODEL.TOPDOWN
    path = t.CONFIG_FILE
    lazy = LazyConfig.load(path) if os.path.isfile(path) else get_config(path)
    target = lazy.model.get("_target_") if "model" in lazy else None
    if not (isinstance(target, type) and issubclass(target, model_class)):
        raise ValueError(
            f"cfg.MODEL.TOPDOWN.CONFIG_FILE={path!r}: its `model` builds {target}, not a "
            f"{model_class.__name__}"
        )
    use_keypoint_set(lazy.model, t.KEYPOINT_SET)
    lazy.model.pixel_mean = list(cfg.MODEL.PIXEL_MEAN)
    lazy.model.pixel_std = list(cfg.MODEL.PIXEL_STD)
    lazy.model.input_format = cfg.INPUT.FORMAT
    try:
        lazy = LazyConfig.apply_overrides(lazy, list(t.OVERRIDES))
    except Exception as e:  # noqa: BLE001 - re-raised with the yacs key that caused it
        raise ValueError(f"cfg.MODEL.TOPDOWN.OVERRIDES={list(t.OVERRIDES)}: {e}") from e
    return lazy.model

"""The networks the tests build, by name: each name is a model config under configs/common/models/."""

from detectron2.config import LazyConfig, instantiate

from ljof.model_zoo import get_config
from ljof.modeling import use_keypoint_set

MODEL_CONFIGS = {
    "hrnet_w32": "common/models/topdown_hrnet.py",
    "hrnet_w48": "common/models/topdown_hrnet_w48.py",
    "hrnet_tiny": "common/models/topdown_hrnet_tiny.py",
    "hrnet_w32_srpose": "common/models/topdown_srpose.py",
    "hrnet_tiny_srpose": "common/models/topdown_srpose_tiny.py",
    "simplebaseline_r152": "common/models/topdown_simplebaseline.py",
    "simplebaseline_tiny": "common/models/topdown_simplebaseline_tiny.py",
    "vitpose_b": "common/models/topdown_vitpose.py",
    "vitpose_tiny": "common/models/topdown_vitpose_tiny.py",
}


def model_config(name: str, *, keypoint_set: str = "coco", overrides=()):
    """The ``model`` node of the named config for ``keypoint_set``, LazyConfig ``overrides`` applied."""
    cfg = get_config(MODEL_CONFIGS[name])
    use_keypoint_set(cfg.model, keypoint_set)
    return LazyConfig.apply_overrides(cfg, list(overrides)).model


def build_network(name: str, *, keypoint_set: str = "coco", overrides=()):
    """``(backbone, head)`` of the named config (see :func:`model_config`)."""
    model = model_config(name, keypoint_set=keypoint_set, overrides=overrides)
    return instantiate(model.backbone), instantiate(model.head)

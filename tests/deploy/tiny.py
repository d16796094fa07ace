"""The reduced networks of every exported family (the ``*_tiny.py`` model configs: same code paths as the
published sizes, seconds to export on two cores) and the skip condition of the deploy tests."""

import importlib

import torch
from detectron2.config import LazyConfig, instantiate

from ljof.model_zoo import get_config_file



def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


HAVE_ORT = _importable("onnx") and _importable("onnxruntime")
NO_ORT = "onnx and onnxruntime are not installed (pip install 'ljof[deploy]')"

# config, overrides. The head's init_std is raised so that the heatmaps are O(1), as a trained model's
# (random-init heads give maps of ~1e-3), and the 1e-4 tolerance is a real test.
FAMILIES = {
    "hrnet": ("common/models/topdown_hrnet_tiny.py", ["model.head.init_std=0.3"]),
    "simplebaseline": ("common/models/topdown_simplebaseline_tiny.py", ["model.head.init_std=0.03"]),
    "vitpose": ("common/models/topdown_vitpose_tiny.py", ["model.head.init_std=0.07"]),
    "srpose": ("common/models/topdown_srpose_tiny.py", ["model.head.init_std=0.07"]),
}


def config_path(family: str) -> str:
    return get_config_file(FAMILIES[family][0])


def tiny_model(family: str, seed: int = 0):
    """The reduced pose model of ``family`` in eval mode, fixed random weights."""
    path, opts = FAMILIES[family]
    cfg = LazyConfig.apply_overrides(LazyConfig.load(get_config_file(path)), list(opts))
    torch.manual_seed(seed)
    model = instantiate(cfg.model).eval()
    # random BatchNorm statistics, so the export's Conv+BN folding is exercised on non-trivial values
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g))
            m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=g))
    return model

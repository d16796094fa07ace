"""Reduced networks of every exported family (same code paths as the published sizes, seconds to
export on two cores) and the skip condition of the deploy tests."""

import importlib.util
import os

import torch
from detectron2.config import LazyConfig, instantiate

from tests.common import ROOT

HAVE_ORT = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))
NO_ORT = "onnx and onnxruntime are not installed (pip install 'ljof[deploy]')"

# head init_std large enough that the heatmaps are O(1), so the 1e-4 tolerance means what it means
# for a trained model (random-init heads give maps of ~1e-3)
_HRNET_SMALL = [
    "model.backbone.width=8",
    "model.backbone.num_modules=[1,1,1]",
    "model.backbone.num_blocks=[1,1,1]",
    "model.backbone.stage1_num_blocks=1",
    "model.backbone.stem_channels=16",
]
FAMILIES = {
    "hrnet": (
        "configs/hrnet_w32_coco_256x192.py",
        _HRNET_SMALL + ["model.head.input_shape.channels=8", "model.head.init_std=0.3"],
    ),
    "simplebaseline": (
        "configs/simplebaseline_r152_coco_256x192.py",
        [
            "model.backbone.depth=50",
            "model.backbone.width_per_group=4",
            "model.head.deconv_out_channels=[8,8,8]",
            "model.head.init_std=0.03",
        ],
    ),
    "vitpose": (
        "configs/vitpose_b_coco_256x192.py",
        [
            "model.backbone.embed_dim=32",
            "model.backbone.depth=2",
            "model.backbone.num_heads=2",
            "model.head.input_shape.channels=32",
            "model.head.deconv_out_channels=[8,8]",
            "model.head.init_std=0.15",
        ],
    ),
    "srpose": (
        "configs/srpose_hrnet_w32_coco_256x192.py",
        _HRNET_SMALL
        + [
            "model.head.input_shape.hr1.channels=8",
            "model.head.input_shape.hr2.channels=16",
            "model.head.input_shape.hr3.channels=32",
            "model.head.input_shape.hr4.channels=64",
            "model.head.channels=8",
            "model.head.init_std=0.2",
        ],
    ),
}


def config_path(family: str) -> str:
    return os.path.join(ROOT, FAMILIES[family][0])


def tiny_model(family: str, seed: int = 0):
    """The reduced pose model of ``family`` in eval mode, fixed random weights."""
    path, opts = FAMILIES[family]
    cfg = LazyConfig.apply_overrides(LazyConfig.load(os.path.join(ROOT, path)), list(opts))
    torch.manual_seed(seed)
    model = instantiate(cfg.model).eval()
    # random BatchNorm statistics, so the export's Conv+BN folding is exercised on non-trivial values
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g))
            m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=g))
    return model

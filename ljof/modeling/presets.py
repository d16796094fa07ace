"""Named backbone + head pairs of the published models, and reduced variants for CPU tests and jobs.

``build_pose_network(name, num_keypoints=17)`` returns ``(backbone, head)``; the LazyConfigs in
``configs/`` spell out the same arguments. Published models (256x192 input, 64x48 heatmaps):

============================  ========================================================  ==============
name                          backbone / head                                           params (K=17)
============================  ========================================================  ==============
``hrnet_w32``                 ``HRNet(width=32)`` + 1x1 ``final_layer``                    28,536,113
``hrnet_w48``                 ``HRNet(width=48)`` + 1x1 ``final_layer``                    63,595,745
``simplebaseline_r{50,101,152}``  torchvision ResNet + 3 deconv 4x4/2 256 ch + 1x1          68,635,473 (R-152)
``vitpose_b``                 ViT-B/16 (pad 2, 193 pos tokens) + 2 deconv + 1x1            89,994,513
``hrnet_w32_srpose``          ``HRNet(width=32, multiscale_output=True)`` + ``SRPoseHead``
============================  ========================================================  ==============

Reduced variants for CPU (``*_tiny``): ``hrnet_tiny`` = ``HRNet(width=8, num_modules=(1, 1, 1),
num_blocks=(1, 1, 1), stage1_num_blocks=1, stem_channels=16)`` (185,705 parameters with 17 joints),
``hrnet_small`` = width 16, modules (1, 1, 1), blocks (2, 2, 2), 2 stage-1 blocks, stem 32;
``simplebaseline_tiny`` = ResNet-18 trunk with 2 deconvs of 32 channels; ``vitpose_tiny`` = ViT with
dim 64, depth 2, 4 heads. Any ``HRNet``/``ResNetTrunk``/``VisionTransformer`` argument can be overridden
through ``backbone_kwargs``.
"""

from typing import Dict, Optional, Sequence, Tuple

from torch import nn

from .backbone import HRNet, ResNetTrunk, VisionTransformer
from .heads import HeatmapHead, SRPoseHead

__all__ = ["build_pose_network", "POSE_NETWORKS"]

_HRNET_TINY = dict(
    width=8, num_modules=(1, 1, 1), num_blocks=(1, 1, 1), stage1_num_blocks=1, stem_channels=16
)
_HRNET_SMALL = dict(
    width=16, num_modules=(1, 1, 1), num_blocks=(2, 2, 2), stage1_num_blocks=2, stem_channels=32
)

POSE_NETWORKS = (
    "hrnet_w32",
    "hrnet_w48",
    "hrnet_small",
    "hrnet_tiny",
    "simplebaseline_r50",
    "simplebaseline_r101",
    "simplebaseline_r152",
    "simplebaseline_tiny",
    "vitpose_b",
    "vitpose_tiny",
    "hrnet_w32_srpose",
    "hrnet_tiny_srpose",
)


def build_pose_network(
    name: str,
    *,
    num_keypoints: int = 17,
    img_size: Sequence[int] = (256, 192),
    drop_path_rate: float = 0.0,
    backbone_kwargs: Optional[Dict] = None,
    head_kwargs: Optional[Dict] = None,
) -> Tuple[nn.Module, nn.Module]:
    """``(backbone, head)`` of a named network (see the module docstring for the names).

    Args:
        name: one of :data:`POSE_NETWORKS`.
        num_keypoints: K (17 for COCO/OCHuman, 14 for CrowdPose).
        img_size: (H, W) of the crops (only the ViT needs it at construction).
        drop_path_rate: ViT stochastic depth (0.3 in the ViTPose-B recipe).
        backbone_kwargs, head_kwargs: overrides of the constructor arguments.
    """
    bk = dict(backbone_kwargs or {})
    hk = dict(head_kwargs or {})
    if name.startswith("hrnet"):
        if name in ("hrnet_w32", "hrnet_w48"):
            base = dict(width=int(name[-2:]))
        elif name in ("hrnet_w32_srpose",):
            base = dict(width=32, multiscale_output=True)
        elif name == "hrnet_tiny_srpose":
            base = dict(_HRNET_TINY, multiscale_output=True)
        elif name == "hrnet_small":
            base = dict(_HRNET_SMALL)
        elif name == "hrnet_tiny":
            base = dict(_HRNET_TINY)
        else:
            raise ValueError(f"unknown pose network {name!r}; expected one of {POSE_NETWORKS}")
        backbone = HRNet(**{**base, **bk})
        if backbone.multiscale_output:
            head = SRPoseHead(
                input_shape=backbone.output_shape(), num_keypoints=num_keypoints, **hk
            )
        else:
            head = HeatmapHead(
                input_shape=backbone.output_shape(),
                in_feature="hr1",
                num_keypoints=num_keypoints,
                **hk,
            )
        return backbone, head
    if name.startswith("simplebaseline"):
        if name == "simplebaseline_tiny":
            base, deconv = dict(depth=18), (32, 32)
        elif name in ("simplebaseline_r50", "simplebaseline_r101", "simplebaseline_r152"):
            base, deconv = dict(depth=int(name.split("_r")[1])), (256, 256, 256)
        else:
            raise ValueError(f"unknown pose network {name!r}; expected one of {POSE_NETWORKS}")
        backbone = ResNetTrunk(**{**base, **bk})
        head_args = dict(deconv_out_channels=deconv, deconv_kernel_sizes=(4,) * len(deconv))
        head = HeatmapHead(
            input_shape=backbone.output_shape(),
            in_feature="res5",
            num_keypoints=num_keypoints,
            **{**head_args, **hk},
        )
        return backbone, head
    if name in ("vitpose_b", "vitpose_tiny"):
        base = dict(img_size=tuple(img_size), drop_path_rate=drop_path_rate)
        if name == "vitpose_tiny":
            base.update(embed_dim=64, depth=2, num_heads=4)
            head_args = dict(deconv_out_channels=(32, 32), deconv_kernel_sizes=(4, 4))
        else:
            head_args = dict(deconv_out_channels=(256, 256), deconv_kernel_sizes=(4, 4))
        backbone = VisionTransformer(**{**base, **bk})
        head = HeatmapHead(
            input_shape=backbone.output_shape(),
            in_feature="last_feat",
            num_keypoints=num_keypoints,
            **{**head_args, **hk},
        )
        return backbone, head
    raise ValueError(f"unknown pose network {name!r}; expected one of {POSE_NETWORKS}")

"""The SimpleBaseline trunk (Xiao et al., ECCV 2018): torchvision's ResNet without pooling and fc.

The ResNet itself is torchvision's (reused, not rewritten). Its modules are attached under their
torchvision names (``conv1``, ``bn1``, ``layer1``..``layer4``), which are also the names of the official
SimpleBaseline and MMPose ResNet checkpoints, so ImageNet and pose weights convert by a prefix. The three
4x4 stride-2 deconvolutions of SimpleBaseline belong to :class:`ljof.modeling.HeatmapHead`.
"""

import logging
from typing import Dict

import torch
import torchvision
from detectron2.layers import ShapeSpec
from detectron2.modeling import Backbone

__all__ = ["ResNetTrunk", "resnet_trunk_output_shape"]

logger = logging.getLogger(__name__)

_TORCHVISION_RESNETS = {
    18: torchvision.models.resnet18,
    34: torchvision.models.resnet34,
    50: torchvision.models.resnet50,
    101: torchvision.models.resnet101,
    152: torchvision.models.resnet152,
}


def resnet_trunk_output_shape(*, depth: int) -> Dict[str, ShapeSpec]:
    """``ResNetTrunk(depth=...).output_shape()`` without building the network: ``{"res5": ShapeSpec}`` with
    512 channels for depth 18/34 (basic blocks) and 2048 for 50/101/152 (bottlenecks, expansion 4), stride
    32 (He et al., CVPR 2016, Table 1). Configs give it to a head as ``input_shape``.
    """
    if depth not in _TORCHVISION_RESNETS:
        raise ValueError(f"ResNetTrunk: depth {depth} not in {sorted(_TORCHVISION_RESNETS)}")
    return {"res5": ShapeSpec(channels=512 if depth < 50 else 2048, stride=32)}


class ResNetTrunk(Backbone):
    """torchvision ResNet-``depth`` up to ``layer4``.

    Input ``(B, 3, H, W)``; output ``{"res5": (B, 2048, H/32, W/32)}`` (512 channels for depth 18/34).

    Args:
        depth: 18, 34, 50, 101 or 152.
        width_per_group: torchvision's bottleneck width (64 in the published models; smaller values build
            reduced trunks for tests).
    """

    def __init__(self, *, depth: int = 50, width_per_group: int = 64):
        super().__init__()
        shape = resnet_trunk_output_shape(depth=depth)["res5"]  # checks the depth
        kwargs = {} if depth < 50 else {"width_per_group": width_per_group}
        net = _TORCHVISION_RESNETS[depth](weights=None, **kwargs)
        self.depth = depth
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = (
            net.layer1,
            net.layer2,
            net.layer3,
            net.layer4,
        )
        self._out_features = ["res5"]
        self._out_feature_channels = {"res5": shape.channels}
        self._out_feature_strides = {"res5": shape.stride}

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return {"res5": x}

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return resnet_trunk_output_shape(depth=self.depth)

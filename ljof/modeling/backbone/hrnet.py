"""HRNet (Sun et al., CVPR 2019) for top-down pose estimation, as a detectron2 ``Backbone``.

The topology and the module names are those of the official pose HRNet (``lib/models/pose_hrnet.py`` of
deep-high-resolution-net.pytorch): ``conv1/bn1/conv2/bn2`` stem, ``layer1`` (bottlenecks),
``transition{1,2,3}``, ``stage{2,3,4}`` made of ``HighResolutionModule``s with ``branches`` and
``fuse_layers``. Keeping the names means an official checkpoint maps onto this module by a prefix only
(see :mod:`ljof.checkpoint`). The output layer of the official model (``final_layer``) lives in the
heatmap head, not here.

Widths, module counts and block counts are arguments, so tests and CPU jobs can build reduced HRNets
(e.g. ``width=8, num_modules=(1, 1, 1), num_blocks=(1, 1, 1), stage1_num_blocks=1``).
"""

import logging
from typing import Dict, List, Sequence

import torch
from detectron2.layers import ShapeSpec
from detectron2.modeling import Backbone
from torch import nn

__all__ = ["HRNet", "BasicBlock", "Bottleneck", "HighResolutionModule", "hrnet_output_shape"]

logger = logging.getLogger(__name__)


def _conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (expansion 1)."""

    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int = 1, downsample=None):
        super().__init__()
        self.conv1 = _conv3x3(in_channels, channels, stride)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(channels, channels)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 - 3x3 - 1x1 bottleneck with a residual connection (expansion 4)."""

    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1, downsample=None):
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = _conv3x3(channels, channels, stride)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, out_channels, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def _make_blocks(block, in_channels: int, channels: int, num_blocks: int) -> nn.Sequential:
    """``num_blocks`` residual blocks; the first gets a 1x1 conv + BN shortcut if channels change."""
    downsample = None
    if in_channels != channels * block.expansion:
        downsample = nn.Sequential(
            nn.Conv2d(in_channels, channels * block.expansion, kernel_size=1, bias=False),
            nn.BatchNorm2d(channels * block.expansion),
        )
    layers = [block(in_channels, channels, downsample=downsample)]
    for _ in range(1, num_blocks):
        layers.append(block(channels * block.expansion, channels))
    return nn.Sequential(*layers)


class HighResolutionModule(nn.Module):
    """Parallel branches of basic blocks followed by all-to-all fusion.

    Input and output: a list of ``len(channels)`` tensors, branch ``i`` at stride ``s * 2**i``. With
    ``multiscale_output=False`` only the fused highest-resolution branch is returned (a list of one).
    """

    def __init__(self, *, channels: Sequence[int], num_blocks: int, multiscale_output: bool = True):
        super().__init__()
        self.num_branches = len(channels)
        self.multiscale_output = multiscale_output
        self.branches = nn.ModuleList(
            [_make_blocks(BasicBlock, c, c, num_blocks) for c in channels]
        )
        self.fuse_layers = self._make_fuse_layers(list(channels)) if self.num_branches > 1 else None
        self.relu = nn.ReLU(inplace=True)

    def _make_fuse_layers(self, channels: List[int]) -> nn.ModuleList:
        n_out = self.num_branches if self.multiscale_output else 1
        fuse = []
        for i in range(n_out):
            row = []
            for j in range(self.num_branches):
                if j > i:  # lower resolution: 1x1 conv then nearest upsampling
                    row.append(
                        nn.Sequential(
                            nn.Conv2d(channels[j], channels[i], kernel_size=1, bias=False),
                            nn.BatchNorm2d(channels[i]),
                            nn.Upsample(scale_factor=2 ** (j - i), mode="nearest"),
                        )
                    )
                elif j == i:
                    row.append(None)
                else:  # higher resolution: (i - j) stride-2 3x3 convs, ReLU between them
                    steps = []
                    for k in range(i - j):
                        last = k == i - j - 1
                        out_ch = channels[i] if last else channels[j]
                        layers = [_conv3x3(channels[j], out_ch, stride=2), nn.BatchNorm2d(out_ch)]
                        if not last:
                            layers.append(nn.ReLU(inplace=True))
                        steps.append(nn.Sequential(*layers))
                    row.append(nn.Sequential(*steps))
            fuse.append(nn.ModuleList(row))
        return nn.ModuleList(fuse)

    def forward(self, xs: List[torch.Tensor]) -> List[torch.Tensor]:
        xs = [branch(x) for branch, x in zip(self.branches, xs)]
        if self.fuse_layers is None:
            return xs
        outs = []
        for i, row in enumerate(self.fuse_layers):
            y = xs[i]
            for j, layer in enumerate(row):
                if j != i:
                    y = y + layer(xs[j])
            outs.append(self.relu(y))
        return outs


def hrnet_output_shape(*, width: int, multiscale_output: bool = False) -> Dict[str, ShapeSpec]:
    """``HRNet(width=..., multiscale_output=...).output_shape()`` without building the network.

    ``{"hr1": ShapeSpec(channels=width, stride=4)}``, or with ``multiscale_output`` the four branches
    ``hr1..hr4``: channels ``width * (1, 2, 4, 8)``, strides 4, 8, 16, 32 (Sun et al., CVPR 2019, Sec. 3).
    Configs give it to a head as ``input_shape``, so the head follows the backbone's width.
    """
    n_out = 4 if multiscale_output else 1
    return {f"hr{i + 1}": ShapeSpec(channels=width * 2**i, stride=4 * 2**i) for i in range(n_out)}


class HRNet(Backbone):
    """The HRNet pose backbone.

    Input: ``(B, 3, H, W)`` normalised images. Output: ``{"hr1": (B, width, H/4, W/4)}``, or with
    ``multiscale_output=True`` the four fused branches ``hr1..hr4`` at strides 4, 8, 16, 32 with
    ``width * (1, 2, 4, 8)`` channels.

    Args:
        width: channels of the highest-resolution branch (32 for HRNet-W32, 48 for W48).
        num_modules: high-resolution modules in stages 2, 3, 4 (official: 1, 4, 3).
        num_blocks: basic blocks per branch in each module of stages 2, 3, 4 (official: 4, 4, 4).
        stage1_num_blocks: bottlenecks in stage 1 (official: 4).
        stem_channels: channels of the stem and of the stage-1 bottlenecks (official: 64).
        multiscale_output: keep all four branches out of the last module (SRPose-style heads).
    """

    def __init__(
        self,
        *,
        width: int = 32,
        num_modules: Sequence[int] = (1, 4, 3),
        num_blocks: Sequence[int] = (4, 4, 4),
        stage1_num_blocks: int = 4,
        stem_channels: int = 64,
        multiscale_output: bool = False,
    ):
        super().__init__()
        if len(num_modules) != 3 or len(num_blocks) != 3:
            raise ValueError(
                f"HRNet: num_modules and num_blocks need 3 entries (stages 2-4), got "
                f"{tuple(num_modules)} and {tuple(num_blocks)}"
            )
        self.width = width
        self.multiscale_output = multiscale_output
        self.conv1 = _conv3x3(3, stem_channels, stride=2)
        self.bn1 = nn.BatchNorm2d(stem_channels)
        self.conv2 = _conv3x3(stem_channels, stem_channels, stride=2)
        self.bn2 = nn.BatchNorm2d(stem_channels)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = _make_blocks(Bottleneck, stem_channels, stem_channels, stage1_num_blocks)

        prev = [stem_channels * Bottleneck.expansion]
        for s in range(3):
            channels = [width * 2**i for i in range(s + 2)]
            setattr(self, f"transition{s + 1}", self._make_transition(prev, channels))
            last_stage = s == 2
            modules = []
            for m in range(num_modules[s]):
                keep_all = not (last_stage and m == num_modules[s] - 1 and not multiscale_output)
                modules.append(
                    HighResolutionModule(
                        channels=channels, num_blocks=num_blocks[s], multiscale_output=keep_all
                    )
                )
            setattr(self, f"stage{s + 2}", nn.Sequential(*modules))
            prev = channels

        shapes = hrnet_output_shape(width=width, multiscale_output=multiscale_output)
        self._out_features = list(shapes)
        self._out_feature_channels = {k: v.channels for k, v in shapes.items()}
        self._out_feature_strides = {k: v.stride for k, v in shapes.items()}

    @staticmethod
    def _make_transition(prev: List[int], channels: List[int]) -> nn.ModuleList:
        layers = []
        for i, c in enumerate(channels):
            if i < len(prev):
                if prev[i] == c:
                    layers.append(None)
                else:
                    layers.append(
                        nn.Sequential(
                            _conv3x3(prev[i], c), nn.BatchNorm2d(c), nn.ReLU(inplace=True)
                        )
                    )
            else:  # a new, lower-resolution branch from the lowest existing one
                steps = []
                for k in range(i + 1 - len(prev)):
                    out_ch = c if k == i - len(prev) else prev[-1]
                    steps.append(
                        nn.Sequential(
                            _conv3x3(prev[-1], out_ch, stride=2),
                            nn.BatchNorm2d(out_ch),
                            nn.ReLU(inplace=True),
                        )
                    )
                layers.append(nn.Sequential(*steps))
        return nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        xs = [self.layer1(x)]
        for s in range(3):
            transition = getattr(self, f"transition{s + 1}")
            new = []
            for i, layer in enumerate(transition):
                src = xs[i] if i < len(xs) else xs[-1]
                new.append(src if layer is None else layer(src))
            xs = getattr(self, f"stage{s + 2}")(new)
        return {name: xs[i] for i, name in enumerate(self._out_features)}

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return hrnet_output_shape(width=self.width, multiscale_output=self.multiscale_output)

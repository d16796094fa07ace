"""SRPose-style super-resolution heatmap head (after Wang et al., ACM MM 2023; our own design).

From the coarsest HRNet branch, features are upsampled 2x at a time by a sub-pixel convolution
(conv to 4C channels + ``PixelShuffle(2)``), fused with the same-stride backbone branch (1x1 lateral conv)
while one exists, refined by a 3x3 conv, and a 1x1 conv predicts heatmaps at that resolution. Below the
finest backbone stride the steps continue without laterals up to full input resolution (stride 1).
Every requested stride is an output, so each is supervised (one codec per output in the mapper, e.g.
``MSRAHeatmap(heatmap_size=(192, 256), sigma=8)`` for the full-resolution one); the last, finest output is
decoded at inference.
"""

import logging
from typing import Dict, List, Sequence

import torch
from torch import nn

from .heatmap_head import init_head_weights

__all__ = ["SRPoseHead"]

logger = logging.getLogger(__name__)


def _conv_bn_relu(in_ch: int, out_ch: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class SRPoseHead(nn.Module):
    """Multi-resolution heatmap head, coarse to fine.

    Input: the backbone feature dict with ``in_features`` (e.g. ``hr1..hr4`` of
    ``HRNet(multiscale_output=True)``). Output: a list of ``(B, K, H / s, W / s)`` heatmaps, one per
    stride ``s`` in ``output_strides`` (descending), H, W the input size.

    Args:
        input_shape: the backbone's ``output_shape()``.
        in_features: feature names used as laterals; strides must be powers of two.
        num_keypoints: K.
        channels: width of the head's features.
        output_strides: strides that produce (supervised) heatmaps; the last is decoded. Must be powers of
            two no larger than the coarsest input stride, e.g. ``(8, 4, 2, 1)``.
        init_std: std of the Normal init of the conv weights.
    """

    def __init__(
        self,
        *,
        input_shape: Dict,
        in_features: Sequence[str] = ("hr1", "hr2", "hr3", "hr4"),
        num_keypoints: int,
        channels: int = 32,
        output_strides: Sequence[int] = (8, 4, 2, 1),
        init_std: float = 0.001,
    ):
        super().__init__()
        strides = {f: int(input_shape[f].stride) for f in in_features}
        coarsest = max(strides.values())
        if list(output_strides) != sorted(output_strides, reverse=True) or min(output_strides) < 1:
            raise ValueError(
                f"SRPoseHead: output_strides {output_strides} must be descending, >= 1"
            )
        for s in list(output_strides) + list(strides.values()):
            if s & (s - 1):
                raise ValueError(f"SRPoseHead: stride {s} is not a power of two")
        if output_strides[0] > coarsest:
            raise ValueError(
                f"SRPoseHead: output stride {output_strides[0]} is coarser than the coarsest feature "
                f"({coarsest})"
            )
        self.in_features = list(in_features)
        self.output_strides = [int(s) for s in output_strides]
        self.num_keypoints = num_keypoints
        self._lateral_of = {s: f for f, s in strides.items()}
        self.laterals = nn.ModuleDict(
            {f: _conv_bn_relu(input_shape[f].channels, channels, 1) for f in self.in_features}
        )
        self.level_strides = []
        s = coarsest
        while s >= self.output_strides[-1]:
            self.level_strides.append(s)
            s //= 2
        self.upsamplers = nn.ModuleList(
            [
                nn.Sequential(
                    nn.Conv2d(channels, 4 * channels, kernel_size=3, padding=1, bias=False),
                    nn.PixelShuffle(2),
                )
                for _ in self.level_strides[1:]
            ]
        )
        self.refiners = nn.ModuleList(
            [_conv_bn_relu(channels, channels, 3) for _ in self.level_strides[1:]]
        )
        self.predictors = nn.ModuleDict(
            {str(s): nn.Conv2d(channels, num_keypoints, kernel_size=1) for s in self.output_strides}
        )
        init_head_weights(self, std=init_std)

    def forward(self, features: Dict[str, torch.Tensor]) -> List[torch.Tensor]:
        x = self.laterals[self._lateral_of[self.level_strides[0]]](
            features[self._lateral_of[self.level_strides[0]]]
        )
        outputs = []
        for i, s in enumerate(self.level_strides):
            if i > 0:
                x = self.upsamplers[i - 1](x)
                if s in self._lateral_of:
                    x = x + self.laterals[self._lateral_of[s]](features[self._lateral_of[s]])
                x = self.refiners[i - 1](x)
            if str(s) in self.predictors:
                outputs.append(self.predictors[str(s)](x))
        return outputs

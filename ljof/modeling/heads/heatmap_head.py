"""The classic top-down heatmap head: optional deconvolutions, then a 1x1 (or kxk) output conv.

With no deconvolution it is the HRNet head (``final_layer`` only); with three 4x4 stride-2 deconvolutions
of 256 channels it is the SimpleBaseline head; with two it is ViTPose's classic decoder. Module names
(``deconv_layers.{0,1,3,4,...}``, ``final_layer``) follow the official SimpleBaseline / MMPose heads, so
checkpoints convert by a prefix.
"""

import logging
from typing import Dict, List, Sequence

import torch
from torch import nn

__all__ = ["HeatmapHead", "init_head_weights"]

logger = logging.getLogger(__name__)

_DECONV_PADDING = {4: (1, 0), 3: (1, 1), 2: (0, 0)}  # kernel -> (padding, output_padding) for x2


def init_head_weights(module: nn.Module, std: float = 0.001) -> None:
    """Normal(0, std) for conv/deconv weights, zero biases, BN weight 1 / bias 0 (HRNet and MMPose)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class HeatmapHead(nn.Module):
    """Deconvolutions + final conv mapping one backbone feature to ``K`` heatmaps.

    Input: the backbone's feature dict; ``in_feature`` names the map used, ``(B, C, h, w)``.
    Output: a list of one tensor ``(B, K, h * 2**len(deconv_out_channels), w * ...)``.

    Args:
        input_shape: backbone ``output_shape()`` (or the ``ShapeSpec`` of ``in_feature``).
        in_feature: name of the feature map the head reads (e.g. ``"hr1"``, ``"res5"``, ``"last_feat"``).
        num_keypoints: K, the number of heatmaps.
        deconv_out_channels: channels of each 2x deconvolution (``()`` for HRNet).
        deconv_kernel_sizes: kernel of each deconvolution (4, 3 or 2).
        final_kernel_size: kernel of the output conv (1 in every published model).
        init_std: std of the Normal init of conv/deconv weights.
    """

    def __init__(
        self,
        *,
        input_shape,
        in_feature: str,
        num_keypoints: int,
        deconv_out_channels: Sequence[int] = (),
        deconv_kernel_sizes: Sequence[int] = (),
        final_kernel_size: int = 1,
        init_std: float = 0.001,
    ):
        super().__init__()
        if len(deconv_out_channels) != len(deconv_kernel_sizes):
            raise ValueError(
                f"HeatmapHead: {len(deconv_out_channels)} deconv channels but "
                f"{len(deconv_kernel_sizes)} kernel sizes"
            )
        shape = input_shape[in_feature] if isinstance(input_shape, dict) else input_shape
        self.in_feature = in_feature
        self.num_keypoints = num_keypoints
        in_ch = shape.channels
        layers: List[nn.Module] = []
        for ch, k in zip(deconv_out_channels, deconv_kernel_sizes):
            if k not in _DECONV_PADDING:
                raise ValueError(f"HeatmapHead: deconv kernel {k} not supported (use 2, 3 or 4)")
            pad, out_pad = _DECONV_PADDING[k]
            layers += [
                nn.ConvTranspose2d(
                    in_ch,
                    ch,
                    kernel_size=k,
                    stride=2,
                    padding=pad,
                    output_padding=out_pad,
                    bias=False,
                ),
                nn.BatchNorm2d(ch),
                nn.ReLU(inplace=True),
            ]
            in_ch = ch
        self.deconv_layers = nn.Sequential(*layers) if layers else None
        self.final_layer = nn.Conv2d(
            in_ch, num_keypoints, kernel_size=final_kernel_size, padding=final_kernel_size // 2
        )
        # heatmap stride in input pixels, one entry per output (as SRPoseHead.output_strides)
        self.output_strides = [(shape.stride or 1) / 2 ** len(deconv_out_channels)]
        init_head_weights(self, std=init_std)

    def forward(self, features: Dict[str, torch.Tensor]) -> List[torch.Tensor]:
        x = features[self.in_feature] if isinstance(features, dict) else features
        if self.deconv_layers is not None:
            x = self.deconv_layers(x)
        return [self.final_layer(x)]

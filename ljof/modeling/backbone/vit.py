"""Plain Vision Transformer backbone of ViTPose (Xu et al., NeurIPS 2022), as a detectron2 ``Backbone``.

timm is not a dependency, so the transformer blocks are written here with ``torch.nn`` (attention through
``F.scaled_dot_product_attention``, stochastic depth through ``torchvision.ops.StochasticDepth``). Parameter
names follow the official ViTPose / MAE (timm-style) checkpoints: ``patch_embed.proj``, ``pos_embed``,
``blocks.{i}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``, ``last_norm``.

ViTPose-B: ``embed_dim=768, depth=12, num_heads=12, mlp_ratio=4, patch_size=16, patch_padding=2`` on a
256x192 input, i.e. a 16x12 token grid; the position embedding holds 192 + 1 tokens (the extra slot is
the MAE class token, added to every patch token since the model keeps no class token).
"""

import logging
from typing import Dict, Sequence

import torch
import torch.nn.functional as F
from detectron2.layers import ShapeSpec
from detectron2.modeling import Backbone
from torch import nn
from torchvision.ops import StochasticDepth

__all__ = ["VisionTransformer", "TransformerBlock", "PatchEmbed"]

logger = logging.getLogger(__name__)


class PatchEmbed(nn.Module):
    """Non-overlapping (up to ``padding``) patch projection: (B, 3, H, W) -> (B, C, H', W')."""

    def __init__(self, *, in_channels: int, embed_dim: int, patch_size: int, padding: int):
        super().__init__()
        self.proj = nn.Conv2d(
            in_channels, embed_dim, kernel_size=patch_size, stride=patch_size, padding=padding
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class Attention(nn.Module):
    """Multi-head self-attention with a fused ``qkv`` projection (names as in ViT checkpoints)."""

    def __init__(self, *, dim: int, num_heads: int, qkv_bias: bool = True):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"Attention: dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = (
            self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        )
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, *, dim: int, hidden_dim: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class TransformerBlock(nn.Module):
    """Pre-norm transformer block: ``x + DP(attn(norm1(x)))``, then ``x + DP(mlp(norm2(x)))``."""

    def __init__(
        self,
        *,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path: float = 0.0,
    ):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim=dim, num_heads=num_heads, qkv_bias=qkv_bias)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim=dim, hidden_dim=int(dim * mlp_ratio))
        self.drop_path = StochasticDepth(drop_path, mode="row") if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class VisionTransformer(Backbone):
    """ViTPose's plain ViT backbone.

    Input ``(B, 3, H, W)`` with ``(H, W) == img_size``; output ``{"last_feat": (B, embed_dim, H', W')}``,
    ``H' = (H + 2 * patch_padding - patch_size) // patch_size + 1`` (16x12 for ViTPose-B at 256x192).

    Args:
        img_size: (H, W) of the input crops.
        patch_size, patch_padding: patch embedding conv (16 and 2 for ViTPose).
        embed_dim, depth, num_heads, mlp_ratio, qkv_bias: transformer size (ViT-B: 768, 12, 12, 4, True).
        drop_path_rate: stochastic depth, linearly increasing over the blocks up to this value.
    """

    def __init__(
        self,
        *,
        img_size: Sequence[int] = (256, 192),
        patch_size: int = 16,
        patch_padding: int = 2,
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path_rate: float = 0.0,
    ):
        super().__init__()
        self.img_size = tuple(img_size)
        self.patch_embed = PatchEmbed(
            in_channels=3, embed_dim=embed_dim, patch_size=patch_size, padding=patch_padding
        )
        self.grid_size = tuple(
            (s + 2 * patch_padding - patch_size) // patch_size + 1 for s in self.img_size
        )
        num_patches = self.grid_size[0] * self.grid_size[1]
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        # linear in the block index, 0 for the first block (plain Python: works on the meta device)
        rates = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.ModuleList(
            [
                TransformerBlock(
                    dim=embed_dim,
                    num_heads=num_heads,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    drop_path=r,
                )
                for r in rates
            ]
        )
        self.last_norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self._out_features = ["last_feat"]
        self._out_feature_channels = {"last_feat": embed_dim}
        self._out_feature_strides = {"last_feat": patch_size}
        self._init_weights()

    def _init_weights(self) -> None:
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = self.patch_embed(x)
        b, c, h, w = x.shape
        if (h, w) != self.grid_size:
            raise ValueError(
                f"VisionTransformer: input {tuple(x.shape[-2:])} gives a {h}x{w} token grid, but the "
                f"position embedding is for {self.grid_size} (img_size={self.img_size})"
            )
        x = x.flatten(2).transpose(1, 2)
        x = x + self.pos_embed[:, 1:] + self.pos_embed[:, :1]
        for block in self.blocks:
            x = block(x)
        x = self.last_norm(x)
        return {"last_feat": x.transpose(1, 2).reshape(b, c, h, w)}

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return {
            "last_feat": ShapeSpec(
                channels=self._out_feature_channels["last_feat"],
                stride=self._out_feature_strides["last_feat"],
            )
        }

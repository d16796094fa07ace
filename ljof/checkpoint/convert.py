"""Rename published pose / ImageNet checkpoints into ``TopDownPoseEstimator`` parameter names.

Our names: ``backbone.<official backbone name>`` and ``head.<official head name>`` (HRNet and ResNet keep
the names of the official code and of MMPose; the ViT keeps the ViTPose / MAE names). Formats:

* ``hrnet-official`` (also ``simplebaseline-official``): deep-high-resolution-net.pytorch and
  human-pose-estimation.pytorch pose checkpoints; ``final_layer.*`` and ``deconv_layers.*`` go to
  ``head.``, everything else to ``backbone.``.
* ``mmpose``: MMPose 1.x top-down checkpoints (``backbone.*``, ``head.*``); ``data_preprocessor.*`` and
  other non-model keys are dropped. A ViT stored with mmpretrain's names (``layers.{i}.ln1``,
  ``ffn.layers.0.0``, ``patch_embed.projection``, ``ln1``) is renamed to ours; its ``cls_token`` is
  dropped and a position embedding for another grid is resized.
* ``vitpose-official``: ViTPose repository checkpoints (``backbone.*``, ``keypoint_head.*``).
* ``imagenet-hrnet``: HRNet-Image-Classification weights; the classification-only modules
  (``incre_modules``, ``downsamp_modules``, ``final_layer``, ``classifier``) are dropped, the rest goes to
  ``backbone.``.
* ``torchvision-resnet``: torchvision ImageNet ResNets; ``fc.*`` dropped, the rest to ``backbone.``.
* ``mmpretrain-vit``: an mmpretrain ``VisionTransformer`` without prefix (MMPose's
  ``mae_pretrain_vit_base_20230913.pth`` is expected to be one): renamed as for ``mmpose``.
* ``mae-vit``: MAE pre-trained ViT encoders (original MAE/timm names); ``norm`` becomes ``last_norm``;
  ``cls_token``, ``mask_token`` and ``decoder*`` are dropped; the 14x14 patch position embedding is
  resized (bicubic) to the model's token grid, keeping the class-token slot.

Renaming is pure; :class:`ljof.checkpoint.PoseCheckpointer` checks the result against a model and loads it.
"""

import logging
import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

__all__ = [
    "FORMATS",
    "convert_state_dict",
    "detect_format",
    "unwrap_checkpoint",
    "resize_pos_embed",
]

logger = logging.getLogger(__name__)

StateDict = Dict[str, torch.Tensor]


def unwrap_checkpoint(obj) -> StateDict:
    """The state dict inside a loaded checkpoint (``state_dict``/``model`` wrappers, ``module.`` prefix)."""
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise ValueError(f"checkpoint holds a {type(obj).__name__}, not a state dict")
    out = {}
    for k, v in obj.items():
        if not isinstance(v, torch.Tensor):
            continue
        out[k[len("module.") :] if k.startswith("module.") else k] = v
    if not out:
        raise ValueError("checkpoint holds no tensors")
    return out


def _official_pose(sd: StateDict, **_) -> Tuple[StateDict, List[str]]:
    out = {}
    for k, v in sd.items():
        head = k.startswith("final_layer.") or k.startswith("deconv_layers.")
        out[("head." if head else "backbone.") + k] = v
    return out, []


_MMPRETRAIN_VIT = [
    (re.compile(r"^backbone\.patch_embed\.projection\."), "backbone.patch_embed.proj."),
    (re.compile(r"^backbone\.layers\.(\d+)\.ln1\."), r"backbone.blocks.\1.norm1."),
    (re.compile(r"^backbone\.layers\.(\d+)\.ln2\."), r"backbone.blocks.\1.norm2."),
    (re.compile(r"^backbone\.layers\.(\d+)\.attn\."), r"backbone.blocks.\1.attn."),
    (re.compile(r"^backbone\.layers\.(\d+)\.ffn\.layers\.0\.0\."), r"backbone.blocks.\1.mlp.fc1."),
    (re.compile(r"^backbone\.layers\.(\d+)\.ffn\.layers\.1\."), r"backbone.blocks.\1.mlp.fc2."),
    (re.compile(r"^backbone\.ln1\."), "backbone.last_norm."),
]


def _mmpose(sd: StateDict, *, vit_grid: Optional[Sequence[int]] = None, **_):
    out, dropped = {}, []
    vit_mmpretrain = any(k.startswith("backbone.layers.") and ".ln1." in k for k in sd)
    for k, v in sd.items():
        if not (k.startswith("backbone.") or k.startswith("head.")) or k == "backbone.cls_token":
            dropped.append(k)
            continue
        if vit_mmpretrain:
            for pattern, repl in _MMPRETRAIN_VIT:
                if pattern.search(k):
                    k = pattern.sub(repl, k)
                    break
        if k == "backbone.pos_embed" and vit_grid is not None:
            v = _fit_pos_embed(v, vit_grid)
        out[k] = v
    return out, dropped


def _mmpretrain_vit(sd: StateDict, **kwargs) -> Tuple[StateDict, List[str]]:
    """An mmpretrain ``VisionTransformer`` state dict without prefix (e.g. MMPose's MAE ViT-B file)."""
    kwargs["vit_grid"] = kwargs.get("vit_grid") or (16, 12)
    return _mmpose({"backbone." + k: v for k, v in sd.items()}, **kwargs)


def _fit_pos_embed(pos_embed: torch.Tensor, grid: Sequence[int]) -> torch.Tensor:
    """Fit a position embedding to ``grid`` + one class slot (our layout, as the official ViTPose).

    Without a class slot (an mmpretrain ViT built with ``with_cls_token=False``) a zero slot is
    prepended: our forward adds slot 0 to every patch token, so a zero slot changes nothing. A square
    grid of another size (MAE at 224: 14x14) is resized.
    """
    if pos_embed.dim() != 3:
        return pos_embed
    n = grid[0] * grid[1]
    if pos_embed.shape[1] == n:
        return torch.cat([pos_embed.new_zeros(1, 1, pos_embed.shape[2]), pos_embed], dim=1)
    if pos_embed.shape[1] != n + 1:
        return resize_pos_embed(pos_embed, grid)
    return pos_embed


def _vitpose_official(sd: StateDict, **_) -> Tuple[StateDict, List[str]]:
    out, dropped = {}, []
    for k, v in sd.items():
        if k.startswith("keypoint_head."):
            out["head." + k[len("keypoint_head.") :]] = v
        elif k.startswith("backbone."):
            out[k] = v
        else:
            dropped.append(k)
    return out, dropped


def _drop_then_prefix(sd: StateDict, drop: Sequence[str]) -> Tuple[StateDict, List[str]]:
    out, dropped = {}, []
    for k, v in sd.items():
        if any(k == d or k.startswith(d + ".") for d in drop):
            dropped.append(k)
        else:
            out["backbone." + k] = v
    return out, dropped


def _imagenet_hrnet(sd: StateDict, **_) -> Tuple[StateDict, List[str]]:
    return _drop_then_prefix(sd, ("incre_modules", "downsamp_modules", "final_layer", "classifier"))


def _torchvision_resnet(sd: StateDict, **_) -> Tuple[StateDict, List[str]]:
    return _drop_then_prefix(sd, ("fc",))


def resize_pos_embed(
    pos_embed: torch.Tensor, grid: Sequence[int], num_extra_tokens: int = 1
) -> torch.Tensor:
    """Bicubic resize of a ``(1, extra + h*w, C)`` position embedding to a ``grid = (H', W')`` grid.

    The source grid must be square (MAE: 14x14); the extra (class-token) slots are kept unchanged.
    """
    extra, patches = pos_embed[:, :num_extra_tokens], pos_embed[:, num_extra_tokens:]
    side = int(round(patches.shape[1] ** 0.5))
    if side * side != patches.shape[1]:
        raise ValueError(
            f"resize_pos_embed: {patches.shape[1]} patch tokens do not form a square grid"
        )
    if (side, side) == tuple(grid):
        return pos_embed
    c = patches.shape[-1]
    grid_map = patches.reshape(1, side, side, c).permute(0, 3, 1, 2).float()
    resized = F.interpolate(grid_map, size=tuple(grid), mode="bicubic", align_corners=False)
    resized = resized.permute(0, 2, 3, 1).reshape(1, grid[0] * grid[1], c).to(pos_embed.dtype)
    return torch.cat([extra, resized], dim=1)


def _mae_vit(
    sd: StateDict, *, vit_grid: Sequence[int] = (16, 12), **_
) -> Tuple[StateDict, List[str]]:
    out, dropped = {}, []
    for k, v in sd.items():
        if k in ("cls_token", "mask_token") or k.startswith("decoder") or k.startswith("head."):
            dropped.append(k)
        elif k.startswith("norm.") or k.startswith("fc_norm."):
            out["backbone.last_norm." + k.split(".", 1)[1]] = v
        elif k == "pos_embed":
            out["backbone.pos_embed"] = _fit_pos_embed(v, vit_grid)
        else:
            out["backbone." + k] = v
    return out, dropped


FORMATS: Dict[str, Callable[..., Tuple[StateDict, List[str]]]] = {
    "hrnet-official": _official_pose,
    "simplebaseline-official": _official_pose,
    "mmpose": _mmpose,
    "vitpose-official": _vitpose_official,
    "imagenet-hrnet": _imagenet_hrnet,
    "torchvision-resnet": _torchvision_resnet,
    "mae-vit": _mae_vit,
    "mmpretrain-vit": _mmpretrain_vit,
}


def detect_format(sd: StateDict) -> str:
    """Guess the format of a state dict from its key names (``"ljof"`` when already ours)."""
    keys = list(sd)
    if any(k.startswith("keypoint_head.") for k in keys):
        return "vitpose-official"
    if any(k.startswith("backbone.") or k.startswith("head.") for k in keys):
        return "mmpose"
    if any(k.startswith("incre_modules.") or k.startswith("classifier.") for k in keys):
        return "imagenet-hrnet"
    if "fc.weight" in sd and any(k.startswith("layer4.") for k in keys):
        return "torchvision-resnet"
    if any(k.startswith("layers.") and ".ln1." in k for k in keys):
        return "mmpretrain-vit"
    if "cls_token" in sd or (any(k.startswith("blocks.") for k in keys) and "pos_embed" in sd):
        return "mae-vit"
    if "final_layer.weight" in sd:
        return "hrnet-official"
    raise ValueError(
        f"cannot tell the checkpoint format from its keys (first: {keys[:5]}); pass one of "
        f"{sorted(FORMATS)}"
    )


def convert_state_dict(
    state_dict: StateDict, fmt: str, *, vit_grid: Optional[Sequence[int]] = None
) -> Tuple[StateDict, List[str]]:
    """Rename ``state_dict`` from format ``fmt`` to our names.

    Args:
        state_dict: the checkpoint's tensors (see :func:`unwrap_checkpoint`).
        fmt: one of :data:`FORMATS`, or ``"auto"`` (:func:`detect_format`).
        vit_grid: (H', W') token grid of the target ViT, to resize position embeddings made for another
            grid (``mae-vit``, ``mmpretrain-vit``: default 16x12; ``mmpose``: only when given).

    Returns:
        ``(converted, dropped_keys)``: the renamed tensors and the source keys that have no counterpart
        in a pose model (classification heads, MAE decoder, ...).
    """
    if fmt == "auto":
        fmt = detect_format(state_dict)
    if fmt not in FORMATS:
        raise ValueError(f"unknown checkpoint format {fmt!r}; expected one of {sorted(FORMATS)}")
    kwargs = {"vit_grid": tuple(vit_grid)} if vit_grid is not None else {}
    converted, dropped = FORMATS[fmt](state_dict, **kwargs)
    logger.info(
        f"Converted a {fmt} checkpoint: {len(converted)} tensors kept, {len(dropped)} dropped"
    )
    return converted, dropped

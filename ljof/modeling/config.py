"""yacs config keys of the top-down model, for detectron2's ``build_model(cfg)`` path.

LazyConfigs (``configs/``) are the main route; this lets ``cfg.MODEL.META_ARCHITECTURE =
"TopDownPoseEstimator"`` work with a yacs config too.
"""

from detectron2.config import CfgNode as CN

__all__ = ["add_topdown_config"]


def add_topdown_config(cfg) -> None:
    """Add ``cfg.MODEL.TOPDOWN`` (defaults: HRNet-W32, COCO-17, MSRA 256x192 -> 64x48, flip test)."""
    cfg.MODEL.TOPDOWN = CN()
    # a name of ljof.modeling.POSE_NETWORKS (published: hrnet_w32, hrnet_w48, simplebaseline_r152, ...)
    cfg.MODEL.TOPDOWN.NETWORK = "hrnet_w32"
    cfg.MODEL.TOPDOWN.KEYPOINT_SET = "coco"  # or "crowdpose": K and the flip map
    cfg.MODEL.TOPDOWN.CODEC = "msra"  # msra, dark or udp
    cfg.MODEL.TOPDOWN.INPUT_SIZE = (192, 256)  # (w, h)
    cfg.MODEL.TOPDOWN.HEATMAP_SIZE = (48, 64)  # (w, h)
    cfg.MODEL.TOPDOWN.SIGMA = 2.0
    cfg.MODEL.TOPDOWN.FLIP_TEST = True
    cfg.MODEL.TOPDOWN.SHIFT_HEATMAP = True
    cfg.MODEL.TOPDOWN.DROP_PATH_RATE = 0.0
    # MMPose's RGB statistics; detectron2's INPUT.FORMAT is the format the mapper delivers
    cfg.MODEL.TOPDOWN.NETWORK_FORMAT = "RGB"
    cfg.MODEL.PIXEL_MEAN = [123.675, 116.28, 103.53]
    cfg.MODEL.PIXEL_STD = [58.395, 57.12, 57.375]

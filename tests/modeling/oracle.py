"""Test helpers: a tiny pass-through backbone, an oracle head, fixture registration."""

from typing import Dict, List

import torch
from detectron2.data import MetadataCatalog
from detectron2.data.detection_utils import create_keypoint_hflip_indices
from detectron2.layers import ShapeSpec
from detectron2.modeling import Backbone
from torch import nn

from ljof.data import TopDownDatasetMapper, get_topdown_dataset
from ljof.model_zoo import get_config
from ljof.modeling import KeypointMSELoss, TopDownPoseEstimator
from tests.common import register_fixture

# the pixel statistics of every model config (configs/common/data/constants.py)
_CONSTANTS = get_config("common/data/constants.py").constants
MEAN = list(_CONSTANTS.imagenet_rgb256_mean)
STD = list(_CONSTANTS.imagenet_rgb256_std)


class IdentityBackbone(Backbone):
    """Returns the normalised image as its only feature (stride 1, 3 channels)."""

    def forward(self, x):
        return {"image": x}

    def output_shape(self):
        return {"image": ShapeSpec(channels=3, stride=1)}


class OracleHead(nn.Module):
    """Returns heatmaps set beforehand (``self.heatmaps``: (B, K, h, w)), ignoring the features."""

    def __init__(self):
        super().__init__()
        self.heatmaps = None

    def forward(self, features: Dict[str, torch.Tensor]) -> List[torch.Tensor]:
        return [self.heatmaps]


def oracle_model(codec, flip_indices, **kwargs) -> TopDownPoseEstimator:
    model = TopDownPoseEstimator(
        backbone=IdentityBackbone(),
        head=OracleHead(),
        loss=KeypointMSELoss(),
        codec=codec,
        keypoint_flip_indices=flip_indices,
        pixel_mean=MEAN,
        pixel_std=STD,
        flip_test=False,
        **kwargs,
    )
    return model.eval()


def fixture_samples(which: str, codec):
    """(dataset name, test-mode mapper samples, flip indices) of a real fixture."""
    name = register_fixture(which)
    records = get_topdown_dataset(name)
    meta = MetadataCatalog.get(name)
    mapper = TopDownDatasetMapper(False, codecs=[codec], metadata=meta)
    return name, records, [mapper(r) for r in records], create_keypoint_hflip_indices(meta.name)


def oracle_heatmaps(codec, samples) -> torch.Tensor:
    """Heatmaps encoded from each sample's crop-space GT keypoints: (B, K, h, w)."""
    maps = []
    for s in samples:
        kp = s["keypoints"].numpy()
        hm, _ = codec.encode(kp[:, :2], kp[:, 2])
        maps.append(torch.from_numpy(hm))
    return torch.stack(maps)

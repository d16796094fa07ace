"""ljof.model_zoo resolves configs/; the model configs build the documented networks, and sizes that one
node derives from another follow it (interpolation)."""

import os
import unittest

import torch
from detectron2.config import LazyConfig, instantiate

from ljof.model_zoo import get_config, get_config_file
from tests.common import ROOT

# reduced variants (configs/common/models/*_tiny.py, *_small.py): parameters with 17 keypoints
REDUCED_PARAMS = {
    "common/models/topdown_hrnet_tiny.py": 185_705,
    "common/models/topdown_hrnet_small.py": 1_268_993,
    "common/models/topdown_srpose_tiny.py": 471_300,
    "common/models/topdown_simplebaseline_tiny.py": 11_455_729,
    "common/models/topdown_vitpose_tiny.py": 211_505,
}


def _build(path, overrides=()):
    cfg = LazyConfig.apply_overrides(get_config(path), list(overrides))
    with torch.device("meta"):  # shapes only
        return instantiate(cfg.model)


class TestModelZoo(unittest.TestCase):
    def test_paths_resolve_to_the_repository_configs(self):
        path = get_config_file("common/models/topdown_hrnet.py")
        expected = ROOT / "configs" / "common" / "models" / "topdown_hrnet.py"
        self.assertTrue(os.path.samefile(path, expected))
        with self.assertRaisesRegex(RuntimeError, "nope.py is not among LJOF's configs"):
            get_config_file("nope.py")
        # a fresh config per call: changing one does not change the next
        cfg = get_config("common/models/topdown_hrnet.py")
        cfg.model.backbone.width = 48
        self.assertEqual(get_config("common/models/topdown_hrnet.py").model.backbone.width, 32)

    def test_reduced_variants(self):
        for path, expected in REDUCED_PARAMS.items():
            with self.subTest(config=path):
                model = _build(path)
                self.assertEqual(sum(p.numel() for p in model.parameters()), expected)

    def test_head_follows_the_backbone(self):
        for path, overrides, in_channels in [
            ("common/models/topdown_hrnet.py", ["model.backbone.width=40"], 40),
            ("common/models/topdown_simplebaseline.py", ["model.backbone.depth=34"], 512),
            ("common/models/topdown_simplebaseline_tiny.py", ["model.backbone.depth=50"], 2048),
            ("common/models/topdown_vitpose_tiny.py", ["model.backbone.embed_dim=32"], 32),
        ]:
            with self.subTest(config=path, overrides=overrides):
                head = _build(path, overrides).head
                first = (
                    head.deconv_layers[0] if head.deconv_layers is not None else head.final_layer
                )
                self.assertEqual(first.in_channels, in_channels)
        srpose = _build("common/models/topdown_srpose_tiny.py", ["model.backbone.width=4"]).head
        self.assertEqual(srpose.laterals["hr4"][0].in_channels, 32)  # 4 * 8

    def test_vit_input_follows_the_codec(self):
        model = _build(
            "common/models/topdown_vitpose_tiny.py",
            ["model.codec.input_size=[96,128]", "model.codec.heatmap_size=[24,32]"],
        )
        self.assertEqual(tuple(model.backbone.img_size), (128, 96))
        self.assertEqual(model.backbone.grid_size, (8, 6))

    def test_data_follow_the_model_codec_and_schedule_the_loader_batch(self):
        cfg = get_config("hrnet_w48_coco_256x192.py")
        cfg = LazyConfig.apply_overrides(cfg, ["model.codec.sigma=3.0"])
        for split in ("train", "test"):
            codec = instantiate(cfg.dataloader[split].mapper.codecs[0])
            self.assertEqual(codec.sigma, 3.0)
            self.assertEqual(tuple(codec.input_size), (192, 256))  # the mapper's crop size
        self.assertEqual(cfg.dataloader.train.total_batch_size, 256)
        self.assertEqual(cfg.lr_multiplier.total_batch_size, 256)
        self.assertEqual(cfg.train.max_iter, 123_060)  # 210 epochs x ceil(149,813 / 256)


if __name__ == "__main__":
    unittest.main()

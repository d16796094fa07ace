"""tools/analyze_model.py and tools/convert_checkpoint.py, run in-process on small inputs."""

import contextlib
import importlib.util
import io
import json
import os
import tempfile
import textwrap
import unittest

import torch

from ljof.checkpoint import PoseCheckpointer
from ljof.modeling import PoseNetwork, build_pose_network, hrnet_convention_gflops
from tests.common import ROOT

TINY_CONFIG = textwrap.dedent(
    """
    from detectron2.config import LazyCall as L
    from detectron2.layers import ShapeSpec
    from ljof.data import MSRAHeatmap
    from ljof.modeling import HRNet, HeatmapHead, KeypointMSELoss, TopDownPoseEstimator

    model = L(TopDownPoseEstimator)(
        backbone=L(HRNet)(width=8, num_modules=(1, 1, 1), num_blocks=(1, 1, 1),
                          stage1_num_blocks=1, stem_channels=16),
        head=L(HeatmapHead)(input_shape=L(ShapeSpec)(channels=8, stride=4), in_feature="hr1",
                            num_keypoints=17),
        loss=L(KeypointMSELoss)(),
        codec=L(MSRAHeatmap)(input_size=(96, 128), heatmap_size=(24, 32), sigma=2.0),
        keypoint_flip_indices=list(range(17)),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    """
)


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(module, argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = module.main(argv)
    last = out.getvalue().strip().splitlines()[-1]
    return result, json.loads(last)


class TestAnalyzeModel(unittest.TestCase):
    def test_published_config_parameters(self):
        cfg = str(ROOT / "configs" / "hrnet_w32_coco_256x192.py")
        if not os.path.exists(cfg):
            self.skipTest(f"{cfg} not written yet")
        _, figures = _run(
            _tool("analyze_model"), ["--config-file", cfg, "--tasks", "parameter", "--json"]
        )
        self.assertEqual(figures["parameters"], 28_536_113)
        self.assertIsNone(figures["hrnet_gflops"])

    def test_config_flops_use_the_codec_input_size(self):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "tiny.py")
            with open(cfg, "w") as f:
                f.write(TINY_CONFIG)
            _, figures = _run(_tool("analyze_model"), ["--config-file", cfg, "--json"])
        self.assertTrue(torch.is_grad_enabled())  # the tool must not change global state
        net = PoseNetwork(*build_pose_network("hrnet_tiny"))
        self.assertEqual(figures["parameters"], sum(p.numel() for p in net.parameters()))
        self.assertAlmostEqual(
            figures["hrnet_gflops"], hrnet_convention_gflops(net, (128, 96)), places=4
        )
        self.assertGreater(figures["fvcore_gflops"], figures["hrnet_gflops"])


class TestConvertCheckpoint(unittest.TestCase):
    def test_official_to_detectron2_checkpoint(self):
        torch.manual_seed(0)
        backbone, head = build_pose_network("hrnet_tiny")
        official = {k: v + 1 for k, v in backbone.state_dict().items()}
        official.update({k: v + 1 for k, v in head.state_dict().items()})
        with tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "tiny.py")
            with open(cfg, "w") as f:
                f.write(TINY_CONFIG)
            src, dst = os.path.join(tmp, "official.pth"), os.path.join(tmp, "converted.pth")
            torch.save({"state_dict": official}, src)
            _, figures = _run(
                _tool("convert_checkpoint"),
                ["--format", "hrnet-official", src, dst, "--config-file", cfg],
            )
            self.assertEqual(figures["missing"], 0)
            self.assertEqual(figures["unexpected"], 0)
            self.assertEqual(figures["tensors"], len(official))
            # the output loads through detectron2's checkpointer machinery
            from detectron2.config import LazyConfig, instantiate

            model = instantiate(LazyConfig.load(cfg).model)
            PoseCheckpointer(model).load(dst)
            self.assertTrue(
                torch.equal(model.head.final_layer.weight.detach(), official["final_layer.weight"])
            )
            # a wrong shape fails with the key and both shapes
            official["final_layer.weight"] = torch.zeros(5, 8, 1, 1)
            torch.save(official, src)
            with self.assertRaisesRegex(ValueError, r"head.final_layer.weight.*\(5, 8, 1, 1\)"):
                _run(_tool("convert_checkpoint"), [src, dst, "--config-file", cfg])


if __name__ == "__main__":
    unittest.main()

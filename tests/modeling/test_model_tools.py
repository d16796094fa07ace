"""tools/analyze_model.py and tools/convert_checkpoint.py, run in-process on small inputs."""

import contextlib
import importlib.util
import io
import json
import os
import tempfile
import unittest

import torch

from detectron2.config import instantiate

from ljof.checkpoint import PoseCheckpointer
from ljof.model_zoo import get_config
from ljof.modeling import PoseNetwork, hrnet_convention_gflops
from tests.common import ROOT
from tests.modeling.networks import build_network

# the reduced HRNet, by its path under configs/ (ljof.model_zoo), on 96x128 crops
TINY_CONFIG = "common/models/topdown_hrnet_tiny.py"
TINY_OPTS = ["model.codec.input_size=[96,128]", "model.codec.heatmap_size=[24,32]"]


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
        _, figures = _run(
            _tool("analyze_model"), ["--config-file", cfg, "--tasks", "parameter", "--json"]
        )
        self.assertEqual(figures["parameters"], 28_536_113)
        self.assertIsNone(figures["hrnet_gflops"])

    def test_config_flops_use_the_codec_input_size(self):
        _, figures = _run(
            _tool("analyze_model"), ["--config-file", TINY_CONFIG, "--json"] + TINY_OPTS
        )
        self.assertTrue(torch.is_grad_enabled())  # the tool must not change global state
        net = PoseNetwork(*build_network("hrnet_tiny"))
        self.assertEqual(figures["parameters"], sum(p.numel() for p in net.parameters()))
        self.assertAlmostEqual(
            figures["hrnet_gflops"], hrnet_convention_gflops(net, (128, 96)), places=4
        )
        self.assertGreater(figures["fvcore_gflops"], figures["hrnet_gflops"])


class TestConvertCheckpoint(unittest.TestCase):
    def test_official_to_detectron2_checkpoint(self):
        torch.manual_seed(0)
        backbone, head = build_network("hrnet_tiny")
        official = {k: v + 1 for k, v in backbone.state_dict().items()}
        official.update({k: v + 1 for k, v in head.state_dict().items()})
        cfg = TINY_CONFIG
        with tempfile.TemporaryDirectory() as tmp:
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
            model = instantiate(get_config(cfg).model)
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

"""tools/export_model.py (writes only a graph that passes the parity check) and demo/demo.py --pose-onnx."""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch

import ljof  # noqa: F401
from tests.common import ROOT, fixture_path
from tests.deploy.tiny import FAMILIES, HAVE_ORT, NO_ORT, config_path, tiny_model

DEMO_CONFIG = "faster_rcnn_R50_FPN_hrnet_w32.py"


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "ljof_export_model", os.path.join(ROOT, "tools", "export_model.py")
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@unittest.skipUnless(HAVE_ORT, NO_ORT)
class TestExportTool(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.checkpoint = os.path.join(self.tmp.name, "tiny_hrnet.pth")
        torch.save({"model": tiny_model("hrnet").state_dict()}, self.checkpoint)

    def _run(self, *extra):
        tool = _load_tool()
        out = os.path.join(self.tmp.name, "export")
        argv = ["--config-file", config_path("hrnet"), "--checkpoint", self.checkpoint]
        argv += ["--output", out, "--max-crops", "4", *extra, *FAMILIES["hrnet"][1]]
        from contextlib import redirect_stdout
        from io import StringIO

        buf = StringIO()
        with redirect_stdout(buf):
            code = tool.main(argv)
        return code, json.loads(buf.getvalue().strip().splitlines()[-1]), out

    def test_writes_a_checked_graph(self):
        from ljof.deploy import OnnxPoseModel

        code, figures, out = self._run("--flip-test")
        self.assertEqual(code, 0)
        self.assertTrue(figures["passed"])
        self.assertTrue(figures["flip_test"])
        self.assertEqual(figures["crops"], 4)
        self.assertLess(figures["heatmap_max_abs_diff"], 1e-4)
        self.assertTrue(figures["keypoints_identical"])
        self.assertEqual(figures["output"], os.path.join(out, "model.onnx"))
        self.assertEqual(os.listdir(out), ["model.onnx"])
        self.assertTrue(OnnxPoseModel(figures["output"]).flip_test)

    def test_refuses_a_failing_graph(self):
        # no float32 graph reproduces PyTorch with a difference < 0: the check must fail
        code, figures, out = self._run("--tolerance", "0")
        self.assertEqual(code, 1)
        self.assertFalse(figures["passed"])
        self.assertIsNone(figures["output"])
        self.assertFalse(os.path.exists(out))


@unittest.skipUnless(HAVE_ORT, NO_ORT)
class TestDemoOnnx(unittest.TestCase):
    def test_demo_with_pose_onnx(self):
        from ljof.deploy import export_onnx

        with tempfile.TemporaryDirectory() as tmp:
            graph = os.path.join(tmp, "model.onnx")
            with open(graph, "wb") as f:
                f.write(export_onnx(tiny_model("hrnet"), flip_test=True))
            results = os.path.join(tmp, "results.json")
            cmd = [sys.executable, os.path.join(ROOT, "demo", "demo.py")]
            cmd += ["--config-file", os.path.join(ROOT, "demo", "configs", DEMO_CONFIG)]
            out = os.path.join(tmp, "out")
            os.makedirs(out)
            cmd += ["--input", fixture_path("coco", "000000000785.jpg"), "--output", out]
            cmd += ["--confidence-threshold", "0.0", "--coco-results", results, "--pose-onnx", graph]
            # a random ResNet-18 detector; the pose weights come from the graph, none is downloaded
            cmd += ["--opts", "train.detector_init_checkpoint=", "predictor.min_size_test=160"]
            cmd += ["predictor.max_size_test=320", "model.max_persons=2"]
            cmd += ["model.detector.opts=[MODEL.RESNETS.DEPTH,18,MODEL.RESNETS.RES2_OUT_CHANNELS,64]"]
            env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT)
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            self.assertIn("pose model: ONNX Runtime", proc.stderr + proc.stdout)
            summary = json.loads(proc.stdout.strip().splitlines()[-1])
            self.assertEqual(summary["inputs"], 1)
            with open(results) as f:
                entries = json.load(f)
            self.assertEqual(len(entries), summary["people"])
            self.assertEqual(os.listdir(out), ["000000000785.png"])
            for e in entries:
                self.assertEqual(len(e["keypoints"]), 51)


if __name__ == "__main__":
    unittest.main()

"""demo/demo.py on two real COCO fixture images and on a short generated video.

No weights can be downloaded here, so the detector (a ResNet-18 Faster R-CNN FPN built from detectron2's
model-zoo yaml) and the pose model are randomly initialised; the test checks the files the demo writes.
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

import cv2
import numpy as np

import ljof  # noqa: F401
from ljof.synthetic import SPLIT_STYLES, render_scene
from tests.common import ROOT, fixture_path

CONFIG = os.path.join(ROOT, "demo", "configs", "faster_rcnn_R50_FPN_hrnet_w32.py")
# small and fast: no downloads, a ResNet-18 detector trunk, a 160-px test resize, at most 2 people
OPTS = [
    "train.detector_init_checkpoint=",
    "train.pose_init_checkpoint=",
    "model.detector.opts=[MODEL.RESNETS.DEPTH,18,MODEL.RESNETS.RES2_OUT_CHANNELS,64]",
    "predictor.min_size_test=160",
    "predictor.max_size_test=320",
    "model.max_persons=2",
    "model.pose_model.backbone.width=8",  # an HRNet-W8 instead of W32
    "model.pose_model.head.input_shape.channels=8",
]


def _run_demo(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, os.path.join(ROOT, "demo", "demo.py"), "--config-file", CONFIG, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(
            f"demo failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


class TestDemo(unittest.TestCase):
    def test_two_images_two_pngs(self):
        images = [
            fixture_path("coco", "000000000785.jpg"),
            fixture_path("coco", "000000040083.jpg"),
        ]
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            results = os.path.join(tmp, "results.json")
            summary = _run_demo(
                "--input",
                *images,
                "--output",
                out,
                "--confidence-threshold",
                "0.0",
                "--coco-results",
                results,
                "--opts",
                *OPTS,
            )
            self.assertEqual(summary["inputs"], 2)
            self.assertEqual(sorted(os.listdir(out)), ["000000000785.png", "000000040083.png"])
            for name, src in zip(sorted(os.listdir(out)), images):
                drawn, orig = cv2.imread(os.path.join(out, name)), cv2.imread(src)
                self.assertEqual(drawn.shape, orig.shape)
            with open(results) as f:
                entries = json.load(f)
            self.assertEqual(len(entries), summary["people"])
            for e in entries:
                self.assertEqual(len(e["keypoints"]), 51)

    def test_video(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "clip.mp4")
            writer = cv2.VideoWriter(src, cv2.VideoWriter_fourcc(*"mp4v"), 5.0, (160, 120), True)
            for i in range(4):
                scene = render_scene(
                    np.random.default_rng([3, i]), style=SPLIT_STYLES["val"], height=120, width=160
                )
                writer.write(scene.image)
            writer.release()
            out = os.path.join(tmp, "drawn.mp4")
            summary = _run_demo("--video-input", src, "--output", out, "--opts", *OPTS)
            self.assertEqual(summary["inputs"], 4)
            video = cv2.VideoCapture(out)
            self.assertTrue(video.isOpened())
            self.assertEqual(int(video.get(cv2.CAP_PROP_FRAME_COUNT)), 4)
            self.assertEqual(int(video.get(cv2.CAP_PROP_FRAME_WIDTH)), 160)
            video.release()

    def test_needs_one_input(self):
        spec = importlib.util.spec_from_file_location(
            "ljof_demo", os.path.join(ROOT, "demo", "demo.py")
        )
        demo = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(demo)
        with self.assertRaisesRegex(SystemExit, "exactly one of --input and --video-input"):
            demo.main(["--config-file", CONFIG, "--output", "/tmp/nothing"])

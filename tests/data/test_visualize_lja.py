import contextlib
import importlib.util
import io
import json
import os
import tempfile
import unittest

import cv2
import numpy as np
from detectron2.data.catalog import Metadata

from ljof.data.lja_drawing import draw_lja
from tests.common import ROOT, fixture_path


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "visualize_lja", os.path.join(ROOT, "tools", "visualize_lja.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestVisualizeLJA(unittest.TestCase):
    def test_crops_and_whole_images(self):
        tool = _load_tool()
        with tempfile.TemporaryDirectory() as d:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                tool.main(
                    [
                        "--gt-json",
                        fixture_path("crowdpose", "test_crowdpose.json"),
                        "--image-root",
                        fixture_path("crowdpose"),
                        "--keypoint-set",
                        "crowdpose",
                        "--output",
                        d,
                        "--num",
                        "4",
                        "--cols",
                        "2",
                        "--seed",
                        "1",
                        "--whole-images",
                        "--visibility",
                        "labeled",
                        "--no-geometry",
                    ]
                )
            result = json.loads(out.getvalue().strip().splitlines()[-1])
            self.assertEqual(len(result["images"]), 1 + 2)  # the grid + the 2 CrowdPose images
            grid = cv2.imread(result["images"][0])
            self.assertEqual(grid.shape, (2 * 260 + 4, 2 * 196 + 4, 3))
            for path in result["images"]:
                self.assertTrue(os.path.isfile(path), path)
            # labeled rule, no random geometry: the 4 crops are the 4 instances once each, with
            # ceil(0.15 n) = 2, 2, 1, 2 blocks (n = 12, 12, 5, 10 labeled limb joints; reference §6
            # lists 123803: 1 and 147481: 2), and the whole images draw the same 7 again.
            self.assertEqual(result["samples"], 4)
            self.assertEqual(result["blocks"], 14)


class TestDrawLJA(unittest.TestCase):
    def test_blocks_and_skeleton_where_they_are(self):
        meta = Metadata(
            name="draw_lja_test",
            keypoint_names=["a", "b", "c", "d"],
            keypoint_connection_rules=[("a", "b", (0, 255, 0))],
        )
        image = np.full((64, 48, 3), 128, np.uint8)
        keypoints = np.array([[40, 10, 2], [40, 50, 1], [10, 55, 2], [30, 45, 0]], np.float32)
        out = draw_lja(image, [keypoints], [(5, 5, 20, 30, 0)], meta)
        self.assertEqual((out.shape, out.dtype), (image.shape, np.uint8))
        self.assertTrue((image == 128).all())  # the input is not drawn on
        red, green = out[17, 5].astype(int), out[30, 40].astype(int)
        self.assertGreater(red[0] - red[1], 100, red)  # the block's left edge is red
        self.assertGreater(green[1] - green[0], 100, green)  # the a-b connection is green
        np.testing.assert_array_equal(out[17, 12], [128, 128, 128])  # inside the block: untouched
        np.testing.assert_array_equal(out[45, 30], [128, 128, 128])  # v == 0 is not drawn
        dot = out[55, 10].astype(int)  # c: an unconnected visible joint, the Visualizer's red dot
        self.assertGreater(dot[0] - dot[1], 100, dot)
        self.assertTrue((out[50, 44] > 200).all(), out[50, 44])  # b (v == 1): a white ring, radius 4


if __name__ == "__main__":
    unittest.main()

import contextlib
import importlib.util
import io
import json
import os
import tempfile
import unittest

import cv2

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


if __name__ == "__main__":
    unittest.main()

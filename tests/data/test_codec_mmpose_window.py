"""MSRAHeatmap's Gaussian window against MMPose's encoder rule, as docs/data_pipeline.md states it: equal
for sigma = 2 (3 sigma an integer) except a zero map of weight 1 at m = -7; for the main job's sigma = 1.5,
9 columns (|c - m| <= 4.5) against MMPose's 10, MMPose's peak one pixel right where m - 4.5 < 0, and the
weights of m = -6, -5, W + 4.

The reference below restates the rule of MMPose 1.x ``mmpose/codecs/utils/gaussian_heatmap.py``
(``generate_gaussian_heatmaps``) per axis: radius r = 3 sigma, centre m = int(x / stride + 0.5), window
columns [int(m - r), int(m + r + 1)) with ``int`` truncating toward zero, value exp(-(i - i0)^2 / 2 sigma^2)
at window index i with i0 = floor((2r + 1) / 2); weight 0 when int(m - r) >= size or int(m + r + 1) < 0.
"""

import math
import unittest

import numpy as np

from ljof.data import MSRAHeatmap


def mmpose_rule(m: int, sigma: float, size: int):
    """(profile (size,), weight) of one axis under the rule of the module docstring."""
    r = 3 * sigma
    left, right = int(m - r), int(m + r + 1)
    if left >= size or right < 0:
        return np.zeros(size), 0.0
    i0 = (2 * r + 1) // 2
    profile = np.zeros(size)
    for c in range(max(0, left), min(size, right)):
        profile[c] = math.exp(-((c - left - i0) ** 2) / (2 * sigma**2))
    return profile, 1.0


def sweep(codec: MSRAHeatmap):
    """Ours and MMPose's x profile and weight for every crop x from 40 px left to 40 px right of the
    crop (y on the middle row), with the rounded centre m."""
    w, h = codec.heatmap_size
    stride = codec.scale_factor[0]
    y = (h // 2) * codec.scale_factor[1]
    rows = []
    for x in np.arange(-40.0, codec.input_size[0] + 40.0, 1.0, dtype=np.float32):
        m = int(np.trunc(np.float32(x) / stride + np.float32(0.5)))
        heatmap, weight = codec.encode(np.array([[x, y]], np.float32), np.array([2]))
        ours = heatmap[0, h // 2]  # the middle row: peak 1 of the y profile
        theirs, their_weight = mmpose_rule(m, codec.sigma, w)
        rows.append((m, ours, float(weight[0]), theirs, their_weight))
    return rows


class TestMMPoseWindow(unittest.TestCase):
    def test_sigma2_equals_mmpose(self):
        codec = MSRAHeatmap(input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
        for m, ours, weight, theirs, their_weight in sweep(codec):
            if m == -7:  # MMPose: weight 1, every column outside the map; ours: weight 0
                self.assertEqual((weight, their_weight, float(theirs.max())), (0.0, 1.0, 0.0))
                continue
            self.assertEqual(weight, their_weight, m)
            np.testing.assert_allclose(ours, theirs * weight, atol=1e-6, err_msg=f"m={m}")
            self.assertEqual(int(np.count_nonzero(ours)), min(13, np.count_nonzero(theirs)))

    def test_main_job_sigma15_differences(self):
        codec = MSRAHeatmap(input_size=(96, 128), heatmap_size=(24, 32), sigma=1.5)
        w = codec.heatmap_size[0]
        far, near, weights_differ = [], [], set()
        for m, ours, weight, theirs, their_weight in sweep(codec):
            if weight != their_weight:
                weights_differ.add(m)
                continue
            if not weight:
                continue
            self.assertLessEqual(int(np.count_nonzero(ours)), 9)  # |c - m| <= 4.5
            diff = np.abs(ours - theirs)
            if m >= 5:  # m - 4.5 >= 0: MMPose keeps column m - 5 too, at distance 5 from the peak
                self.assertEqual(
                    int(np.count_nonzero(theirs)), min(10, w - (m - 5)) if m - 5 < w else 0
                )
                self.assertTrue(np.all(diff[np.arange(w) != m - 5] < 1e-6), m)
                far.append(float(diff.max()))
            else:  # m - 4.5 < 0: truncation toward zero moves MMPose's window and peak to m + 1
                if m + 1 < w and m >= 0:
                    self.assertEqual(int(np.argmax(theirs)), m + 1)
                    self.assertEqual(int(np.argmax(ours)), m)
                near.append(float(diff.max()))
        self.assertEqual(weights_differ, {-6, -5, w + 4})
        self.assertAlmostEqual(max(far), math.exp(-25 / 4.5), places=5)  # 0.0039
        self.assertAlmostEqual(max(near), math.exp(-1 / 4.5) - math.exp(-4 / 4.5), places=4)  # 0.39


if __name__ == "__main__":
    unittest.main()

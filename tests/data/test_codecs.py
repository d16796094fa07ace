import unittest

import numpy as np
import torch

from ljof.data.codecs import DARKHeatmap, MSRAHeatmap, UDPHeatmap


def _random_keypoints(rng, n, codec, margin=0.0):
    """n random crop-px keypoints whose heatmap position lies in [margin, size - 1 - margin]."""
    w, h = codec.heatmap_size
    hm = np.stack(
        [rng.uniform(margin, w - 1 - margin, n), rng.uniform(margin, h - 1 - margin, n)], 1
    )
    return (hm * codec.scale_factor).astype(np.float32)


class TestMSRAHeatmap(unittest.TestCase):
    def test_target_shape_peak_and_support(self):
        codec = MSRAHeatmap()
        kpts = np.array([[100.0, 120.0], [3.0, 7.0]], np.float32)
        hm, w = codec.encode(kpts, np.array([2, 1]))
        self.assertEqual(hm.shape, (2, 64, 48))
        self.assertEqual(hm.dtype, np.float32)
        np.testing.assert_array_equal(w, [1.0, 1.0])
        # peak 1 at int(kpt / 4 + 0.5): (25, 30) -> row 30, col 25
        self.assertEqual(hm[0, 30, 25], 1.0)
        self.assertEqual(np.unravel_index(hm[0].argmax(), hm[0].shape), (30, 25))
        # unnormalised Gaussian, sigma 2: one pixel away exp(-1/8)
        self.assertAlmostEqual(float(hm[0, 30, 26]), float(np.exp(-1 / 8)), places=6)
        # 13x13 support (radius 3 sigma = 6)
        rows, cols = np.nonzero(hm[0])
        self.assertEqual((rows.min(), rows.max(), cols.min(), cols.max()), (24, 36, 19, 31))

    def test_round_trip_random_keypoints(self):
        rng = np.random.default_rng(0)
        codec = MSRAHeatmap()
        kpts = _random_keypoints(rng, 17 * 30, codec)
        hm, w = codec.encode(kpts, np.ones(len(kpts)))
        dec, scores = codec.decode(hm)
        self.assertTrue(np.all(w == 1))
        err = np.abs(dec - kpts)
        # MSRA targets are quantised to the heatmap grid: at most half a heatmap px (2 crop px) off,
        # i.e. within 1 heatmap px; grid-aligned keypoints come back exactly.
        self.assertLessEqual(err.max(), 0.5 * 4 + 1e-4)
        np.testing.assert_allclose(scores, 1.0)
        grid = np.round(kpts / 4) * 4
        hm2, _ = codec.encode(grid, np.ones(len(grid)))
        np.testing.assert_allclose(codec.decode(hm2)[0], grid, atol=1e-4)

    def test_quarter_offset(self):
        codec = MSRAHeatmap()
        hm = np.zeros((1, 64, 48), np.float32)
        hm[0, 10, 20] = 1.0
        hm[0, 10, 21] = 0.5  # right neighbour higher than left
        hm[0, 9, 20] = 0.4  # upper neighbour higher than lower
        kp, sc = codec.decode(hm)
        np.testing.assert_allclose(kp[0], [(20 + 0.25) * 4, (10 - 0.25) * 4])
        self.assertEqual(sc[0], 1.0)
        # MMPose's border rule: no x step at x = 1 (needs 1 < x < w - 1), the y step still applies
        hm = np.zeros((1, 64, 48), np.float32)
        hm[0, 10, 1], hm[0, 10, 2], hm[0, 11, 1] = 1.0, 0.5, 0.5
        np.testing.assert_allclose(codec.decode(hm)[0][0], [1 * 4, (10 + 0.25) * 4])

    def test_weights_zero_for_unlabeled_and_outside(self):
        codec = MSRAHeatmap()
        kpts = np.array(
            [[50, 50], [50, 50], [-40, 50], [50, 400], [-20, 50], [191, 255]], np.float32
        )
        vis = np.array([2, 0, 2, 1, 2, 2])
        hm, w = codec.encode(kpts, vis)
        # -20 px -> -5 heatmap px: its 13x13 window still overlaps the map
        np.testing.assert_array_equal(w, [1, 0, 0, 0, 1, 1])
        self.assertTrue(np.all(hm[[1, 2, 3]] == 0))
        self.assertGreater(hm[4].max(), 0)

    def test_batched_decode_and_torch_input(self):
        rng = np.random.default_rng(1)
        codec = MSRAHeatmap()
        kpts = _random_keypoints(rng, 2 * 17, codec).reshape(2, 17, 2)
        hms = np.stack([codec.encode(k, np.ones(17))[0] for k in kpts])
        dec, scores = codec.decode(torch.from_numpy(hms))
        self.assertEqual(dec.shape, (2, 17, 2))
        self.assertEqual(scores.shape, (2, 17))
        np.testing.assert_allclose(dec, codec.decode(hms)[0])
        hm = np.zeros((17, 64, 48), np.float32)
        _, s = codec.decode(hm)
        np.testing.assert_array_equal(s, 0.0)

    def test_full_resolution_sigma8(self):
        rng = np.random.default_rng(2)
        codec = MSRAHeatmap(input_size=(192, 256), heatmap_size=(192, 256), sigma=8)
        kpts = _random_keypoints(rng, 17, codec)
        hm, w = codec.encode(kpts, np.ones(17))
        self.assertEqual(hm.shape, (17, 256, 192))
        dec, _ = codec.decode(hm)
        self.assertLessEqual(np.abs(dec - kpts).max(), 0.5 + 1e-4)

    def test_bad_arguments(self):
        codec = MSRAHeatmap()
        with self.assertRaises(ValueError):
            codec.encode(np.zeros((17,)), np.ones(17))
        with self.assertRaises(ValueError):
            codec.encode(np.zeros((17, 2)), np.ones(16))
        with self.assertRaises(ValueError):
            codec.decode(np.zeros((64, 48)))


class TestSubPixelCodecs(unittest.TestCase):
    def _check(self, codec, margin_hm_px, tol):
        rng = np.random.default_rng(3)
        kpts = _random_keypoints(rng, 17 * 30, codec, margin=margin_hm_px)
        hm, w = codec.encode(kpts, np.ones(len(kpts)))
        dec, scores = codec.decode(hm)
        self.assertTrue(np.all(w == 1))
        err = np.abs(dec - kpts).max()
        self.assertLess(err, tol, f"{codec}: max error {err}")
        self.assertTrue(np.all(scores > 0.9))

    def test_dark_round_trip(self):
        # Without the decoding blur the Taylor step is exact for Gaussian targets, up to the border.
        self._check(DARKHeatmap(blur_kernel_size=0), margin_hm_px=0, tol=0.5)
        # DARK's zero-padded blur shifts peaks near the border, so the decoder keeps the argmax within
        # 4 heatmap px of it (test_border_never_worse_than_argmax); elsewhere < 0.5 px.
        self._check(DARKHeatmap(), margin_hm_px=4, tol=0.5)

    def test_udp_round_trip(self):
        self._check(UDPHeatmap(blur_kernel_size=0), margin_hm_px=0, tol=0.5)
        self._check(UDPHeatmap(), margin_hm_px=4, tol=0.5)
        codec = UDPHeatmap()
        np.testing.assert_allclose(codec.scale_factor, [191 / 47, 255 / 63])
        self.assertTrue(codec.use_udp)

    def test_udp_weights(self):
        codec = UDPHeatmap()
        hm, w = codec.encode(np.array([[10, 10], [10, 10], [500, 10]], np.float32), [2, 0, 1])
        np.testing.assert_array_equal(w, [1, 0, 0])
        self.assertTrue(np.all(hm[1:] == 0))

    def test_dark_encoding_is_sub_pixel(self):
        codec = DARKHeatmap()
        hm, _ = codec.encode(np.array([[101.0, 120.0]]), [2])
        # mean at 25.25 heatmap px: the two neighbours of the argmax differ
        self.assertGreater(hm[0, 30, 26], hm[0, 30, 24])
        self.assertLess(hm.max(), 1.0)


class TestEveryPosition(unittest.TestCase):
    """Encode one joint at every position of a 192x256 crop (0.25-px grid in x at 8 rows, including the
    outermost heatmap pixels), decode: each refined decoder is never worse than the plain argmax."""

    ROWS = (0.0, 2.5, 6.0, 9.0, 12.3, 100.3, 243.0, 248.5, 253.5, 255.0)

    def _errors(self, codec):
        refined, argmax = [], []
        xs = np.arange(-2.0, 194.0, 0.25)
        for y in self.ROWS:  # one row of joints per encode/decode call
            pts = np.stack([xs, np.full_like(xs, y)], axis=1)
            hm, w = codec.encode(pts, np.full(len(pts), 2))
            keep = w > 0
            dec, _ = codec.decode(hm[keep])
            flat = hm[keep].reshape(int(keep.sum()), -1).argmax(axis=1)
            peak = np.stack([flat % hm.shape[2], flat // hm.shape[2]], 1) * codec.scale_factor
            refined.append(np.hypot(*(dec - pts[keep]).T))
            argmax.append(np.hypot(*(peak - pts[keep]).T))
        return np.concatenate(refined), np.concatenate(argmax)

    def test_never_worse_than_argmax(self):
        for codec in (MSRAHeatmap(), DARKHeatmap(), UDPHeatmap()):
            refined, argmax = self._errors(codec)
            with self.subTest(codec=repr(codec)):
                self.assertGreater(len(refined), 5000)
                self.assertLessEqual(float((refined - argmax).max()), 0.01)
                self.assertLessEqual(float(refined.mean()), float(argmax.mean()))

    def test_dark_border_values(self):
        # 48x64 heatmaps of a 192x256 crop, sigma 2: the reported border cases
        codec = DARKHeatmap()
        for x, want in ((184.0, 184.0), (186.0, 184.0), (190.0, 188.0), (191.0, 188.0)):
            hm, _ = codec.encode(np.array([[x, 100.3]]), np.array([2]))
            with self.subTest(x=x):
                self.assertEqual(float(codec.decode(hm)[0][0, 0]), want)
        hm, _ = codec.encode(np.array([[100.3, 100.3]]), np.array([2]))
        np.testing.assert_allclose(codec.decode(hm)[0][0], [100.3, 100.3], atol=0.01)

    def test_several_peaks_and_all_zeros(self):
        for codec in (MSRAHeatmap(), DARKHeatmap(), UDPHeatmap()):
            a, _ = codec.encode(np.array([[40.0, 60.0], [150.0, 200.0]]), np.array([2, 2]))
            two = np.maximum(a[0], 0.8 * a[1])[None]  # the higher peak wins
            dec, score = codec.decode(two)
            zeros = np.zeros((3, 64, 48), np.float32)
            zdec, zscore = codec.decode(zeros)
            with self.subTest(codec=repr(codec)):
                np.testing.assert_allclose(dec[0], [40.0, 60.0], atol=1.0)
                self.assertAlmostEqual(float(score[0]), float(a[0].max()), places=6)
                self.assertTrue(bool(np.all(np.isfinite(zdec))))
                np.testing.assert_array_equal(zscore, 0.0)


if __name__ == "__main__":
    unittest.main()

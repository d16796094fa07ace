import unittest

import cv2
import numpy as np
from detectron2.data.detection_utils import create_keypoint_hflip_indices

from ljof.data import MSRAHeatmap, TopDownDatasetMapper, UDPHeatmap, crop_to_image
from ljof.data.augmentations import (
    PixelHFlipTransform,
    WindowTransform,
    RandomBBoxTransform,
    RandomHalfBody,
    RandomTopDownFlip,
    TopDownAugInput,
    truncated_normal,
)
from ljof.data.transforms import (
    TopDownAffineTransform,
    bbox_xywh_to_center_scale,
    fix_aspect_ratio,
    get_warp_matrix,
    image_to_crop,
)
from tests.data.fixture_records import fixture_records


class TestGeometry(unittest.TestCase):
    def test_center_scale_and_aspect(self):
        c, s = bbox_xywh_to_center_scale([10, 20, 100, 50], padding=1.25)
        np.testing.assert_allclose(c, [60, 45])
        np.testing.assert_allclose(s, [125, 62.5])
        np.testing.assert_allclose(fix_aspect_ratio(s, 0.75), [125, 125 / 0.75])
        np.testing.assert_allclose(fix_aspect_ratio([30, 200], 0.75), [150, 200])

    def test_msra_mapping_back_formula(self):
        # reference §7.4: x_img = x_in / 192 * s_w + c_x - s_w / 2
        c, s = np.array([300.0, 200.0]), np.array([150.0, 200.0])
        pts = np.array([[0.0, 0.0], [96.0, 128.0], [191.0, 17.0]])
        back = crop_to_image(pts, c, s, (192, 256))
        np.testing.assert_allclose(back[:, 0], pts[:, 0] / 192 * 150 + 300 - 75, rtol=1e-6)
        np.testing.assert_allclose(back[:, 1], pts[:, 1] / 256 * 200 + 200 - 100, rtol=1e-6)
        udp = crop_to_image(pts, c, s, (192, 256), use_udp=True)
        np.testing.assert_allclose(udp[:, 0], pts[:, 0] * 150 / 191 + 300 - 75, rtol=1e-6)

    def test_msra_matrix_equals_three_point_construction(self):
        # reference §1.3: src points = centre, centre + R(rot) [-s_w/2, 0], and the point perpendicular
        # to them; dst points = crop centre, crop centre + [-w/2, 0], and the perpendicular point.
        def third(a, b):
            d = a - b
            return b + np.array([-d[1], d[0]])

        for rot in (0.0, 30.0, -65.0):
            c, s = np.array([210.0, 140.0]), fix_aspect_ratio([90.0, 100.0], 0.75)
            t = np.deg2rad(rot)
            r = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
            src = [c, c + r @ [-s[0] / 2, 0.0]]
            dst = [np.array([96.0, 128.0]), np.array([0.0, 128.0])]
            src.append(third(*src))
            dst.append(third(*dst))
            expected = cv2.getAffineTransform(np.float32(src), np.float32(dst))
            np.testing.assert_allclose(get_warp_matrix(c, s, rot, (192, 256)), expected, atol=1e-4)

    def test_inverse_with_rotation_and_batches(self):
        rng = np.random.default_rng(0)
        for use_udp in (False, True):
            for rot in (0.0, 33.0, -75.0):
                c, s = rng.uniform(50, 400, 2), np.array([120.0, 160.0])
                img_pts = rng.uniform(0, 500, (17, 2))
                crop = image_to_crop(img_pts, c, s, (192, 256), use_udp=use_udp, rotation=rot)
                m = get_warp_matrix(c, s, rot, (192, 256), use_udp=use_udp)
                np.testing.assert_allclose(crop, img_pts @ m[:, :2].T + m[:, 2], atol=1e-3)
                back = crop_to_image(crop, c, s, (192, 256), use_udp=use_udp, rotation=rot)
                np.testing.assert_allclose(back, img_pts, atol=1e-3)
        # batched centres/scales and an extra score column
        kp = rng.uniform(0, 190, (3, 17, 3))
        cs, ss = rng.uniform(50, 400, (3, 2)), rng.uniform(100, 300, (3, 2))
        out = crop_to_image(kp, cs, ss, (192, 256))
        for i in range(3):
            np.testing.assert_allclose(
                out[i], crop_to_image(kp[i], cs[i], ss[i], (192, 256)), rtol=1e-6
            )
        np.testing.assert_array_equal(out[..., 2], kp[..., 2].astype(np.float32))

    def test_affine_transform_moves_image_and_coords_together(self):
        img = np.zeros((100, 120, 3), np.uint8)
        img[40, 70] = 255
        m = get_warp_matrix([60, 50], [60, 80], 20.0, (48, 64))
        tfm = TopDownAffineTransform(m, (48, 64), src_size=(120, 100))
        out = tfm.apply_image(img)
        self.assertEqual(out.shape, (64, 48, 3))
        pt = tfm.apply_coords(np.array([[70.0, 40.0]]))[0]
        ys, xs = np.nonzero(out[..., 0])
        wts = out[ys, xs, 0].astype(np.float64)
        np.testing.assert_allclose(
            [np.average(xs, weights=wts), np.average(ys, weights=wts)], pt, atol=0.3
        )
        back = tfm.inverse().apply_coords(tfm.apply_coords(np.array([[3.0, 4.0]])))
        np.testing.assert_allclose(back, [[3.0, 4.0]], atol=1e-4)

    def test_pixel_hflip(self):
        t = PixelHFlipTransform(400)
        np.testing.assert_allclose(
            t.apply_coords(np.array([[0.0, 5.0], [399.0, 6.0]])), [[399, 5], [0, 6]]
        )
        img = np.arange(12, dtype=np.uint8).reshape(3, 4)
        np.testing.assert_array_equal(PixelHFlipTransform(4).apply_image(img), img[:, ::-1])


class TestFixtureRoundTrip(unittest.TestCase):
    """No random augmentation: encode in crop space, decode, map back = the annotation."""

    def _round_trip(self, which, codec):
        records, meta = fixture_records(which)
        mapper = TopDownDatasetMapper(False, metadata=meta, codecs=[codec])
        hm_w, hm_h = codec.heatmap_size
        checked = 0
        for r in records:
            s = mapper(r)
            k = s["keypoints"].numpy()
            heatmaps, weights = codec.encode(k[:, :2], k[:, 2])
            dec, _ = codec.decode(heatmaps)
            back = crop_to_image(
                dec, s["center"].numpy(), s["scale"].numpy(), codec.input_size, codec.use_udp
            )
            labeled = r["keypoints"][:, 2] > 0
            np.testing.assert_array_equal(weights[~labeled], 0)
            # Joints whose crop position lies outside the heatmap cannot come back (CrowdPose boxes do
            # not always hold every labeled joint); every other labeled joint must.
            hm_xy = k[:, :2] / codec.scale_factor
            inside = (
                (hm_xy[:, 0] >= 0)
                & (hm_xy[:, 0] <= hm_w - 1)
                & (hm_xy[:, 1] >= 0)
                & (hm_xy[:, 1] <= hm_h - 1)
            )
            sel = labeled & inside
            err = np.abs(back[sel] - r["keypoints"][sel, :2])
            img_per_hm_px = float(s["scale"][0]) / hm_w
            if codec.use_udp:
                tol = 1.0  # image px
            else:  # quantised targets: within half a heatmap px, i.e. within 1 heatmap px
                tol = 0.5 * img_per_hm_px + 1e-3
            self.assertLessEqual(err.max(), tol, f"{which} annotation {r['annotation_id']}")
            checked += int(sel.sum())
        self.assertGreater(checked, 0)
        return len(records)

    def test_coco(self):
        self.assertEqual(self._round_trip("coco", MSRAHeatmap()), 12)
        self._round_trip("coco", UDPHeatmap())

    def test_crowdpose(self):
        self.assertEqual(self._round_trip("crowdpose", MSRAHeatmap()), 4)
        self._round_trip("crowdpose", UDPHeatmap())

    def test_ochuman(self):
        self.assertEqual(self._round_trip("ochuman", MSRAHeatmap()), 5)
        self._round_trip("ochuman", UDPHeatmap())


class TestFlip(unittest.TestCase):
    def test_flip_keypoints_and_image(self):
        records, meta = fixture_records("coco")
        r = records[0]
        for codec in (MSRAHeatmap(), UDPHeatmap()):
            plain = TopDownDatasetMapper(True, metadata=meta, codecs=[codec], augmentations=[])(r)
            flip = RandomTopDownFlip(
                flip_indices=create_keypoint_hflip_indices(meta.name), prob=1.0
            )
            flipped = TopDownDatasetMapper(
                True, metadata=meta, codecs=[codec], augmentations=[flip]
            )(r)
            self.assertTrue(flipped["flip"])
            names = meta.keypoint_names
            swap = [
                names.index(n.replace("left", "#").replace("right", "left").replace("#", "right"))
                for n in names
            ]
            k0, k1 = plain["keypoints"].numpy(), flipped["keypoints"].numpy()
            # The mirrored crop: UDP's axis is x -> (w - 1) - x; MSRA's crop grid is offset by one pixel
            # from its mirror (x -> w - x), the reason the MSRA flip test shifts heatmaps by 1 px.
            width = 191.0 if codec.use_udp else 192.0
            expected = k0[swap].copy()
            expected[:, 0] = width - expected[:, 0]
            np.testing.assert_allclose(k1, expected, atol=1e-3)
            im0 = plain["image"].numpy().astype(np.int32)
            im1 = flipped["image"].numpy().astype(np.int32)
            if codec.use_udp:
                diff = np.abs(im1 - im0[:, :, ::-1])
            else:
                diff = np.abs(im1[:, :, 1:] - im0[:, :, ::-1][:, :, :-1])
            self.assertLess(diff.mean(), 1.0)  # equal up to OpenCV's 1/32-px fixed-point sampling
            w0, w1 = plain["target_weights"][0].numpy(), flipped["target_weights"][0].numpy()
            np.testing.assert_array_equal(w1, w0[swap])


class TestPolicy(unittest.TestCase):
    def test_truncated_normal(self):
        np.random.seed(5)
        v = truncated_normal(20000)
        self.assertLessEqual(np.abs(v).max(), 1.0)
        self.assertAlmostEqual(float(v.std()), 0.5396, delta=0.01)  # std of N(0,1) cut at +-1
        self.assertAlmostEqual(float(v.mean()), 0.0, delta=0.01)

    def test_bbox_transform_ranges_and_probabilities(self):
        np.random.seed(11)
        aug = RandomBBoxTransform()
        center, scale = np.array([100.0, 100.0]), np.array([80.0, 120.0])
        draws = [aug.get_transform(center, scale, 0.0) for _ in range(3000)]
        mult = np.array([t.scale[0] / 80.0 for t in draws])
        rot = np.array([t.rotation for t in draws])
        shift = np.array([(t.center - center) / scale for t in draws])
        self.assertTrue(np.all((mult >= 0.5 - 1e-6) & (mult <= 1.5 + 1e-6)))
        np.testing.assert_allclose([t.scale[1] / 120.0 for t in draws], mult, rtol=1e-5)
        self.assertLessEqual(np.abs(rot).max(), 80.0)
        self.assertLessEqual(np.abs(shift).max(), 0.16 + 1e-6)
        self.assertAlmostEqual(float(np.mean(rot != 0)), 0.6, delta=0.03)
        self.assertAlmostEqual(float(np.mean(np.any(shift != 0, axis=1))), 0.3, delta=0.03)

    def test_half_body(self):
        _, meta = fixture_records("coco")
        aug = RandomHalfBody(
            upper_body_ids=meta.keypoint_upper_body_ids,
            lower_body_ids=meta.keypoint_lower_body_ids,
            prob=1.0,
            upper_prioritized_prob=1.0,
        )
        rng = np.random.default_rng(0)
        kpts = np.concatenate([rng.uniform(0, 100, (17, 2)), np.full((17, 1), 2.0)], axis=1)
        t = aug.get_transform(kpts, np.zeros(2), np.ones(2), 0.0)
        self.assertIsInstance(t, WindowTransform)
        upper = kpts[meta.keypoint_upper_body_ids, :2]
        np.testing.assert_allclose(t.center, upper.mean(0), rtol=1e-5)
        np.testing.assert_allclose(t.scale, (upper.max(0) - upper.min(0)) * 1.5, rtol=1e-5)
        kpts[:10, 2] = 0  # 7 labeled joints < 9: never applied
        self.assertNotIsInstance(
            aug.get_transform(kpts, np.zeros(2), np.ones(2), 0.0), WindowTransform
        )

    def test_flip_needs_indices(self):
        inp = TopDownAugInput(
            keypoints=np.zeros((17, 3)), center=[5, 5], scale=[4, 4], image_size=(10, 10)
        )
        with self.assertRaises(ValueError):
            inp.transform(PixelHFlipTransform(10))


if __name__ == "__main__":
    unittest.main()

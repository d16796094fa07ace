"""End to end through TopDownPoseEstimator with an oracle head on the real fixtures.

The oracle returns heatmaps encoded from the ground truth of each crop, so the model's decoding and the
crop -> image mapping must give back the fixture annotations; detectron2's COCOEvaluator on the model's
Instances must then give keypoint AP 1.0.
"""

import unittest

import numpy as np
import torch
from detectron2.data import MetadataCatalog
from detectron2.evaluation import COCOEvaluator
from detectron2.utils.visualizer import Visualizer

from ljof.data import MSRAHeatmap, UDPHeatmap
from ljof.modeling import merge_instances_by_image
from tests.modeling.oracle import fixture_samples, oracle_heatmaps, oracle_model


def _max_error(records, samples, results, in_crop_px=False):
    """Largest |predicted - GT| (image px, or crop px) and the number of joints compared.

    Compared: labeled joints inside the crop (a joint outside it has a truncated or empty target).
    """
    worst, n = 0.0, 0
    for rec, s, res in zip(records, samples, results):
        gt = np.asarray(rec["keypoints"], np.float64)
        pred = res["keypoints"].numpy().astype(np.float64)
        crop = s["keypoints"].numpy()
        inside = (crop[:, 0] >= 0) & (crop[:, 0] <= 191) & (crop[:, 1] >= 0) & (crop[:, 1] <= 255)
        vis = (gt[:, 2] > 0) & inside
        if vis.any():
            err = np.abs(pred[vis, :2] - gt[vis, :2]).max()
            if in_crop_px:  # image px per crop px along x (the aspect is fixed, so y is the same)
                err /= float(s["scale"][0]) / 192.0
            worst = max(worst, float(err))
            n += int(vis.sum())
    return worst, n


class TestOracleEndToEnd(unittest.TestCase):
    def _run(self, which, codec, tol, in_crop_px=False):
        name, records, samples, flip = fixture_samples(which, codec)
        model = oracle_model(codec, flip, shift_heatmap=not codec.use_udp)
        model.head.heatmaps = oracle_heatmaps(codec, samples)
        results = model(samples)
        self.assertEqual(len(results), len(records))
        worst, n = _max_error(records, samples, results, in_crop_px)
        self.assertGreater(n, 20)
        self.assertLessEqual(worst, tol, f"{which}: max error {worst:.3f} px over {n} joints")
        return name, samples, results

    def test_udp_within_one_pixel(self):
        codec = UDPHeatmap(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0)
        for which in ("coco", "crowdpose", "ochuman"):
            with self.subTest(which=which):
                self._run(which, codec, tol=1.0)

    def test_msra_within_one_pixel(self):
        # MSRA targets are rounded to the nearest heatmap pixel (quantisation up to half a heatmap
        # pixel, the quarter-pixel refinement then leaves at most 0.75), so the 1-px check is made on a
        # stride-1 heatmap (SRPose's full-resolution output) and in the pixels of the crop the network
        # sees: for large persons one crop px is up to ~2.6 image px.
        codec = MSRAHeatmap(input_size=(192, 256), heatmap_size=(192, 256), sigma=2.0)
        for which in ("coco", "crowdpose", "ochuman"):
            with self.subTest(which=which):
                self._run(which, codec, tol=0.75 + 1e-3, in_crop_px=True)

    def test_msra_standard_resolution_within_one_heatmap_pixel(self):
        codec = MSRAHeatmap(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0)
        name, records, samples, flip = fixture_samples("coco", codec)
        model = oracle_model(codec, flip)
        model.head.heatmaps = oracle_heatmaps(codec, samples)
        results = model(samples)
        for rec, res, s in zip(records, results, samples):
            gt = np.asarray(rec["keypoints"], np.float64)
            crop = s["keypoints"].numpy()
            inside = (crop[:, 0] >= 0) & (crop[:, 0] <= 191) & (crop[:, 1] >= 0)
            vis = (gt[:, 2] > 0) & inside & (crop[:, 1] <= 255)
            # one heatmap px = 4 crop px = 4 * scale / input_size image px
            tol = 4.0 * float(s["scale"][0]) / 192.0
            err = np.abs(res["keypoints"].numpy()[vis, :2] - gt[vis, :2]).max()
            self.assertLessEqual(err, tol)

    def test_instances_and_coco_evaluator_ap_one(self):
        codec = UDPHeatmap(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0)
        name, samples, results = self._run("coco", codec, tol=1.0)
        for s, r in zip(samples, results):
            inst = r["instances"]
            self.assertEqual(len(inst), 1)
            self.assertEqual(inst.image_size, (s["height"], s["width"]))
            self.assertEqual(tuple(inst.pred_keypoints.shape), (1, 17, 3))
            # +0.5: detectron2's continuous convention
            torch.testing.assert_close(inst.pred_keypoints[0, :, :2], r["keypoints"][:, :2] + 0.5)
            self.assertEqual(int(inst.pred_classes[0]), 0)
            x, y, w, h = s["bbox"]
            torch.testing.assert_close(
                inst.pred_boxes.tensor[0], torch.tensor([x, y, x + w, y + h], dtype=torch.float32)
            )
        merged = merge_instances_by_image(samples, results)
        self.assertEqual(len(merged), 4)  # 4 images in the COCO fixture
        self.assertEqual(sum(len(m["instances"]) for m in merged), 12)

        meta = MetadataCatalog.get(name)
        evaluator = COCOEvaluator(
            name,
            tasks=("keypoints",),
            distributed=False,
            output_dir=None,
            kpt_oks_sigmas=meta.keypoint_oks_sigmas,
            use_fast_impl=False,  # the fast COCOeval is a compiled op (absent offline)
        )
        evaluator.reset()
        evaluator.process(merged, merged)
        res = evaluator.evaluate()
        self.assertAlmostEqual(res["keypoints"]["AP"], 100.0, places=6)

        # detectron2's Visualizer draws the merged Instances unchanged
        first = merged[0]
        canvas = np.zeros((first["height"], first["width"], 3), np.uint8)
        drawn = Visualizer(canvas, meta).draw_instance_predictions(first["instances"]).get_image()
        self.assertEqual(drawn.shape, canvas.shape)
        self.assertGreater(int(drawn.sum()), 0)


if __name__ == "__main__":
    unittest.main()

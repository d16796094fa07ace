"""The official tools' semantics on the results files users have: ``bbox`` sets a result's area as in
pycocotools' ``loadRes`` (detectron2's results shape), extra keys are not read (MMPose's shapes), ids stay
exact integers, the OKS sigmas are the tools' ``.26 / 10`` arithmetic, and OKS-NMS compares float64 OKS
(the documented choice) at its threshold."""

import contextlib
import copy
import io
import json
import os
import tempfile
import unittest
from unittest import mock

import numpy as np

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.evaluation import (
    COCO_METRIC_NAMES,
    CROWDPOSE_METRIC_NAMES,
    batched_oks_nms,
    coco_oks_ap,
    crowdpose_oks_ap,
    evaluate_keypoint_predictions,
    oks_iou,
)
from tests.evaluation.metrics_utils import (
    assert_metrics_close,
    pycocotools_stats,
    random_keypoint_set,
)

COCO_SIGMAS = get_keypoint_set_metadata("coco")["keypoint_oks_sigmas"]
CROWD_SIGMAS = get_keypoint_set_metadata("crowdpose")["keypoint_oks_sigmas"]


def _with_boxes(preds, seed):
    """detectron2's shape: each result also has ``bbox`` [x, y, w, h], here the keypoints' box scaled
    by 0.3-3x, so that box and keypoint areas fall in different ranges."""
    rng = np.random.default_rng(seed)
    out = []
    for p in preds:
        kp = np.asarray(p["keypoints"]).reshape(-1, 3)
        x0, y0 = kp[:, :2].min(axis=0)
        w, h = (kp[:, :2].max(axis=0) - (x0, y0)) * rng.uniform(0.3, 3.0)
        out.append(dict(p, bbox=[float(x0), float(y0), float(w), float(h)]))
    return out


def _mmpose_shape(preds):
    """MMPose's shapes: 1.x writes image_id, category_id, keypoints, score; 0.x adds center, scale."""
    return [dict(p, center=[1.0, 2.0], scale=[3.0, 4.0]) for p in preds]


def _pycocotools(gt, preds):
    return dict(zip(COCO_METRIC_NAMES, pycocotools_stats(gt, preds, COCO_SIGMAS)))


class TestResultArea(unittest.TestCase):
    def test_small_case_bbox_area_decides_the_medium_range(self):
        # one GT (medium) matched exactly, and an unmatched result whose keypoints span a small box but
        # whose bbox is medium: pycocotools counts it as a false positive in the medium range
        kp = np.zeros((17, 3))
        kp[:, 0] = np.linspace(100, 150, 17)
        kp[:, 1] = np.linspace(100, 160, 17)
        kp[:, 2] = 2
        gt = {
            "images": [{"id": 1, "width": 640, "height": 480}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                             "keypoints": kp.reshape(-1).tolist(), "num_keypoints": 17,
                             "area": 3000.0, "bbox": [100, 100, 50, 60]}],
            "categories": [{"id": 1, "name": "person"}],
        }  # fmt: skip
        far = kp.copy()
        far[:, 0] = 400 + far[:, 0] / 10  # a 5 x 60 px spread: keypoint area 300 (small)
        preds = [
            {"image_id": 1, "category_id": 1, "keypoints": far.reshape(-1).tolist(), "score": 0.9,
             "bbox": [400, 100, 50, 60]},
            {"image_id": 1, "category_id": 1, "keypoints": kp.reshape(-1).tolist(), "score": 0.8,
             "bbox": [100, 100, 50, 60]},
        ]  # fmt: skip
        want = _pycocotools(gt, preds)
        self.assertAlmostEqual(want["APm"], 0.5, places=9)  # the case is the one it is meant to be
        got = coco_oks_ap(gt, preds)
        assert_metrics_close(self, got, want, delta=1e-12, scale=100.0)
        no_box = [{k: v for k, v in p.items() if k != "bbox"} for p in preds]
        want_no_box = _pycocotools(gt, no_box)
        self.assertAlmostEqual(want_no_box["APm"], 1.0, places=9)  # the small result is ignored
        assert_metrics_close(self, coco_oks_ap(gt, no_box), want_no_box, delta=1e-12, scale=100.0)
        # the protocol path without rescoring and NMS scores the file as pycocotools does
        got = evaluate_keypoint_predictions(preds, gt, rescore=False, oks_nms_thr=None)
        assert_metrics_close(self, got, want, delta=1e-12, scale=100.0)

    def test_coco_equals_pycocotools_on_detectron2_and_mmpose_shapes(self):
        for seed in range(3):
            gt, preds = random_keypoint_set(seed)
            shapes = {
                "detectron2 (bbox)": _with_boxes(preds, seed),
                "bbox and area": [dict(p, area=1.0) for p in _with_boxes(preds, seed)],
                "mmpose (extra keys)": _mmpose_shape(preds),
                "first without bbox": [preds[0]] + _with_boxes(preds, seed)[1:],
            }
            for name, results in shapes.items():
                with self.subTest(seed=seed, shape=name):
                    want = _pycocotools(gt, results)
                    assert_metrics_close(self, coco_oks_ap(gt, results), want, 1e-12, scale=100.0)
                    got = evaluate_keypoint_predictions(
                        results, gt, rescore=False, oks_nms_thr=None
                    )
                    assert_metrics_close(self, got, want, delta=1e-12, scale=100.0)

    def test_bbox_goes_into_the_written_results(self):
        gt, preds = random_keypoint_set(0)
        boxed = _with_boxes(preds, 0)
        with tempfile.TemporaryDirectory() as tmp:
            got = evaluate_keypoint_predictions(boxed, gt, output_dir=tmp)
            with open(os.path.join(tmp, "keypoint_results.json")) as f:
                written = json.load(f)
        self.assertTrue(all("bbox" in r for r in written))
        # pycocotools on what was written gives the same statistics
        assert_metrics_close(self, got, _pycocotools(gt, written), delta=1e-12, scale=100.0)

    def test_later_result_without_bbox_is_named(self):
        gt, preds = random_keypoint_set(0)
        boxed = _with_boxes(preds, 0)
        del boxed[3]["bbox"]
        with self.assertRaisesRegex(ValueError, r"mine, result 3: no bbox, but result 0 has one"):
            coco_oks_ap(gt, boxed, source="mine")
        with self.assertRaisesRegex(ValueError, r"mine, record 3: no bbox, but record 0 has one"):
            evaluate_keypoint_predictions(boxed, gt, source="mine")

    def test_crowdpose_equals_xtcocotools_with_boxes(self):
        from xtcocotools.coco import COCO
        from xtcocotools.cocoeval import COCOeval

        for seed in range(2):
            gt, preds = random_keypoint_set(
                seed, num_keypoints=14, crowd_index=True, all_zero=False
            )
            for ann in gt["annotations"]:
                del ann["area"]
            boxed = _with_boxes(preds, seed)
            # a negative area is outside the 'all' range: ignored when unmatched
            boxed[1]["bbox"][2] = -5.0
            with self.subTest(seed=seed), tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "gt.json")
                with open(path, "w") as f:
                    json.dump(gt, f)
                with (
                    contextlib.redirect_stdout(io.StringIO()),
                    mock.patch("xtcocotools.cocoeval.round", lambda v, d: float(v), create=True),
                ):
                    api = COCO(path)
                    ev = COCOeval(api, api.loadRes(copy.deepcopy(boxed)), "keypoints_crowd",
                                  np.array(CROWD_SIGMAS), use_area=False)  # fmt: skip
                    ev.evaluate()
                    ev.accumulate()
                    ev.summarize()
                want = dict(zip(CROWDPOSE_METRIC_NAMES, ev.stats))
                assert_metrics_close(self, crowdpose_oks_ap(path, boxed), want, 1e-12, scale=100.0)


def _one_person_gt(image_ids):
    kp = np.stack([np.linspace(10, 60, 17), np.linspace(20, 90, 17), np.full(17, 2.0)], 1)
    return {
        "images": [{"id": i, "width": 100, "height": 100} for i in image_ids],
        "annotations": [{"id": n + 1, "image_id": i, "category_id": 1, "iscrowd": 0,
                         "keypoints": (kp + [n, 0, 0]).reshape(-1).tolist(), "num_keypoints": 17,
                         "area": 3500.0, "bbox": [10, 20, 50, 70]}
                        for n, i in enumerate(image_ids)],
        "categories": [{"id": 1, "name": "person"}],
    }  # fmt: skip


def _exact_results(gt):
    return [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 0.9}
            for a in gt["annotations"]]  # fmt: skip


class TestExactIds(unittest.TestCase):
    def test_ids_beyond_2_to_53_stay_exact(self):
        for ids in ([2**53, 2**53 + 1], [2**62 + 1, 2**62 + 2], [2**63 - 2, 2**63 - 1]):
            with self.subTest(ids=ids):
                gt = _one_person_gt(ids)
                results = _exact_results(gt)
                self.assertEqual(_pycocotools(gt, results)["AP"], 1.0)
                self.assertEqual(coco_oks_ap(gt, results)["AP"], 100.0)
                got = evaluate_keypoint_predictions(results, gt, rescore=False, oks_nms_thr=None)
                self.assertEqual(got["AP"], 100.0)
                with tempfile.TemporaryDirectory() as tmp:  # from a file
                    path = os.path.join(tmp, "gt.json")
                    with open(path, "w") as f:
                        json.dump(gt, f)
                    self.assertEqual(coco_oks_ap(path, results)["AP"], 100.0)

    def test_ids_json_cannot_hold_exactly_are_named(self):
        gt = _one_person_gt([1, 2])
        cases = {
            2**64 - 1: "does not fit a 64-bit signed integer",
            float(2**53 + 2): "is a float beyond 2\\^53",
            1.5: "is not an integer",
            "2": "is a str, not an integer",
            True: "is a bool, not an integer",
        }
        for bad, why in cases.items():
            results = _exact_results(gt)
            results[1]["image_id"] = bad
            with self.subTest(image_id=bad):
                with self.assertRaisesRegex(ValueError, rf"mine, result 1: image_id .* {why}"):
                    coco_oks_ap(gt, results, source="mine")
                with self.assertRaisesRegex(ValueError, rf"mine, record 1: image_id .* {why}"):
                    evaluate_keypoint_predictions(results, gt, source="mine")
        self.assertEqual(coco_oks_ap(gt, [dict(r, image_id=float(r["image_id"]))
                                          for r in _exact_results(gt)])["AP"], 100.0)  # fmt: skip

    def test_gt_ids_beyond_int64_are_named(self):
        gt = _one_person_gt([1, 2])
        gt["annotations"][1]["id"] = 2**64 - 1
        with self.assertRaisesRegex(
            ValueError, r"annotation 1: id 18446744073709551615 does not fit"
        ):
            coco_oks_ap(gt, [])
        gt = _one_person_gt([1, 2**64 - 1])
        with self.assertRaisesRegex(ValueError, r"does not fit a 64-bit signed integer"):
            coco_oks_ap(gt, [])


class TestSigmas(unittest.TestCase):
    def test_sigmas_are_the_tools_arithmetic_bit_for_bit(self):
        from pycocotools.cocoeval import Params

        coco = Params(iouType="keypoints").kpt_oks_sigmas
        self.assertEqual(np.asarray(COCO_SIGMAS).tobytes(), coco.tobytes())
        # crowdposetools' cocoeval.py (not installable from PyPI) writes this expression
        crowd = np.array([.79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89, .79,
                          .79]) / 10.0  # fmt: skip
        self.assertEqual(np.asarray(CROWD_SIGMAS).tobytes(), crowd.tobytes())
        self.assertNotEqual(COCO_SIGMAS[0], 0.026)  # the literal is one ulp away


class TestOksNmsPrecision(unittest.TestCase):
    def test_float64_oks_just_over_the_threshold_suppresses(self):
        # Two poses with OKS 0.9 + 3e-9 in float64: LJOF (float64, documented) suppresses the second;
        # MMPose's oks_iou stores the OKS in a float32 array, which rounds it to 0.9f < 0.9: kept.
        sigmas = [0.1] * 17
        area = 1000.0
        first = np.zeros((17, 3))
        first[:, 0] = np.arange(17) * 3.0
        x = -np.log(0.9 + 3e-9)  # e per joint for that OKS
        shift = np.sqrt(x * 2 * (2 * 0.1) ** 2 * (area + np.spacing(1)))
        second = first.copy()
        second[:, 1] += shift
        oks = oks_iou(first, second[None], area, np.array([area]), sigmas)[0]
        self.assertGreater(oks, 0.9)
        self.assertLessEqual(oks, 0.9 + 6e-9)
        self.assertLessEqual(float(np.float32(oks)), 0.9)
        keep = batched_oks_nms(
            np.zeros(2, np.int64), np.stack([first, second]), np.array([0.9, 0.8]),
            np.array([area, area]), 0.9, sigmas,
        )  # fmt: skip
        self.assertEqual(keep.tolist(), [0])


if __name__ == "__main__":
    unittest.main()

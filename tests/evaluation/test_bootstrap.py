"""Paired bootstrap of OKS AP differences: the point estimates are the exact statistics, the resamples
are paired (a model against itself gives exactly 0), the interval is reproducible, and its width agrees
with a brute-force bootstrap that re-runs the whole evaluation on resampled images."""

import copy
import json
import math
import unittest

import numpy as np

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.evaluation import coco_oks_ap
from ljof.evaluation.bootstrap import (
    _resample_counts,
    _resampled_stats,
    paired_bootstrap,
    paired_occlusion_bootstrap,
)
from ljof.evaluation.oks_ap import (
    COCO_METRIC_NAMES,
    checked_results,
    image_matches,
    load_keypoint_gt,
)
from tests.common import fixture_path

META = get_keypoint_set_metadata("coco")


def _stress():
    with open(fixture_path("oracle", "coco_stress_gt.json")) as f:
        gt = json.load(f)
    with open(fixture_path("oracle", "coco_stress_pred.json")) as f:
        preds = json.load(f)
    return gt, preds


def _jitter(preds, scale, seed):
    """The same predictions with every keypoint moved by a random offset of ``scale`` px."""
    rng = np.random.default_rng(seed)
    out = []
    for p in preds:
        k = np.asarray(p["keypoints"], np.float64).reshape(-1, 3).copy()
        k[:, :2] += rng.normal(0.0, scale, size=(len(k), 2))
        out.append(dict(p, keypoints=k.reshape(-1).tolist()))
    return out


def _resampled(gt, preds, image_ids):
    """GT and results on a multiset of images: the i-th drawn image becomes image id i + 1."""
    images = {img["id"]: img for img in gt["images"]}
    anns, res = [], []
    by_image = {}
    for a in gt["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    pred_by_image = {}
    for p in preds:
        pred_by_image.setdefault(p["image_id"], []).append(p)
    new_images = []
    for i, image_id in enumerate(image_ids):
        new_images.append(dict(images[image_id], id=i + 1))
        for a in by_image.get(image_id, []):
            anns.append(dict(a, id=len(anns) + 1, image_id=i + 1))
        res += [dict(p, image_id=i + 1) for p in pred_by_image.get(image_id, [])]
    return dict(gt, images=new_images, annotations=anns), res


class TestPairedBootstrap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gt, cls.preds = _stress()
        cls.worse = _jitter(cls.preds, 4.0, seed=0)

    def test_point_estimates_are_the_exact_statistics(self):
        out = paired_bootstrap(self.gt, self.preds, self.worse, num_resamples=50, seed=0)
        a, b = coco_oks_ap(self.gt, self.preds), coco_oks_ap(self.gt, self.worse)
        for name, row in out.items():
            self.assertAlmostEqual(row["a"], a[name], places=10)
            self.assertAlmostEqual(row["b"], b[name], places=10)
            self.assertAlmostEqual(row["delta"], b[name] - a[name], places=10)

    def test_a_model_against_itself_is_exactly_zero(self):
        # Unpaired resampling (different images for A and B) would give a non-zero spread.
        out = paired_bootstrap(self.gt, self.preds, copy.deepcopy(self.preds), num_resamples=200)
        for row in out.values():
            self.assertEqual((row["delta"], row["lower"], row["upper"]), (0.0, 0.0, 0.0))

    def test_interval_brackets_the_difference_and_is_reproducible(self):
        one = paired_bootstrap(self.gt, self.preds, self.worse, num_resamples=1000, seed=3)
        two = paired_bootstrap(self.gt, self.preds, self.worse, num_resamples=1000, seed=3)
        self.assertEqual(one, two)
        ap = one["AP"]
        self.assertLess(ap["delta"], -5.0)  # 4 px of noise costs many AP points here
        self.assertLess(ap["lower"], ap["delta"])
        self.assertLess(ap["delta"], ap["upper"])
        self.assertLess(ap["upper"], 0.0)
        self.assertEqual(ap["prob_positive"], 0.0)

    def test_a_resample_is_the_evaluation_of_its_copies(self):
        """Each resample's statistics equal a whole evaluation of a GT and results in which every
        drawn image stands as many times as drawn, its copies next to each other (scores made
        distinct: tied results of one image would interleave copy by copy there)."""
        preds = [dict(p, score=0.5 + i / (2 * len(self.preds))) for i, p in enumerate(self.worse)]
        sigmas = META["keypoint_oks_sigmas"]
        parsed = load_keypoint_gt(self.gt, "coco", num_keypoints=17)
        matches = image_matches(parsed, checked_results(parsed, preds, 17, "results"), sigmas)
        counts = _resample_counts(len(parsed.image_ids), range(6), seed=5)
        self.assertTrue((counts > 1).any() and (counts == 0).any())
        stats = _resampled_stats(matches, counts)
        for row, drawn in enumerate(counts):
            draw = np.repeat(parsed.image_ids, drawn)  # sorted: the copies of an image together
            gt_r, res_r = _resampled(self.gt, preds, draw.tolist())
            brute = coco_oks_ap(gt_r, res_r)
            ours = {
                n: 100.0 * v if v >= 0 else math.nan for n, v in zip(COCO_METRIC_NAMES, stats[row])
            }
            for name in COCO_METRIC_NAMES:
                self.assertEqual(math.isnan(brute[name]), math.isnan(ours[name]), name)
                if not math.isnan(brute[name]):
                    self.assertAlmostEqual(ours[name], brute[name], places=12, msg=name)

    def test_spread_matches_a_brute_force_bootstrap(self):
        """The resampled AP differences vs re-evaluating 300 resampled image sets from scratch:
        the standard errors agree within 25 % (Monte-Carlo error of 300 resamples is about 4 %)."""
        rng = np.random.default_rng(0)
        ids = [img["id"] for img in self.gt["images"]]
        deltas = []
        for _ in range(300):
            draw = rng.choice(ids, size=len(ids), replace=True)
            gt_r, a_r = _resampled(self.gt, self.preds, draw)
            _, b_r = _resampled(self.gt, self.worse, draw)
            deltas.append(coco_oks_ap(gt_r, b_r)["AP"] - coco_oks_ap(gt_r, a_r)["AP"])
        brute = float(np.std(deltas, ddof=1))
        fast = paired_bootstrap(self.gt, self.preds, self.worse, num_resamples=2000, seed=0)
        self.assertGreater(brute, 0.5)
        self.assertLess(abs(fast["AP"]["std_err"] / brute - 1.0), 0.25)

    def test_undefined_metric_is_nan(self):
        gt = copy.deepcopy(self.gt)
        for a in gt["annotations"]:
            a["area"] = 100.0**2 * 1.5  # every person "large": the medium range is empty
        out = paired_bootstrap(gt, self.preds, self.worse, num_resamples=20)
        self.assertTrue(math.isnan(out["APm"]["delta"]) and math.isnan(out["APm"]["lower"]))
        self.assertFalse(math.isnan(out["AP"]["lower"]))

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "num_resamples"):
            paired_bootstrap(self.gt, self.preds, self.worse, num_resamples=0)
        with self.assertRaisesRegex(ValueError, "confidence"):
            paired_bootstrap(self.gt, self.preds, self.worse, confidence=1.0)
        bad = [dict(self.preds[0], image_id=10**9)]
        with self.assertRaisesRegex(ValueError, "results_b, result 0: image_id"):
            paired_bootstrap(self.gt, self.preds, bad)


class TestPairedOcclusionBootstrap(unittest.TestCase):
    def setUp(self):
        self.gt, preds = _stress()
        # one prediction per GT person, from its own box (as the top-down model with GT boxes)
        anns = [a for a in self.gt["annotations"] if a.get("num_keypoints", 0) > 0][:40]
        self.gt["annotations"] = anns
        rng = np.random.default_rng(1)
        self.a, self.b = [], []
        for ann in anns:
            k = np.asarray(ann["keypoints"], np.float64).reshape(17, 3).copy()
            k[:, 2] = 0.9
            base = dict(image_id=ann["image_id"], bbox_score=1.0, area=ann["area"],
                        annotation_id=ann["id"])  # fmt: skip
            self.a.append(dict(base, keypoints=k + [*rng.normal(0, 1, 2), 0]))
            self.b.append(dict(base, keypoints=k + [*rng.normal(0, 6, 2), 0]))

    def _run(self, a, b, **kw):
        return paired_occlusion_bootstrap(
            a,
            b,
            self.gt,
            keypoint_set="coco",
            sigmas=META["keypoint_oks_sigmas"],
            keypoint_names=META["keypoint_names"],
            num_resamples=200,
            **kw,
        )

    def test_subsets_and_direction(self):
        out = self._run(self.a, self.b)
        self.assertEqual(list(out), ["overall", "visible", "occluded"])
        for subset in out.values():
            self.assertLess(subset["AP"]["delta"], 0.0)

    def test_different_synthetic_blocks_are_refused(self):
        a = [dict(p, occluded_joints=np.zeros(17, bool)) for p in self.a]
        b = [dict(p, occluded_joints=np.eye(17, dtype=bool)[0]) for p in self.b]
        with self.assertRaisesRegex(ValueError, "different joints"):
            self._run(a, b)


if __name__ == "__main__":
    unittest.main()

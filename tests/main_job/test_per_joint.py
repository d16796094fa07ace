"""ljof.main_job.per_joint: best prediction per person, left/right confusions, per-joint similarity,
limb drift."""

import math
import types
import unittest

import numpy as np

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.main_job.per_joint import (
    best_predictions,
    limb_drift,
    pair_confusion_rates,
    per_joint_similarity,
)

META = types.SimpleNamespace(**get_keypoint_set_metadata("coco"))
NAMES = list(META.keypoint_names)
L_ANKLE, R_ANKLE = NAMES.index("left_ankle"), NAMES.index("right_ankle")
L_WRIST, R_WRIST = NAMES.index("left_wrist"), NAMES.index("right_wrist")
L_ELBOW, L_KNEE = NAMES.index("left_elbow"), NAMES.index("left_knee")


def _person(rng):
    k = np.zeros((17, 3))
    k[:, 0] = rng.uniform(0, 60, 17)
    k[:, 1] = rng.uniform(0, 150, 17)
    k[:, 2] = 2
    return k


class _Labels(unittest.TestCase):
    """Four people with random joints, one image each."""

    def setUp(self):
        rng = np.random.default_rng(0)
        self.people = [_person(rng) for _ in range(4)]
        self.people[3][L_WRIST, 2] = 0  # the last person's wrist pair is not labelled on both sides
        self.gt = {
            "annotations": [
                dict(id=i + 1, image_id=i + 1, keypoints=p.reshape(-1).tolist(), area=9000.0,
                     iscrowd=0)
                for i, p in enumerate(self.people)
            ]
        }  # fmt: skip

    def _rates(self, people):
        preds = [
            dict(image_id=i + 1, keypoints=p.reshape(-1).tolist()) for i, p in enumerate(people)
        ]
        return pair_confusion_rates(preds, self.gt, META)


class TestPairConfusionRates(_Labels):
    def test_exact_predictions_confuse_nothing(self):
        rates = self._rates(self.people)
        self.assertEqual(
            set(rates), {"eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle"}
        )
        self.assertTrue(all(v == 0.0 for v in rates.values()), rates)

    def test_both_ankles_on_one_foot_and_crossed_wrists(self):
        preds = [p.copy() for p in self.people]
        preds[0][R_ANKLE, :2] = preds[0][L_ANKLE, :2]  # both ankles on the left foot: 1 of 2
        preds[1][[L_WRIST, R_WRIST]] = preds[1][[R_WRIST, L_WRIST]]  # crossed: 2 of 2
        preds[3][[L_WRIST, R_WRIST]] = preds[3][
            [R_WRIST, L_WRIST]
        ]  # not counted: one side unlabelled
        rates = self._rates(preds)
        self.assertAlmostEqual(rates["ankle"], 1 / 8)  # 4 people x 2 ankles
        self.assertAlmostEqual(rates["wrist"], 2 / 6)  # 3 people with both wrists labelled
        self.assertEqual(rates["knee"], 0.0)

    def test_missing_predictions_and_unlabelled_pairs(self):
        rates = self._rates(self.people[:1])  # images 2-4 have no prediction: not confused
        self.assertEqual(rates["ankle"], 0.0)
        gt = {"annotations": [dict(self.gt["annotations"][0], keypoints=[0] * 51)]}
        rates = pair_confusion_rates([], gt, META)
        self.assertTrue(all(math.isnan(v) for v in rates.values()))


class TestBestPredictionsAndSimilarity(_Labels):
    def test_best_prediction_of_the_image(self):
        far = self.people[0].copy()
        far[:, :2] += 40.0
        preds = [dict(image_id=1, keypoints=far.reshape(-1).tolist()),
                 dict(image_id=1, keypoints=self.people[0].reshape(-1).tolist())]  # fmt: skip
        best = best_predictions(preds, self.gt, META)
        self.assertEqual(set(best), {1})  # images 2-4 have no prediction
        np.testing.assert_array_equal(best[1], self.people[0][:, :2])

    def test_per_joint_similarity(self):
        preds = [p.copy() for p in self.people]
        preds[0][L_ANKLE, 0] += 10.0
        table = per_joint_similarity(
            [dict(image_id=i + 1, keypoints=p.reshape(-1).tolist()) for i, p in enumerate(preds)],
            self.gt,
            META,
        )
        self.assertEqual(list(table), NAMES)
        self.assertAlmostEqual(table["right_ankle"]["visible"], 100.0)
        self.assertIsNone(table["nose"]["occluded"])  # no v = 1 joint in these labels
        # 10 px at sqrt(area) 94.9 and sigma 0.089: exp(-100 / (2 * 9000 * 0.178^2))
        expected = 100.0 * (3 + np.exp(-100.0 / (2 * 9000.0 * 0.178**2))) / 4
        self.assertAlmostEqual(table["left_ankle"]["visible"], expected, places=6)


class TestLimbDrift(_Labels):
    def _drift(self, preds, gt=None):
        records = [dict(image_id=i + 1, keypoints=p.reshape(-1).tolist()) for i, p in enumerate(preds)]
        return limb_drift(records, gt or self.gt, META)

    def test_exact_predictions_do_not_drift(self):
        drift = self._drift(self.people)
        self.assertEqual(
            set(drift),
            {"wrist->elbow", "elbow->wrist", "elbow->shoulder", "shoulder->elbow",
             "ankle->knee", "knee->ankle", "knee->hip", "hip->knee"},
        )  # fmt: skip
        self.assertEqual(drift["wrist->elbow"], {"visible": 0.0, "occluded": None})

    def test_wrist_drawn_toward_its_elbow(self):
        preds = [p.copy() for p in self.people]
        for i, p in enumerate(preds):  # every left wrist 30 % of the way to its elbow; knees away
            p[L_WRIST, :2] += 0.3 * (p[L_ELBOW, :2] - p[L_WRIST, :2])
            p[L_KNEE, :2] -= 0.2 * (p[L_ANKLE, :2] - p[L_KNEE, :2])
        gt = {"annotations": [dict(a) for a in self.gt["annotations"]]}
        hidden = self.people[0].copy()
        hidden[L_WRIST, 2] = 1  # the first person's left wrist labelled but occluded
        gt["annotations"][0]["keypoints"] = hidden.reshape(-1).tolist()
        drift = self._drift(preds, gt)
        # the one occluded wrist moved 30 %; visible: the left wrists of people 2 and 3 (30 %; people 4's is
        # unlabelled) and 4 right wrists (0): median 0
        self.assertAlmostEqual(drift["wrist->elbow"]["occluded"], 30.0)
        self.assertAlmostEqual(drift["wrist->elbow"]["visible"], 0.0)
        self.assertAlmostEqual(drift["knee->ankle"]["visible"], -10.0)  # median of 4 x -20, 4 x 0
        self.assertAlmostEqual(drift["ankle->knee"]["visible"], 0.0)

    def test_people_without_prediction_are_left_out(self):
        drift = self._drift([])
        self.assertEqual(drift["ankle->knee"], {"visible": None, "occluded": None})


if __name__ == "__main__":
    unittest.main()

"""Left/right confusion rate of the main job: zero for the labels themselves, one for their mirror,
and a person seen from the side counts once whichever prediction of its image fits it."""

import types
import unittest

import numpy as np

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.main_job.comparison import left_right_swap_rate

META = types.SimpleNamespace(**get_keypoint_set_metadata("coco"))  # keypoint_set "coco"


def _person(rng, x0):
    k = np.zeros((17, 3))
    k[:, 0] = x0 + rng.uniform(0, 60, 17)
    k[:, 1] = rng.uniform(0, 150, 17)
    k[:, 2] = 2
    return k


class TestLeftRightSwapRate(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(0)
        self.people = [_person(rng, 0), _person(rng, 200), _person(rng, 0)]
        anns = [dict(id=i + 1, image_id=1 + i // 2, keypoints=p.reshape(-1).tolist(),
                     area=60.0 * 150.0, iscrowd=0) for i, p in enumerate(self.people)]  # fmt: skip
        anns.append(dict(id=9, image_id=2, keypoints=[0] * 51, area=1.0, iscrowd=0))  # no joints
        self.gt = {"annotations": anns}
        names = list(META.keypoint_names)
        self.mirror = np.arange(17)
        for a, b in META.keypoint_flip_map:
            self.mirror[names.index(a)], self.mirror[names.index(b)] = (
                names.index(b),
                names.index(a),
            )

    def _preds(self, which):
        return [dict(image_id=1 + i // 2, keypoints=p[self.mirror] if i in which else p)
                for i, p in enumerate(self.people)]  # fmt: skip

    def test_rates(self):
        self.assertEqual(left_right_swap_rate(self._preds(()), self.gt, META), 0.0)
        self.assertEqual(left_right_swap_rate(self._preds((0, 1, 2)), self.gt, META), 1.0)
        self.assertAlmostEqual(left_right_swap_rate(self._preds((1,)), self.gt, META), 1 / 3)

    def test_missing_prediction_counts_as_not_swapped(self):
        preds = [p for p in self._preds((0,)) if p["image_id"] == 1]
        self.assertAlmostEqual(left_right_swap_rate(preds, self.gt, META), 1 / 3)


if __name__ == "__main__":
    unittest.main()

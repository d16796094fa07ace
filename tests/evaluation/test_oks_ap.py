"""OKS AP per protocol equals the official tools: the oracle fixtures (pycocotools, crowdposetools) to
1e-12, random sets against pycocotools / xtcocotools, the GT contract (person category by name or id)."""

import contextlib
import copy
import io
import json
import math
import os
import tempfile
import unittest
from unittest import mock

import numpy as np

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.evaluation import (
    COCO_METRIC_NAMES,
    CROWDPOSE_METRIC_NAMES,
    KeypointResults,
    coco_oks_ap,
    crowdpose_oks_ap,
    evaluate_keypoint_predictions,
    load_keypoint_gt,
)
from tests.common import fixture_path
from tests.evaluation.metrics_utils import (
    assert_metrics_close,
    pycocotools_stats,
    random_keypoint_set,
)

COCO_SIGMAS = get_keypoint_set_metadata("coco")["keypoint_oks_sigmas"]
CROWD_SIGMAS = get_keypoint_set_metadata("crowdpose")["keypoint_oks_sigmas"]


def _oracle(name):
    with open(fixture_path("oracle", f"{name}_stress_pred.json")) as f:
        preds = json.load(f)
    with open(fixture_path("oracle", f"{name}_stress_expected.json")) as f:
        expected = json.load(f)
    return fixture_path("oracle", f"{name}_stress_gt.json"), preds, expected


def _without_all_zero_scores(preds):
    return [p for p in preds if any(p["keypoints"][2::3])]


class TestOracleFixtures(unittest.TestCase):
    """Every statistic of the official tools on the stress sets (ties, crowd regions, all-zero scores)."""

    def test_coco_stress_equals_pycocotools(self):
        gt, preds, expected = _oracle("coco")
        got = coco_oks_ap(gt, preds)
        assert_metrics_close(self, got, expected["oracle"], delta=1e-12, scale=100.0)
        self.assertEqual(tuple(expected["stat_names"]), COCO_METRIC_NAMES)

    def test_crowdpose_stress_equals_crowdposetools(self):
        gt, preds, expected = _oracle("crowdpose")
        got = crowdpose_oks_ap(gt, preds)
        assert_metrics_close(self, got, expected["oracle"], delta=1e-12, scale=100.0)
        self.assertEqual(tuple(expected["stat_names"]), CROWDPOSE_METRIC_NAMES)

    def test_through_the_protocol_without_rescoring_or_nms(self):
        # The tool's path: grouping the predictions by image (stably) must change nothing.
        for name, keypoint_set in (("coco", "coco"), ("crowdpose", "crowdpose")):
            with self.subTest(name):
                gt, preds, expected = _oracle(name)
                got = evaluate_keypoint_predictions(
                    preds, gt, keypoint_set=keypoint_set, rescore=False, oks_nms_thr=None
                )
                assert_metrics_close(self, got, expected["oracle"], delta=1e-12, scale=100.0)

    def test_the_fixtures_detect_order_and_dropping(self):
        # The oracle's own reruns on altered inputs: file order matters through ties, and keeping the
        # all-zero-score predictions (which xtcocotools drops) matters.
        for name in ("coco", "crowdpose"):
            with self.subTest(name):
                gt, preds, expected = _oracle(name)
                sens = expected["sensitivity"]
                evaluate = coco_oks_ap if name == "coco" else crowdpose_oks_ap
                reversed_ap = evaluate(gt, preds[::-1])["AP"] / 100
                dropped_ap = evaluate(gt, _without_all_zero_scores(preds))["AP"] / 100
                self.assertAlmostEqual(reversed_ap, sens["predictions_reversed"]["AP"], delta=1e-12)
                self.assertAlmostEqual(
                    dropped_ap, sens["all_zero_score_predictions_dropped"]["AP"], delta=1e-12
                )
                self.assertGreater(abs(dropped_ap - expected["oracle"]["AP"]), 0.01)

    def test_gt_forms_give_the_same_numbers(self):
        from pycocotools.coco import COCO

        gt_path, preds, expected = _oracle("coco")
        with open(gt_path) as f:
            data = json.load(f)
        with contextlib.redirect_stdout(io.StringIO()):
            api = COCO(gt_path)
        loaded = load_keypoint_gt(gt_path, "coco")
        for gt in (data, api, loaded):
            got = coco_oks_ap(gt, preds)
            assert_metrics_close(self, got, expected["oracle"], delta=1e-12, scale=100.0)
        with open(gt_path) as f:
            self.assertEqual(data, json.load(f))  # the dict is not modified


class TestRandomSets(unittest.TestCase):
    def test_coco_equals_pycocotools(self):
        for seed in range(4):
            with self.subTest(seed=seed):
                gt, preds = random_keypoint_set(seed)
                want = dict(zip(COCO_METRIC_NAMES, pycocotools_stats(gt, preds, COCO_SIGMAS)))
                assert_metrics_close(self, coco_oks_ap(gt, preds), want, delta=1e-12, scale=100.0)

    def test_crowdpose_equals_xtcocotools_without_all_zero_scores(self):
        # xtcocotools' keypoints_crowd is crowdposetools except that it drops all-zero-score predictions
        # and rounds E/M/H to 4 decimals (switched off here as in tests/data/oracle/README.md).
        from xtcocotools.coco import COCO
        from xtcocotools.cocoeval import COCOeval

        for seed in range(3):
            with self.subTest(seed=seed):
                gt, preds = random_keypoint_set(seed, num_keypoints=14, crowd_index=True,
                                                all_zero=False)  # fmt: skip
                for ann in gt["annotations"]:
                    del ann["area"]  # CrowdPose files have none; the protocol uses box x 0.53
                with tempfile.TemporaryDirectory() as tmp:
                    path = os.path.join(tmp, "gt.json")
                    with open(path, "w") as f:
                        json.dump(gt, f)
                    with (
                        contextlib.redirect_stdout(io.StringIO()),
                        mock.patch(
                            "xtcocotools.cocoeval.round",
                            lambda value, digits: float(value),
                            create=True,
                        ),
                    ):
                        api = COCO(path)
                        ev = COCOeval(api, api.loadRes(copy.deepcopy(preds)), "keypoints_crowd",
                                      np.array(CROWD_SIGMAS), use_area=False)  # fmt: skip
                        ev.evaluate()
                        ev.accumulate()
                        ev.summarize()
                    want = dict(zip(CROWDPOSE_METRIC_NAMES, ev.stats))
                    got = crowdpose_oks_ap(path, preds)
                assert_metrics_close(self, got, want, delta=1e-12, scale=100.0)


def _person_id_variant(person_id, extra_categories=()):
    with open(fixture_path("coco", "test_coco.json")) as f:
        data = json.load(f)
    data["categories"] = [dict(data["categories"][0], id=person_id), *extra_categories]
    for ann in data["annotations"]:
        ann["category_id"] = person_id
    return data


def _gt_as_predictions(data, category_id):
    return [
        {"image_id": a["image_id"], "category_id": category_id, "keypoints": a["keypoints"],
         "score": 1.0}
        for a in data["annotations"] if a["num_keypoints"] > 0
    ]  # fmt: skip


class TestGroundTruthContract(unittest.TestCase):
    def test_person_category_with_any_id(self):
        for person_id in (0, 1, 2):
            data = _person_id_variant(person_id)
            for category_id in sorted({1, person_id}):
                with self.subTest(person_id=person_id, category_id=category_id):
                    got = coco_oks_ap(data, _gt_as_predictions(data, category_id))
                    self.assertEqual(got["AP"], 100.0)
                    self.assertEqual(got["AR"], 100.0)

    def test_person_found_by_name_among_other_categories(self):
        dog = {"id": 1, "name": "dog", "supercategory": "animal"}
        data = _person_id_variant(2, [dog])
        self.assertEqual(coco_oks_ap(data, _gt_as_predictions(data, 2))["AP"], 100.0)
        # id 1 is the dog here, so predictions labelled 1 are not people: an error, not AP 0
        with self.assertRaisesRegex(
            ValueError, r"result 0: category_id 1 is not the person category"
        ):
            coco_oks_ap(data, _gt_as_predictions(data, 1))

    def test_no_person_category(self):
        data = _person_id_variant(3, [{"id": 4, "name": "dog"}])
        data["categories"][0]["name"] = "human"
        with self.assertRaisesRegex(ValueError, r"none of the 2 categories is named 'person'"):
            coco_oks_ap(data, [])

    def test_unknown_image_and_wrong_length(self):
        data = _person_id_variant(1)
        preds = _gt_as_predictions(data, 1)
        with self.assertRaisesRegex(ValueError, r"mine, result 1: image_id 5 is not an image"):
            coco_oks_ap(data, [preds[0], dict(preds[1], image_id=5)], source="mine")
        with self.assertRaisesRegex(ValueError, r"result 0: 3 keypoint values, expected 51"):
            coco_oks_ap(data, [dict(preds[0], keypoints=[1, 2, 3])])

    def test_result_errors_name_the_result(self):
        data = _person_id_variant(1)
        preds = _gt_as_predictions(data, 1)
        with self.assertRaisesRegex(ValueError, r"mine, result 2: image_id 1.5 is not an integer"):
            coco_oks_ap(data, [*preds[:2], dict(preds[2], image_id=1.5)], source="mine")
        with self.assertRaisesRegex(ValueError, r"mine, result 1: keypoints or score contain NaN"):
            coco_oks_ap(data, [preds[0], dict(preds[1], score=float("nan"))], source="mine")
        with self.assertRaisesRegex(ValueError, r"mine, result 0: expected image_id"):
            coco_oks_ap(data, [{"image_id": preds[0]["image_id"]}], source="mine")

    def test_person_without_labelled_joint_needs_a_box(self):
        # pycocotools scores results against such a person by its box; without one: a clear error
        data = _person_id_variant(1)
        ann = data["annotations"][0]
        ann["keypoints"] = [0] * 51
        ann["num_keypoints"] = 0
        del ann["bbox"]
        with self.assertRaisesRegex(ValueError, rf"annotation {ann['id']} .*no labelled keypoint"):
            coco_oks_ap(data, [])

    def test_people_outside_the_image_list_are_left_out_with_a_warning(self):
        # pycocotools reads annotations through params.imgIds: people of an image missing from
        # 'images' never count (they used to land on the next image id here)
        data = _person_id_variant(1)
        preds = _gt_as_predictions(data, 1)
        stray = dict(data["annotations"][0], id=999, image_id=1)  # below every image id
        stray_high = dict(data["annotations"][0], id=998, image_id=10**9)  # above every image id
        data["annotations"] += [stray, stray_high]
        with self.assertLogs("ljof.evaluation.oks_ap", level="WARNING") as logs:
            got = coco_oks_ap(data, preds)
        self.assertEqual(got["AP"], 100.0)
        self.assertIn("2 person annotations have an image_id that is not in 'images'", logs.output[0])

    def test_non_finite_gt_keypoints_are_an_error(self):
        data = _person_id_variant(1)
        ann = data["annotations"][2]
        ann["keypoints"] = [float("nan")] + ann["keypoints"][1:]
        with self.assertRaisesRegex(ValueError, rf"annotation {ann['id']} .*keypoints with NaN"):
            coco_oks_ap(data, [])

    def test_keypoint_results_arrays_score_like_dicts(self):
        gt, preds, expected = _oracle("coco")
        arrays = KeypointResults(
            [p["image_id"] for p in preds],
            np.array([p["keypoints"] for p in preds]).reshape(-1, 17, 3),
            [p["score"] for p in preds],
        )
        assert_metrics_close(self, coco_oks_ap(gt, arrays), expected["oracle"], delta=1e-12,
                             scale=100.0)  # fmt: skip
        self.assertEqual(arrays.to_coco(1)[7], dict(preds[7], category_id=1))

    def test_empty_ranges_are_nan_and_no_predictions_zero(self):
        got = coco_oks_ap(fixture_path("ochuman", "test_ochuman.json"), [])
        self.assertEqual(got["AP"], 0.0)
        self.assertTrue(math.isnan(got["APm"]) and math.isnan(got["ARm"]))  # no medium person
        crowd = crowdpose_oks_ap(fixture_path("crowdpose", "test_crowdpose.json"), [])
        self.assertEqual(crowd["APM"], 0.0)
        self.assertTrue(math.isnan(crowd["APE"]) and math.isnan(crowd["APH"]))


if __name__ == "__main__":
    unittest.main()

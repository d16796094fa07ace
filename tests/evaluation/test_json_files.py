"""Results and prediction files: read with the same values as the json module (exact integers,
correctly rounded floats), non-strict JSON (NaN, Infinity, 1e400) still reaches the checks that name the
record, and an evaluation from a file equals the one from the list."""

import json
import os
import tempfile
import unittest

from ljof.evaluation import coco_oks_ap, evaluate_keypoint_predictions
from ljof.evaluation.json_files import read_json, read_json_list
from tests.evaluation.metrics_utils import random_keypoint_set


def _write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


class TestReadJson(unittest.TestCase):
    def test_values_equal_the_json_module(self):
        text = json.dumps(
            [{"id": 2**64 + 1, "x": 0.1 + 0.2, "y": 1e-310, "z": [1.5, -0.0, 123456789.123456789]}]
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = _write(tmp, "a.json", text)
            got = read_json(path)
        self.assertEqual(got, json.loads(text))
        self.assertEqual(got[0]["id"], 2**64 + 1)
        self.assertIsInstance(got[0]["id"], int)

    def test_non_strict_json_is_read_by_the_json_module(self):
        with tempfile.TemporaryDirectory() as tmp:
            got = read_json(_write(tmp, "a.json", '[NaN, Infinity, 1e400, {"a": -Infinity}]'))
        self.assertNotEqual(got[0], got[0])
        self.assertEqual(got[1:], [float("inf"), float("inf"), {"a": float("-inf")}])

    def test_errors_name_the_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = _write(tmp, "a.json", "[1, 2")
            with self.assertRaisesRegex(ValueError, rf"predictions {path}: not valid json"):
                read_json(path, "predictions")
            path = _write(tmp, "b.json", '{"a": 1}')
            with self.assertRaisesRegex(ValueError, rf"results {path}: expected a json list"):
                read_json_list(path, "results")
            with self.assertRaisesRegex(FileNotFoundError, "results .*missing.json does not exist"):
                read_json_list(os.path.join(tmp, "missing.json"), "results")


class TestEvaluationFromFile(unittest.TestCase):
    def test_file_equals_list_and_nan_is_named(self):
        gt, preds = random_keypoint_set(1)
        with tempfile.TemporaryDirectory() as tmp:
            path = _write(tmp, "results.json", json.dumps(preds))
            self.assertEqual(coco_oks_ap(gt, path), coco_oks_ap(gt, preds))
            from_file = evaluate_keypoint_predictions(path, gt, rescore=False, oks_nms_thr=None)
            self.assertEqual(from_file, coco_oks_ap(gt, preds))
            bad = [dict(p) for p in preds]
            bad[4]["keypoints"] = [float("nan")] + bad[4]["keypoints"][1:]
            path = _write(tmp, "nan.json", json.dumps(bad))  # json.dump writes NaN
            with self.assertRaisesRegex(ValueError, rf"{path}, result 4: keypoints or score"):
                coco_oks_ap(gt, path)
            with self.assertRaisesRegex(ValueError, rf"{path}, record 4: keypoints or score"):
                evaluate_keypoint_predictions(path, gt)


if __name__ == "__main__":
    unittest.main()

"""Broken inputs get one error naming the file, the record and what is wrong, before any file is written:
duplicate GT annotation ids, NaN / inf on every prediction path, a keypoint count that is not the
dataset's; GT people with keypoints and area <= 0 get a warning that says what follows and how to fix it."""

import json
import os
import tempfile
import unittest

import numpy as np
import torch
from detectron2.structures import Boxes, Instances

from ljof.data.datasets import register_keypoint_dataset
from ljof.evaluation import (
    OcclusionEvaluator,
    TopDownKeypointEvaluator,
    coco_oks_ap,
    load_keypoint_gt,
)
from tests.common import fixture_path, unique_name
from tests.evaluation.test_protocol import COCO_JSON, gt_predictions


def _gt():
    with open(COCO_JSON) as f:
        return json.load(f)


def _register():
    name = unique_name("broken")
    register_keypoint_dataset(name, COCO_JSON, fixture_path("coco"), keypoint_set="coco")
    return name


def _outputs(preds):
    inputs = [{"image_id": p["image_id"]} for p in preds]
    outputs = [
        {
            "keypoints": torch.as_tensor(np.asarray(p["keypoints"], np.float32).reshape(-1, 3)),
            "bbox_score": p["bbox_score"],
            "bbox_area": p["area"],
        }
        for p in preds
    ]
    return inputs, outputs


class TestGroundTruth(unittest.TestCase):
    def test_duplicate_annotation_ids(self):
        gt = _gt()
        first, second = gt["annotations"][2], gt["annotations"][5]
        second["id"] = first["id"]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "dup.json")
            with open(path, "w") as f:
                json.dump(gt, f)
            with self.assertRaisesRegex(
                ValueError,
                rf"ground truth {path}: annotation id {first['id']} is used twice \(annotations 2 and "
                rf"5 of the list, images {first['image_id']} and {second['image_id']}\)",
            ):
                coco_oks_ap(path, [])

    def test_items_that_are_not_objects(self):
        gt = _gt()
        gt["images"].insert(2, 7)
        with self.assertRaisesRegex(
            ValueError, r"ground truth mine: images\[2\] is not a json object"
        ):
            load_keypoint_gt(gt, "coco", source="mine")

    def test_people_with_keypoints_and_no_area_warn(self):
        gt = _gt()
        ann = next(a for a in gt["annotations"] if a["num_keypoints"] > 0 and not a["iscrowd"])
        ann["area"] = 0
        preds = [dict(p, score=1.0) for p in gt_predictions(COCO_JSON)]
        with self.assertLogs("ljof.evaluation.oks_ap", level="WARNING") as logs:
            got = coco_oks_ap(gt, preds)
        self.assertIn(f"1 person annotations with labelled keypoints have area <= 0 (e.g. "
                      f"annotation {ann['id']}", logs.output[0])  # fmt: skip
        self.assertIn("set each person's area", logs.output[0])
        self.assertLess(got["AP"], 100.0)  # that person is missed, as in pycocotools


class TestEvaluatorPaths(unittest.TestCase):
    def test_nan_joint_is_named_and_nothing_is_written(self):
        preds = gt_predictions(COCO_JSON)
        bad = np.asarray(preds[3]["keypoints"], np.float64).copy()
        bad[7] = np.nan
        preds[3] = dict(preds[3], keypoints=bad)
        inputs, outputs = _outputs(preds)
        for cls in (TopDownKeypointEvaluator, OcclusionEvaluator):
            with self.subTest(evaluator=cls.__name__), tempfile.TemporaryDirectory() as tmp:
                evaluator = cls(_register(), output_dir=tmp, distributed=False)
                evaluator.reset()
                evaluator.process(inputs, outputs)
                with self.assertRaisesRegex(
                    ValueError,
                    rf"predictions on 'broken_\w+', record 3: keypoints or score contain NaN or inf "
                    rf"\(image {preds[3]['image_id']}; 1 such records\)",
                ):
                    evaluator.evaluate()
                self.assertEqual(os.listdir(tmp), [])

    def test_infinite_area_is_named(self):
        preds = gt_predictions(COCO_JSON)
        preds[1] = dict(preds[1], area=float("inf"))
        inputs, outputs = _outputs(preds)
        evaluator = TopDownKeypointEvaluator(_register(), distributed=False)
        evaluator.reset()
        evaluator.process(inputs, outputs)
        with self.assertRaisesRegex(ValueError, r"record 1: area contain NaN or inf"):
            evaluator.evaluate()

    def test_keypoint_count_of_another_set(self):
        preds = gt_predictions(COCO_JSON)[:2]
        inputs, outputs = _outputs(preds)
        outputs[1]["keypoints"] = outputs[1]["keypoints"][:14]  # a CrowdPose-14 head
        for cls in (TopDownKeypointEvaluator, OcclusionEvaluator):
            with self.subTest(evaluator=cls.__name__):
                evaluator = cls(_register(), distributed=False)
                evaluator.reset()
                with self.assertRaisesRegex(
                    ValueError,
                    rf"{cls.__name__} on 'broken_\w+': the output for image {preds[1]['image_id']} "
                    r"has keypoints of shape \(14, 3\), expected \(17, 3\) \(the dataset's coco "
                    r"keypoint set\)",
                ):
                    evaluator.process(inputs, outputs)

    def test_keypoint_count_of_instances(self):
        instances = Instances((480, 640))
        instances.pred_keypoints = torch.zeros(2, 14, 3)
        instances.scores = torch.ones(2)
        instances.pred_boxes = Boxes(torch.tensor([[0.0, 0, 10, 10], [0, 0, 20, 20]]))
        evaluator = TopDownKeypointEvaluator(_register(), distributed=False)
        evaluator.reset()
        with self.assertRaisesRegex(
            ValueError,
            r"pred_keypoints of image 785 have shape \(2, 14, 3\), expected \(N, 17, 3\)",
        ):
            evaluator.process([{"image_id": 785}], [{"instances": instances}])


if __name__ == "__main__":
    unittest.main()

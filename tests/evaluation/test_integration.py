"""End to end with the real top-down model: mapper samples -> TopDownPoseEstimator (oracle heatmaps)
-> TopDownKeypointEvaluator, through both output forms (per instance and merged Instances)."""

import math
import unittest

import numpy as np
import torch

from ljof.data.codecs import UDPHeatmap
from ljof.evaluation import TopDownKeypointEvaluator
from ljof.modeling import merge_instances_by_image
from tests.modeling.oracle import fixture_samples, oracle_heatmaps, oracle_model


def _oracle_outputs(which):
    codec = UDPHeatmap(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0)
    name, _, samples, flip = fixture_samples(which, codec)
    model = oracle_model(codec, flip)
    model.head.heatmaps = oracle_heatmaps(codec, samples)
    with torch.no_grad():
        return name, samples, model(samples)


def _sorted_keypoints(evaluator):
    kpts = np.stack([p["keypoints"] for p in evaluator._predictions])
    return kpts[np.lexsort(kpts.reshape(len(kpts), -1).T[::-1])]


class TestModelToEvaluator(unittest.TestCase):
    def test_oracle_model_scores_one_per_instance_and_per_image(self):
        for which in ("coco", "crowdpose"):
            with self.subTest(which):
                name, samples, outputs = _oracle_outputs(which)
                evaluator = TopDownKeypointEvaluator(name, distributed=False)
                evaluator.process(samples, outputs)
                kpts_a = _sorted_keypoints(evaluator)
                per_instance = evaluator.evaluate()["keypoints"]
                self.assertEqual(per_instance["AP"], 100.0)
                self.assertEqual(per_instance["AR"], 100.0)
                # image-level Instances (pred_keypoints in detectron2's +0.5 convention)
                merged = merge_instances_by_image(samples, outputs)
                evaluator.reset()
                evaluator.process(merged, [{"instances": m["instances"]} for m in merged])
                # both forms give the same pixel-index keypoints: the +0.5 is removed exactly once
                np.testing.assert_allclose(_sorted_keypoints(evaluator), kpts_a, rtol=0, atol=1e-4)
                per_image = evaluator.evaluate()["keypoints"]
                self.assertEqual(per_image["AP"], 100.0)
                self.assertEqual(per_image["AR"], 100.0)
                if which == "crowdpose":
                    self.assertEqual(per_image["APM"], 100.0)
                    self.assertTrue(math.isnan(per_image["APE"]) and math.isnan(per_image["APH"]))


if __name__ == "__main__":
    unittest.main()

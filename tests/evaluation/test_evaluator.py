"""TopDownKeypointEvaluator: per-instance outputs, detectron2 Instances (+0.5), files, the tools."""

import contextlib
import importlib.util
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch
from detectron2.data import DatasetCatalog
from detectron2.structures import Boxes, Instances

from ljof.data.datasets import get_topdown_dataset, register_keypoint_dataset
from ljof.evaluation import TopDownKeypointEvaluator
from tests.common import ROOT, fixture_path, unique_name
from tests.evaluation.test_protocol import ALIGNMENT_TARGET, alignment_predictions


def _register(folder, json_name, keypoint_set="coco"):
    name = unique_name(f"ev_{folder}")
    register_keypoint_dataset(
        name, fixture_path(folder, json_name), fixture_path(folder), keypoint_set=keypoint_set
    )
    return name


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(f"_tool_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _per_instance_outputs(records, predictions):
    """Model-style (inputs, outputs) pairs: one input and one output per person instance."""
    inputs = [{"image_id": r["image_id"]} for r in records]
    outputs = [
        {
            "image_id": p["image_id"],
            "keypoints": torch.as_tensor(np.asarray(p["keypoints"], dtype=np.float32)),
            "bbox_score": p["bbox_score"],
            "bbox_area": p["area"],
        }
        for p in predictions
    ]
    return inputs, outputs


class TestTopDownKeypointEvaluator(unittest.TestCase):
    def test_alignment_case_through_the_evaluator_and_the_tool(self):
        name = _register("coco", "test_coco.json")
        preds = alignment_predictions()
        inputs, outputs = _per_instance_outputs(preds, preds)
        with tempfile.TemporaryDirectory() as tmp:
            evaluator = TopDownKeypointEvaluator(name, output_dir=tmp, distributed=True)
            evaluator.reset()
            for i in range(0, len(inputs), 4):  # a few batches
                evaluator.process(inputs[i : i + 4], outputs[i : i + 4])
            metrics = evaluator.evaluate()["keypoints"]
            for key, target in ALIGNMENT_TARGET.items():
                self.assertAlmostEqual(metrics[key] / 100, target, delta=1e-9, msg=key)
            self.assertEqual(
                sorted(os.listdir(tmp)),
                ["keypoint_metrics.json", "keypoint_predictions.json", "keypoint_results.json"],
            )
            # The written raw predictions, re-scored by the tool, give the same metrics.
            tool = _load_tool("evaluate_keypoints")
            with contextlib.redirect_stdout(io.StringIO()) as out:
                again = tool.main(
                    [
                        "--dataset",
                        name,
                        "--predictions",
                        os.path.join(tmp, "keypoint_predictions.json"),
                    ]
                )
            self.assertEqual(again, metrics)
            self.assertEqual(json.loads(out.getvalue().strip().splitlines()[-1]), metrics)

    def test_instances_outputs_with_detectron2_offset(self):
        # Image dicts carry load_coco_json's +0.5; fed back as Instances.pred_keypoints they must give
        # AP 1 only because the evaluator subtracts 0.5 again (without it, every OKS drops below 1).
        name = _register("crowdpose", "test_crowdpose.json", "crowdpose")
        inputs, outputs = [], []
        for d in DatasetCatalog.get(name):
            annos = [a for a in d["annotations"] if a.get("num_keypoints", 1) > 0]
            kpts = torch.tensor([a["keypoints"] for a in annos], dtype=torch.float64).view(
                len(annos), -1, 3
            )
            inst = Instances((d["height"], d["width"]))
            boxes = torch.tensor([a["bbox"] for a in annos], dtype=torch.float32)
            boxes[:, 2:] += boxes[:, :2]
            inst.pred_boxes = Boxes(boxes)
            inst.scores = torch.ones(len(annos))
            inst.pred_keypoints = kpts.float()
            inst.pred_classes = torch.zeros(len(annos), dtype=torch.int64)
            inputs.append({"image_id": d["image_id"]})
            outputs.append({"instances": inst})
        with tempfile.TemporaryDirectory() as tmp:
            evaluator = TopDownKeypointEvaluator(name, distributed=False, output_dir=tmp)
            evaluator.process(inputs, outputs)
            metrics = evaluator.evaluate()["keypoints"]
            with open(os.path.join(tmp, "keypoint_predictions.json")) as f:
                written = json.load(f)
        self.assertEqual((metrics["AP"], metrics["APM"]), (100.0, 100.0))
        self.assertTrue(math.isnan(metrics["APE"]) and math.isnan(metrics["APH"]))
        # The written predictions are back in the json's pixel-index convention, exactly.
        with open(fixture_path("crowdpose", "test_crowdpose.json")) as f:
            raw = [a for a in json.load(f)["annotations"] if a["num_keypoints"] > 0]
        written_xy = sorted(
            tuple(np.asarray(p["keypoints"]).reshape(-1, 3)[:, :2].ravel()) for p in written
        )
        raw_xy = sorted(
            tuple(np.asarray(a["keypoints"], float).reshape(-1, 3)[:, :2].ravel()) for a in raw
        )
        np.testing.assert_array_equal(np.array(written_xy), np.array(raw_xy))

    def test_records_round_trip_with_gt_keypoints(self):
        # Person records (pixel-index) -> per-instance outputs -> evaluator -> AP 1 on OCHuman.
        name = _register("ochuman", "test_ochuman.json")
        records = get_topdown_dataset(name)
        preds = [
            {
                "image_id": r["image_id"],
                "keypoints": np.concatenate([r["keypoints"][:, :2], r["keypoints"][:, 2:]], axis=1),
                "bbox_score": 1.0,
                "area": r["bbox"][2] * r["bbox"][3] * 1.5625,
            }
            for r in records
        ]
        inputs, outputs = _per_instance_outputs(records, preds)
        evaluator = TopDownKeypointEvaluator(name, distributed=False)
        evaluator.process(inputs, outputs)
        metrics = evaluator.evaluate()["keypoints"]
        self.assertEqual(metrics["AP"], 100.0)
        self.assertEqual(metrics["AR"], 100.0)

    def test_empty_and_bad_outputs(self):
        name = _register("coco", "test_coco.json")
        evaluator = TopDownKeypointEvaluator(name, distributed=False)
        self.assertEqual(evaluator.evaluate()["keypoints"]["AP"], 0.0)
        with self.assertRaisesRegex(ValueError, "neither 'keypoints' nor 'instances'"):
            evaluator.process([{"image_id": 785}], [{"scores": 1}])
        with self.assertRaisesRegex(ValueError, "register it with"):
            TopDownKeypointEvaluator(unique_name("unregistered"))

    def test_unknown_image_id(self):
        name = _register("coco", "test_coco.json")
        evaluator = TopDownKeypointEvaluator(name, distributed=False)
        out = {
            "image_id": 42,
            "keypoints": torch.zeros(17, 3),
            "bbox_score": 1.0,
            "bbox_area": 10.0,
        }
        evaluator.process([{"image_id": 42}], [out])
        with self.assertRaisesRegex(ValueError, "image_id 42 is not an image of the ground truth"):
            evaluator.evaluate()


class TestTools(unittest.TestCase):
    def test_evaluate_keypoints_cli_last_line_is_json(self):
        with tempfile.TemporaryDirectory() as tmp:
            preds = os.path.join(tmp, "preds.json")
            with open(fixture_path("crowdpose", "test_crowdpose.json")) as f:
                anns = json.load(f)["annotations"]
            with open(preds, "w") as f:
                json.dump(
                    [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"],
                      "score": 1.0, "bbox": a["bbox"]} for a in anns],
                    f,
                )  # fmt: skip
            cmd = [
                sys.executable, str(ROOT / "tools" / "evaluate_keypoints.py"),
                "--gt-json", fixture_path("crowdpose", "test_crowdpose.json"),
                "--keypoint-set", "crowdpose", "--predictions", preds,
                "--no-rescore", "--oks-nms-thr", "0", "--output", os.path.join(tmp, "out"),
            ]  # fmt: skip
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
            self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
            metrics = json.loads(proc.stdout.strip().splitlines()[-1], parse_constant=str)
            # No rescoring: ann 131039 (num_keypoints 0, ignored GT) becomes a score-1 prediction with
            # all keypoints (0, 0, 0). crowdposetools keeps it (xtcocotools dropped it and said 100):
            # it matches nothing, a false positive ranked 4th of the 5 tied detections, so the
            # precision is 1, 1, 1, 3/4, 4/5 and AP = (76 x 1 + 25 x 0.8) / 101 recall points.
            self.assertAlmostEqual(metrics["AP"], 100 * (76 + 25 * 0.8) / 101, delta=1e-9)
            self.assertEqual(metrics["AR"], 100.0)
            self.assertEqual((metrics["APE"], metrics["APH"]), ("NaN", "NaN"))  # json's NaN
            self.assertTrue(os.path.isfile(os.path.join(tmp, "out", "keypoint_metrics.json")))
            # detectron2's copypaste lines (print_csv_format), percent with 4 decimals
            lines = [
                ln.split("copypaste: ")[1] for ln in proc.stdout.splitlines() if "copypaste: " in ln
            ]
            self.assertEqual(
                lines,
                ["Task: keypoints", "AP,AP50,AP75,AR,AR50,AR75,APE,APM,APH",
                 "95.0495,95.0495,95.0495,100.0000,100.0000,100.0000,nan,95.0495,nan"],
            )  # fmt: skip
            with open(os.path.join(tmp, "out", "keypoint_metrics.json")) as f:
                self.assertEqual(json.load(f, parse_constant=str), metrics)

    def test_visualize_dataset(self):
        tool = _load_tool("visualize_dataset")
        name = unique_name("vis")
        spec = f"{name}={fixture_path('ochuman', 'test_ochuman.json')}:{fixture_path('ochuman')}"
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
            summary = tool.main(["--register", spec, "--dataset", name, "--output", tmp,
                                 "--num-images", "2", "--scale", "0.25"])  # fmt: skip
            files = sorted(os.listdir(tmp))
        self.assertEqual(summary["images"], 2)
        self.assertEqual(summary["instances"], 3)  # 003799.jpg: 1 person, 000817.jpg: 2
        self.assertEqual(files, ["000817.png", "003799.png"])


if __name__ == "__main__":
    unittest.main()

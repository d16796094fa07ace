"""Smoke run of benchmarks/bench_evaluation.py on a few images: it runs, ljof's statistics equal the
reference tools' on the same results, and it ends with its JSON line (speed targets live in the
benchmark, not here)."""

import json
import subprocess
import sys
import unittest

from tests.common import ROOT


class TestBenchEvaluationSmoke(unittest.TestCase):
    def test_small_run_prints_figures(self):
        cmd = [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_evaluation.py"),
            "--num-images", "60", "--crowdpose-images", "40", "--repeats", "1", "--stages",
            "--reference-repeats", "2", "--from-file-rounds", "2",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        self.assertEqual(figures["coco"]["num_images"], 60)
        self.assertEqual(figures["crowdpose"]["num_images"], 40)
        for row in (figures["coco"], figures["crowdpose"]):
            self.assertGreater(row["num_predictions"], 600)
            # near-duplicate poses exist, so OKS-NMS removes some but not all
            self.assertLess(row["num_scored"], row["num_predictions"])
            self.assertGreater(row["num_scored"], row["num_gt"])
            self.assertLess(row["max_abs_diff"], 1e-9)  # percent; the same statistics
            self.assertGreater(row["AP"], 50.0)
            self.assertGreater(row["ljof_s"], 0.0)
            self.assertGreater(row["evaluator_s"], 0.0)
            self.assertGreater(row["reference_s"], 0.0)
            self.assertEqual(len(row["reference_runs_s"]), 2)
            self.assertEqual(len(row["evaluator_runs_s"]), 2)  # --repeats 1 before each reference run
            self.assertEqual(len(row["speedup_runs"]), 2)
            self.assertGreater(row["evaluator_first_s"], 0.0)
            steps = row["stages_s"]
            self.assertEqual(
                set(steps),
                {"gt_parse_and_checks", "prediction_parsing", "rescoring", "oks_nms",
                 "apply_protocol", "oks_ap"},
            )  # fmt: skip
            self.assertTrue(all(v >= 0.0 for v in steps.values()))
        # the whole evaluation from a results file, every tool with pycocotools' statistics
        from_file = figures["coco"]["from_file"]
        for name in ("ljof", "pycocotools", "hotcoco"):
            self.assertEqual(len(from_file[name]["runs_s"]), 2)
            self.assertLess(from_file[name]["max_abs_diff"], 1e-9)
        for name in ("faster-coco-eval", "ultrafast-pycocotools"):  # benchmark-only, when installed
            if name in from_file:
                self.assertLess(from_file[name]["max_abs_diff"], 1e-9)
        self.assertEqual(len(from_file["ratio_pycocotools_over_ljof_runs"]), 2)
        self.assertGreater(from_file["ratio_ljof_over_hotcoco"], 0.0)
        self.assertNotIn("from_file", figures["crowdpose"])


if __name__ == "__main__":
    unittest.main()

"""Smoke run of benchmarks/bench_evaluation.py on 50 images: it runs and ends with its JSON line."""

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
            "--num-images",
            "50",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        self.assertEqual(figures["num_images"], 50)
        self.assertGreater(figures["num_predictions"], 500)
        # near-duplicate poses exist, so OKS-NMS removes some but not all
        self.assertLess(figures["num_after_nms"], figures["num_predictions"])
        self.assertGreater(figures["num_after_nms"], figures["num_gt"])
        for key in ("protocol_s", "eval_s", "eval_raw_s", "protocol_over_eval"):
            self.assertGreater(figures[key], 0.0, key)
        # rescoring + NMS ranks the near-duplicates below the best copy: AP improves over raw
        self.assertGreater(figures["AP"], figures["AP_raw"])


if __name__ == "__main__":
    unittest.main()

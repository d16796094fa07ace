"""The reduced main job (``tools/run_main_job.py --quick``): generate a small dataset, train the baseline
and LJOF side by side with the real training script and configs, score them on the clean and the
occluded split, compare them with paired bootstrap intervals, draw the robustness curve and the figures.
Both models must learn, the intervals must bracket the differences, ``summary.png`` must be written,
and the same command must give the same numbers again."""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.common import ROOT

METRICS = ("AP", "AP50", "AP75", "AR", "AP_visible", "AP_occluded")


def _run(output, *extra):
    cmd = [sys.executable, os.path.join(ROOT, "tools", "run_main_job.py"), "--output", output,
           "--quick", "--resamples", "1000", *extra]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=1200)
    log = proc.stdout[-4000:] + proc.stderr[-4000:]
    if proc.returncode != 0:
        raise AssertionError(log)
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stdout


class TestMainJobQuick(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ljof_main_job_")
        cls.out = os.path.join(cls.tmp, "first")
        cls.figures, cls.stdout = _run(cls.out)
        with open(os.path.join(cls.out, "results.json")) as f:
            cls.results = json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_both_models_learn(self):
        f = self.figures
        print(
            f"quick main job: baseline AP val/occluded {f['val/baseline/AP']}/"
            f"{f['occluded/baseline/AP']}, LJOF {f['val/ljof/AP']}/{f['occluded/ljof/AP']} "
            f"(percent); {f['wall_s']} s"
        )
        # an untrained network scores 0.0 AP on these splits (random heatmaps)
        for variant in ("baseline", "ljof"):
            self.assertGreater(f[f"occluded/{variant}/AP"], 2.0)
            self.assertGreater(f[f"occluded/{variant}/AP50"], 10.0)
            self.assertGreater(f[f"val/{variant}/AP"], 2.0)

    def test_paired_intervals(self):
        for split in ("val", "occluded"):
            for m in METRICS:
                d = self.results["differences"][split]["ljof/seed0"][m]
                a = self.results["scores"][split]["baseline/seed0"][m]
                b = self.results["scores"][split]["ljof/seed0"][m]
                self.assertAlmostEqual(d["delta"], b - a, places=6, msg=f"{split} {m}")
                if not math.isnan(d["lower"]):
                    self.assertLessEqual(d["lower"], d["delta"] + 1e-9, f"{split} {m}")
                    self.assertGreaterEqual(d["upper"], d["delta"] - 1e-9, f"{split} {m}")
                self.assertEqual(self.figures[f"{split}/d{m}_delta"], round(d["delta"], 2))
        self.assertIn("[95% CI]", self.stdout)
        # the robustness curve: one paired interval per alpha, alpha 0 = no block
        curve = self.results["robustness"]["differences"]
        self.assertEqual([p["alpha"] for p in curve], [0.0, 0.25, 0.5, 0.75, 1.0])
        occluded = self.results["robustness"]["curves"]["baseline"]
        self.assertEqual(occluded[0]["occluded_joints"], 0)
        self.assertGreater(occluded[-1]["occluded_joints"], occluded[1]["occluded_joints"])

    def test_figures_written(self):
        for name in ("summary.png", "lja_samples.png", "predictions.png", "lambda_schedule.png",
                     "loss_curves.png"):  # fmt: skip
            path = os.path.join(self.out, name)
            self.assertTrue(os.path.exists(path) and os.path.getsize(path) > 1000, name)
        for key in ("wall_s", "cpu_s", "peak_rss_mb"):
            self.assertGreater(self.figures[key], 0)

    def test_same_command_same_numbers(self):
        """A second run (LJOF only, same seeds, the first run's data) reproduces LJOF's scores."""
        out = os.path.join(self.tmp, "second")
        data = os.path.join(self.out, "data")
        figures, _ = _run(out, "--variants", "ljof", "--no-robustness", "--data-root", data)
        for split in ("val", "occluded"):
            for m in METRICS:
                key = f"{split}/ljof/{m}"
                self.assertEqual(figures[key], self.figures[key], key)
        with open(os.path.join(out, "results.json")) as f:
            again = json.load(f)["scores"]
        for split in ("val", "occluded"):
            self.assertEqual(
                again[split]["ljof/seed0"], self.results["scores"][split]["ljof/seed0"]
            )


if __name__ == "__main__":
    unittest.main()

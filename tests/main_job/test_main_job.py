"""The reduced main job (``tools/run_main_job.py --quick``): generate a small dataset, train the LJOF
model (LJA + DSL) with the real training script and config, evaluate it on the generated occluded split.
Its AP must be clearly above the untrained model's, and the plots must be written."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

from tests.common import ROOT


class TestMainJobQuick(unittest.TestCase):
    def test_quick_main_job_learns(self):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [
                sys.executable,
                os.path.join(ROOT, "tools", "run_main_job.py"),
                "--output",
                tmp,
                "--quick",
                "--variants",
                "ljof",
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
            log = proc.stdout[-4000:] + proc.stderr[-4000:]
            self.assertEqual(proc.returncode, 0, log)
            figures = json.loads(proc.stdout.strip().splitlines()[-1])
            print(
                f"quick main job: LJOF AP {figures['ljof_AP']:.1f} (AP50 {figures['ljof_AP50']:.1f}), "
                f"untrained AP {figures['untrained_AP']:.1f} (percent); {figures['wall_s']} s"
            )
            self.assertGreater(figures["ljof_AP"], figures["untrained_AP"] + 2.0, log)  # percent
            self.assertGreater(figures["ljof_AP50"], figures["untrained_AP50"] + 10.0, log)
            for name in (
                "lja_samples.png",
                "predictions.png",
                "lambda_schedule.png",
                "loss_curves.png",
            ):
                path = os.path.join(tmp, name)
                self.assertTrue(os.path.getsize(path) > 1000, f"{name} missing or empty")
            self.assertTrue(os.path.exists(os.path.join(tmp, "ljof", "model_final.pth")))

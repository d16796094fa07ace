"""The training-length study (``tools/run_main_job.py --study``) at test size (the width-8 network, a
few iterations of 4 crops on a tiny generated dataset): every run keeps a ``result.json`` and every
variant run a ``paired.json``; a rerun trains nothing and reports the same; a run whose result is gone
is trained again, alone; a kept result of other settings is refused; the report rebuilds from the JSON
files alone, after every model and prediction is deleted."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from ljof.synthetic import generate_dataset
from tests.common import ROOT

ARGS = (
    "--study",
    "--quick",
    "--study-iters",
    "2",
    "4",
    "--train-seeds",
    "0",
    "--batch-size",
    "4",
    "--resamples",
    "20",
    "--jobs",
    "2",
)
# baseline and LJOF at 2 and 4 iterations with seed 0, + LJA only at 4 (the report's statistics over
# seeds: test_study_report.py)
RUNS = 2 * 2 + 1


def _run(*args, check=True):
    cmd = [sys.executable, os.path.join(ROOT, "tools", "run_main_job.py"), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout[-4000:] + proc.stderr[-4000:])
    last = proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 else "{}"
    return proc, json.loads(last)


def _mean_figures(figures):
    return {k: v for k, v in figures.items() if k.startswith("iters") or k == "converged_iters"}


class TestStudy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ljof_study_")
        cls.data = os.path.join(cls.tmp, "data")
        generate_dataset(cls.data, sizes=dict(train=6, val=3, occluded=3), seed=0, workers=1)
        cls.out = os.path.join(cls.tmp, "study")
        cls.common = (*ARGS, "--output", cls.out, "--data-root", cls.data)
        _, cls.first = _run(*cls.common)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def _results(self):
        return sorted(glob.glob(os.path.join(self.out, "iters*", "*", "seed*", "result.json")))

    def test_1_first_run_keeps_every_result(self):
        f = self.first
        self.assertEqual((f["runs"], f["trained"], f["reused"], f["paired"]), (RUNS, RUNS, 0, 3))
        self.assertEqual(len(self._results()), RUNS)
        with open(os.path.join(self.out, "iters4", "ljof", "seed0", "result.json")) as fh:
            r = json.load(fh)
        self.assertEqual(
            (r["spec"]["iters"], r["spec"]["seed"], r["spec"]["batch_size"]), (4, 0, 4)
        )
        self.assertEqual(set(r["scores"]), {"val", "occluded"})
        self.assertIn("AP_occluded", r["scores"]["val"])
        self.assertGreater(r["train_s"], 0)
        self.assertEqual(f["iters4/ljof/seeds"], 1)
        self.assertNotIn("iters2/lja/seeds", f)
        self.assertEqual(f["iters4/lja/seeds"], 1)
        for name in ("study.md", "study.png", "study.json"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, name)), name)

    def test_2_rerun_reuses_and_resumes(self):
        mtimes = {p: os.path.getmtime(p) for p in self._results()}
        _, again = _run(*self.common)
        self.assertEqual((again["trained"], again["reused"], again["paired"]), (0, RUNS, 0))
        self.assertEqual(_mean_figures(again), _mean_figures(self.first))
        self.assertEqual({p: os.path.getmtime(p) for p in self._results()}, mtimes)
        # an interrupted run (no result kept) is trained again, alone, with the same numbers
        lost = os.path.join(self.out, "iters4", "ljof", "seed0", "result.json")
        with open(lost) as fh:
            before = json.load(fh)
        os.remove(lost)
        os.remove(os.path.join(os.path.dirname(lost), "paired.json"))
        _, resumed = _run(*self.common)
        self.assertEqual(
            (resumed["trained"], resumed["reused"], resumed["paired"]), (1, RUNS - 1, 1)
        )
        self.assertEqual(_mean_figures(resumed), _mean_figures(self.first))
        with open(lost) as fh:
            after = json.load(fh)
        # the same training again (the tiny runs score 0 AP: the last logged loss is the check)
        self.assertEqual(after["spec"], before["spec"])
        self.assertGreater(after["final_losses"]["loss_limb"], 0.0)
        self.assertEqual(after["final_losses"], before["final_losses"])
        self.assertEqual(after["scores"], before["scores"])

    def test_3_other_settings_refused(self):
        proc, _ = _run(*self.common, "--batch-size", "2", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("result.json: kept result of other settings", proc.stderr)

    def test_4_report_from_json_alone(self):
        with open(os.path.join(self.out, "study.md")) as fh:
            table = fh.read()
        kept = os.path.join(self.tmp, "kept")
        for path in glob.glob(os.path.join(self.out, "iters*", "*", "seed*", "*.json")):
            if os.path.basename(path) in ("result.json", "paired.json"):
                target = os.path.join(kept, os.path.relpath(path, self.out))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(path, target)
        proc, report = _run("--study", "--report-only", "--output", kept)
        with open(os.path.join(kept, "study.md")) as fh:
            self.assertEqual(fh.read(), table)
        self.assertEqual(_mean_figures(report), _mean_figures(self.first))
        self.assertGreater(os.path.getsize(os.path.join(kept, "study.png")), 20000)


if __name__ == "__main__":
    unittest.main()

"""The training-length study's report is rebuilt from its JSON files alone: seed statistics and the
paired differences over seeds are the textbook ones, convergence is read off the baseline's doubling
gain, and the table and the figure are written."""

import json
import math
import os
import tempfile
import unittest

from scipy import stats

from ljof.main_job.study import PAIRED_FILE, RESULT_FILE, write_json
from ljof.main_job.study_report import (
    format_limb_drift,
    format_per_joint,
    format_runs,
    format_study,
    load_study,
    summarize_study,
    write_study_report,
)

METRICS = ("AP", "AP_occluded", "AP50", "AP75")
LABELS = {"baseline": "baseline", "ljof": "+LJA + DSL (LJOF)", "lja": "+LJA"}


def _scores(value):
    scores = {
        s: {m: value + (0.0 if s == "val" else -20.0) + i for i, m in enumerate(METRICS)}
        for s in ("val", "occluded")
    }
    scores["val"]["LR_ankle"] = value / 10.0
    return scores


def _per_joint(value):
    """Mean similarity per joint: nose ``value`` (no occluded nose), left ankle ``value - 1`` visible
    and ``value - 2`` occluded, on both splits."""
    joints = {"nose": {"visible": value, "occluded": None},
              "left_ankle": {"visible": value - 1.0, "occluded": value - 2.0}}  # fmt: skip
    return {s: joints for s in ("val", "occluded")}


def _drift(value):
    """Median drift: wrists toward the elbow ``value`` (visible) and ``2 value`` (occluded)."""
    row = {"wrist->elbow": {"visible": value, "occluded": 2.0 * value}}
    return {s: row for s in ("val", "occluded")}


def _write_study(folder):
    """Baseline and LJOF at 4 and 8 iterations, seeds 0-2, LJA at 8; clean-val AP of the baseline
    50 + seed at 4 iterations and 50.5 + seed at 8 (gain 0.5: converged at 8); LJOF = baseline + seed
    + length / 4 (differences 1, 2, 3 at 4 and 2, 3, 4 at 8)."""
    for iters in (4, 8):
        for seed in (0, 1, 2):
            base = 50.0 + seed + (0.5 if iters == 8 else 0.0)
            for name, value in (("baseline", base), ("ljof", base + seed + iters / 4)) + (
                (("lja", base - 1.0),) if iters == 8 else ()
            ):
                folder_run = os.path.join(folder, f"iters{iters}", name, f"seed{seed}")
                os.makedirs(folder_run)
                spec = dict(
                    variant=name,
                    label=LABELS[name],
                    config=f"{name}.py",
                    overrides=[],
                    seed=seed,
                    iters=iters,
                    batch_size=2,
                    extra_overrides=[],
                    data={},
                )
                key = f"iters{iters}/{name}/seed{seed}"
                write_json(
                    os.path.join(folder_run, RESULT_FILE),
                    dict(
                        format=1,
                        key=key,
                        spec=spec,
                        epochs=iters * 2 / 8.0,
                        scores=_scores(value),
                        **({"per_joint": _per_joint(value)} if iters == 8 else {}),
                        **({"limb_drift": _drift(value - base)} if iters == 8 else {}),
                    ),
                )
                if name != "baseline":
                    d = {
                        "delta": value - base,
                        "lower": value - base - 1,
                        "upper": value - base + 1,
                    }
                    diffs = {s: {m: d for m in METRICS} for s in ("val", "occluded")}
                    write_json(
                        os.path.join(folder_run, PAIRED_FILE),
                        dict(
                            format=1,
                            run=key,
                            baseline=f"iters{iters}/baseline/seed{seed}",
                            resamples=10,
                            seed=0,
                            differences=diffs,
                        ),
                    )


class TestStudyReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        _write_study(cls.tmp.name)
        cls.summary = summarize_study(*load_study(cls.tmp.name))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_seed_statistics(self):
        first, last = self.summary["lengths"]
        self.assertEqual((first["iters"], first["epochs"], last["epochs"]), (4, 1.0, 2.0))
        base = last["variants"]["baseline"]["scores"]["val"]["AP"]
        self.assertEqual((base["n"], base["mean"], base["std"]), (3, 51.5, 1.0))
        occluded = last["variants"]["baseline"]["scores"]["occluded"]["AP75"]
        self.assertAlmostEqual(occluded["mean"], 51.5 - 20.0 + 3)
        self.assertEqual(list(last["variants"]), ["baseline", "lja", "ljof"])
        self.assertNotIn("lja", first["variants"])

    def test_differences_over_seeds(self):
        d = self.summary["lengths"][1]["variants"]["ljof"]["differences"]["occluded"]["AP"]
        half = stats.t.ppf(0.975, df=2) * 1.0 / math.sqrt(3)  # differences 2, 3, 4: std 1
        self.assertEqual((d["n"], d["mean"]), (3, 3.0))
        self.assertAlmostEqual(d["lower"], 3.0 - half)
        self.assertAlmostEqual(d["upper"], 3.0 + half)
        lja = self.summary["lengths"][1]["variants"]["lja"]["differences"]["val"]["AP"]
        self.assertEqual((lja["mean"], lja["std"]), (-1.0, 0.0))
        per_seed = self.summary["lengths"][0]["variants"]["ljof"]["per_seed"]
        self.assertEqual([per_seed[s]["val"]["AP"]["delta"] for s in (0, 1, 2)], [1.0, 2.0, 3.0])

    def test_convergence(self):
        gains = [e["baseline_gain"] for e in self.summary["lengths"]]
        self.assertEqual(gains, [None, 0.5])
        self.assertEqual(self.summary["converged_iters"], 8)

    def test_table_and_figure(self):
        text = format_study(self.summary)
        self.assertIn("| 8 | 2.0 | occluded | +LJA + DSL (LJOF) | 3 | 34.5 ± 2.0 |", text)
        self.assertIn("+3.0 [" + f"{3.0 - stats.t.ppf(0.975, 2) / math.sqrt(3):+.1f}", text)
        self.assertIn("| 4 | +LJA + DSL (LJOF) | 2 | +3.0 [+2.0, +4.0] |", text)
        self.assertIn("converged (gain < 1) at: 8", text)
        with tempfile.TemporaryDirectory() as out:
            _write_study(out)
            summary = write_study_report(out)
            for name in ("study.md", "study.json"):
                self.assertGreater(os.path.getsize(os.path.join(out, name)), 500, name)
            self.assertGreater(os.path.getsize(os.path.join(out, "study.png")), 20000)
            with open(os.path.join(out, "study.json")) as f:
                self.assertEqual(json.load(f)["converged_iters"], summary["converged_iters"])

    def test_runs_table(self):
        text = format_runs(load_study(self.tmp.name)[0])
        self.assertIn("| iters | variant | seed 0: AP / LR_ankle | seed 1: AP / LR_ankle |", text)
        # baseline at 8: AP 50.5 + seed, LR_ankle a tenth of it; LJA = baseline - 1
        self.assertIn("| 8 | baseline | 50.5 / 5.0 | 51.5 / 5.2 | 52.5 / 5.2 |", text)
        self.assertIn("| 8 | +LJA | 49.5 / 5.0 |", text)
        self.assertEqual(text.count("\n"), 1 + 5)  # header rule + 2 + 3 rows

    def test_limb_drift_table(self):
        results = load_study(self.tmp.name)[0]
        self.assertEqual(format_limb_drift(results, 4), "")  # none kept at 4 iterations
        lines = format_limb_drift(results, 8).split("\n")
        self.assertEqual(len(lines), 3)
        self.assertTrue(lines[0].startswith("| joint->neighbour | baseline val visible | "))
        # baseline 0; LJA -1; LJOF seed + 2 (mean 3): occluded joints twice that
        self.assertEqual(
            lines[2],
            "| wrist->elbow | +0.0 | +0.0 | +0.0 | -1.0 | -1.0 | -2.0 | +3.0 | +3.0 | +6.0 |",
        )

    def test_per_joint_table(self):
        results = load_study(self.tmp.name)[0]
        self.assertEqual(format_per_joint(results, 4), "")  # no per_joint kept at 4 iterations
        text = format_per_joint(results, 8)
        lines = text.split("\n")
        self.assertEqual(
            lines[0],
            "| joint | baseline val visible | baseline occluded visible | baseline occluded occluded "
            "| +LJA Δ val visible | +LJA Δ occluded visible | +LJA Δ occluded occluded "
            "| +LJA + DSL (LJOF) Δ val visible | +LJA + DSL (LJOF) Δ occluded visible "
            "| +LJA + DSL (LJOF) Δ occluded occluded |",
        )
        # baseline nose: mean of 50.5, 51.5, 52.5; LJA -1 everywhere; LJOF + (seed + 2): mean +3
        self.assertEqual(
            lines[2], "| nose | 51.5 | 51.5 | n/a | -1.0 | -1.0 | n/a | +3.0 | +3.0 | n/a |"
        )
        self.assertEqual(
            lines[3],
            "| left_ankle | 50.5 | 50.5 | 49.5 | -1.0 | -1.0 | -1.0 | +3.0 | +3.0 | +3.0 |",
        )

    def test_empty_folder(self):
        with tempfile.TemporaryDirectory() as out:
            with self.assertRaisesRegex(FileNotFoundError, "nothing trained yet"):
                load_study(out)


if __name__ == "__main__":
    unittest.main()

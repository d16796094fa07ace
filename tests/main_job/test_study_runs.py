"""The study's runs (lengths ascending, LJA only at the longest, a folder per length), the spec a kept
result must match, the variant names ``--variants`` accepts, and the tool's option checks."""

import contextlib
import importlib.util
import io
import os
import unittest

from ljof.main_job import variants
from ljof.main_job.job import registered_variants
from ljof.main_job.study import StudyRun, run_spec, study_runs

from ljof.main_job.training import TrainingSettings, recipe_digest
from ljof.main_job.variants import BASELINE, LJA_ONLY, LJOF, Run, Variant
from tests.common import ROOT


def _tool():
    spec = importlib.util.spec_from_file_location(
        "run_main_job", os.path.join(ROOT, "tools", "run_main_job.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestStudyRuns(unittest.TestCase):
    def test_order_and_longest_only(self):
        runs = study_runs([BASELINE, LJOF], [1000, 500], [0, 1], longest_only=(LJA_ONLY,))
        self.assertEqual(
            [r.key for r in runs],
            ["iters500/baseline/seed0", "iters500/ljof/seed0", "iters500/baseline/seed1",
             "iters500/ljof/seed1", "iters1000/baseline/seed0", "iters1000/ljof/seed0",
             "iters1000/lja/seed0", "iters1000/baseline/seed1", "iters1000/ljof/seed1",
             "iters1000/lja/seed1"],
        )  # fmt: skip
        r = runs[-1]
        self.assertEqual(r.output_dir("/o"), os.path.join("/o", "iters1000", "lja", "seed1"))
        self.assertEqual(r.baseline().key, "iters1000/baseline/seed1")
        # a longest-only variant already among the variants is not added twice
        self.assertEqual(len(study_runs([BASELINE, LJA_ONLY], [10], [0], (LJA_ONLY,))), 2)

    def test_spec(self):
        settings = TrainingSettings(root=ROOT, data_root="/d", iters=1, batch_size=8,
                                    test_datasets=["a"], extra_overrides=["x=1"])  # fmt: skip
        spec = run_spec(StudyRun(Run(LJOF, 2), 300), settings, {"seed": 0})
        self.assertEqual(
            (spec["variant"], spec["seed"], spec["iters"], spec["batch_size"], spec["data"]),
            ("ljof", 2, 300, 8, {"seed": 0}),
        )
        self.assertEqual(spec["extra_overrides"], ["x=1"])
        self.assertEqual(settings.replace(iters=7).iters, 7)
        self.assertEqual(settings.replace(iters=7).batch_size, 8)

    def test_recipe_digest_follows_the_config(self):
        settings = TrainingSettings(root=ROOT, data_root="/d", iters=300, batch_size=8,
                                    test_datasets=["ljof_synth_val"])  # fmt: skip
        digest = recipe_digest(ROOT, Run(LJOF, 2), settings)
        self.assertRegex(digest, "^[0-9a-f]{64}$")
        self.assertEqual(digest, recipe_digest(ROOT, Run(LJOF, 2), settings))
        # another recipe (an override of every run), another variant: another digest
        lr = settings.replace(extra_overrides=["optimizer.lr=0.001"])
        self.assertNotEqual(digest, recipe_digest(ROOT, Run(LJOF, 2), lr))
        self.assertNotEqual(digest, recipe_digest(ROOT, Run(BASELINE, 2), settings))
        spec = run_spec(StudyRun(Run(LJOF, 2), 300), settings, {"seed": 0}, digest)
        self.assertEqual(spec["recipe"], digest)


class TestOptions(unittest.TestCase):
    def test_registered_variants_are_the_registry(self):
        self.assertEqual(set(registered_variants()), set(variants.VARIANTS_BY_NAME))
        self.assertEqual({"baseline", "lja", "ljof"} - set(registered_variants()), set())
        extra = Variant("probe_variant", "probe", "ljof.py", ("train.seed=1",))
        variants.VARIANTS_BY_NAME["probe_variant"] = extra
        try:
            self.assertIs(registered_variants()["probe_variant"], extra)
            args = _tool().parse_args(["--variants", "probe_variant", "baseline"])
            self.assertEqual(args.variants, ["probe_variant", "baseline"])
        finally:
            del variants.VARIANTS_BY_NAME["probe_variant"]
        self.assertNotIn("probe_variant", registered_variants())

    def test_study_option_checks(self):
        tool = _tool()
        args = tool.parse_args(["--study", "--study-iters", "500", "1000", "--jobs", "2"])
        self.assertEqual((args.study, args.study_iters, args.jobs), (True, [500, 1000], 2))
        for bad in (["--study-iters", "500"], ["--report-only"], ["--study", "--iters", "5"],
                    ["--study", "--ablation"], ["--study", "--study-iters", "0"],
                    ["--longest-only"], ["--study", "--longest-only", "nope"],
                    ["--override", "optimizer.lr=("]):  # fmt: skip
            with self.assertRaises(SystemExit, msg=bad), contextlib.redirect_stderr(io.StringIO()):
                tool.parse_args(bad)

    def test_override_and_longest_only(self):
        tool = _tool()
        args = tool.parse_args(["--study", "--longest-only", "--override", "optimizer.lr=0.001"])
        self.assertEqual((args.longest_only, args.override), ([], ["optimizer.lr=0.001"]))
        args = tool.parse_args(["--study", "--longest-only", "sa_step", "lja"])
        self.assertEqual(args.longest_only, ["sa_step", "lja"])
        args = tool.parse_args(["--study"])
        self.assertEqual((args.longest_only, args.override), (None, []))  # None: the default, LJA


if __name__ == "__main__":
    unittest.main()

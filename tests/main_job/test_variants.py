"""The main job's variants load as configs with their overrides, the seed statistics are the textbook
ones, and the summary figure is drawn from differences with intervals."""

import math
import os
import tempfile
import unittest

import ljof  # noqa: F401  (compat shims before detectron2)
import numpy as np
import torch
from detectron2.config import LazyConfig, instantiate
from detectron2.utils.events import EventStorage

from ljof.data.datasets.builtin_meta import COCO_JOINT_WEIGHTS
from ljof.main_job.comparison import seed_statistics
from ljof.main_job.figures import plot_summary
from ljof.main_job.training import TrainingSettings
from ljof.main_job.variants import (
    ABLATION_VARIANTS,
    BASELINE_JOINT_WEIGHTS,
    BASELINE_NO_HALF_BODY,
    DSL_ONLY,
    LJOF_NORMALIZED,
    OCCLUSION_VARIANTS,
    TABLE9_VARIANTS,
    VARIANTS_BY_NAME,
    Run,
    alpha_beta_variant,
    lambda_max_variant,
    parse_alpha_beta,
    runs_of,
    schedule_variant,
    unique,
)
from tests.common import ROOT
from tests.configs.fixture_data import point_config_at_fixtures


def _load(variant):
    cfg = LazyConfig.load(variant.config_path(ROOT))
    return LazyConfig.apply_overrides(cfg, list(variant.overrides))


class TestVariants(unittest.TestCase):
    def test_table6_variants(self):
        base, lja, ljof_ = (_load(v) for v in ABLATION_VARIANTS)
        self.assertIsNone(base.dataloader.train.mapper.get("lja"))
        self.assertEqual(lja.dataloader.train.mapper.lja.alpha, 0.15)
        self.assertEqual(ljof_.dataloader.train.mapper.lja.beta, 0.2)
        # +LJA keeps the plain heatmap loss; LJOF swaps in the DSL and its λ schedule
        self.assertEqual(type(instantiate(lja.model.loss)).__name__, "KeypointMSELoss")
        self.assertEqual(type(instantiate(ljof_.model.loss)).__name__, "DynamicStructureLoss")
        self.assertFalse(lja.train.get("hooks"))
        self.assertIsNotNone(ljof_.model.loss.get("lambda_schedule"))

    def test_table9_variants(self):
        mse, sa_constant, sa_step, dsl = (_load(v) for v in TABLE9_VARIANTS)
        for cfg in (mse, sa_constant, sa_step, dsl):  # every Table 9 row trains with LJA
            self.assertEqual(cfg.dataloader.train.mapper.lja.alpha, 0.15)
        self.assertEqual(type(instantiate(mse.model.loss)).__name__, "KeypointMSELoss")
        for cfg, kind in ((sa_constant, "constant"), (sa_step, "step")):
            self.assertEqual(type(instantiate(cfg.model.loss)).__name__, "StructureAwareLoss")
            schedule = instantiate(cfg.model.loss.lambda_schedule)
            self.assertEqual(schedule.kind, kind)
            self.assertFalse(cfg.train.get("hooks"))
        self.assertEqual((instantiate(sa_constant.model.loss.lambda_schedule)(0.0)), 1.0)
        self.assertEqual((instantiate(sa_step.model.loss.lambda_schedule)(0.0)), 0.0)

    def test_occlusion_variants_take_ljas_place(self):
        base, lja, coarse, hole, kpt = (_load(v) for v in OCCLUSION_VARIANTS)
        kinds = [
            type(instantiate(c.dataloader.train.mapper.lja)).__name__
            for c in (lja, coarse, hole, kpt)
        ]
        self.assertEqual(
            kinds,
            ["LimbJointAugmentation", "CoarseDropout", "CoarseDropout", "KeypointCentredDropout"],
        )
        self.assertEqual(instantiate(coarse.dataloader.train.mapper.lja).num_holes, (1, 8))
        self.assertEqual(instantiate(hole.dataloader.train.mapper.lja).num_holes, (1, 1))
        for cfg in (coarse, hole, kpt):
            self.assertEqual(type(instantiate(cfg.model.loss)).__name__, "KeypointMSELoss")
            self.assertFalse(cfg.train.get("hooks"))
        self.assertEqual(
            set(VARIANTS_BY_NAME),
            {
                v.name
                for v in (
                    *ABLATION_VARIANTS,
                    *TABLE9_VARIANTS,
                    *OCCLUSION_VARIANTS,
                    LJOF_NORMALIZED,
                    BASELINE_NO_HALF_BODY,
                    DSL_ONLY,
                    BASELINE_JOINT_WEIGHTS,
                )
            },
        )

    def test_baseline_without_half_body(self):
        cfg = _load(BASELINE_NO_HALF_BODY)
        augs = instantiate(cfg.dataloader.train.mapper).augmentations.augs
        half = [a for a in augs if type(a).__name__ == "RandomHalfBody"]
        self.assertEqual([a.prob for a in half], [0.0])
        base = instantiate(_load(VARIANTS_BY_NAME["baseline"]).dataloader.train.mapper)
        probs = [a.prob for a in base.augmentations.augs if type(a).__name__ == "RandomHalfBody"]
        self.assertEqual(probs, [0.3])  # MMPose's default in the main job's baseline

    def test_baseline_with_joint_weights(self):
        """COCO's joint weights scale each training sample's target weights; the rest is the baseline's."""
        cfg, base = _load(BASELINE_JOINT_WEIGHTS), _load(VARIANTS_BY_NAME["baseline"])
        for c in (cfg, base):
            point_config_at_fixtures(c, batch_size=2)
        np.random.seed(0)
        weighted = next(iter(instantiate(cfg.dataloader.train)))
        np.random.seed(0)
        plain = next(iter(instantiate(base.dataloader.train)))
        jw = torch.tensor(COCO_JOINT_WEIGHTS)
        self.assertEqual(jw[[9, 10, 15, 16]].tolist(), [1.5] * 4)
        for a, b in zip(weighted, plain):
            torch.testing.assert_close(a["heatmaps"][0], b["heatmaps"][0], rtol=0, atol=0)
            torch.testing.assert_close(
                a["target_weights"][0], b["target_weights"][0] * jw, rtol=0, atol=0
            )
        self.assertEqual(instantiate(cfg.model.loss).__class__, instantiate(base.model.loss).__class__)

    def test_dsl_only(self):
        """+DSL: the LJOF loss with the baseline's data (no LJA)."""
        cfg, full = _load(DSL_ONLY), _load(VARIANTS_BY_NAME["ljof"])
        self.assertEqual(type(instantiate(cfg.model.loss)).__name__, "DynamicStructureLoss")
        self.assertEqual(cfg.model.loss, full.model.loss)
        self.assertIsNone(instantiate(cfg.dataloader.train.mapper).lja)
        self.assertIsNotNone(instantiate(full.dataloader.train.mapper).lja)

    def test_normalised_ljof(self):
        loss = instantiate(_load(LJOF_NORMALIZED).model.loss)
        self.assertTrue(loss.normalize_maps)
        self.assertFalse(instantiate(_load(VARIANTS_BY_NAME["ljof"]).model.loss).normalize_maps)
        # rows of the limb matrix scaled by 1/sqrt(joints in the map): each row's squares sum to 1
        self.assertEqual(
            sorted(set((loss.structure_matrix**2).sum(1).round(decimals=5).tolist())), [1.0]
        )

    def test_one_batch_of_every_variant_reaches_the_loss(self):
        """Each named variant's data (fixture images through its mapper, occlusion included) and model
        (width 8) give its loss terms, finite, with λ = 1 where there is a structure term."""
        expected = {"KeypointMSELoss": {"loss_heatmap"},
                    "DynamicStructureLoss": {"loss_heatmap", "loss_limb"},
                    "StructureAwareLoss": {"loss_heatmap", "loss_structure"}}  # fmt: skip
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        self.addCleanup(torch.set_num_threads, threads)
        for name, variant in VARIANTS_BY_NAME.items():
            with self.subTest(variant=name):
                cfg = _load(variant)
                point_config_at_fixtures(cfg, batch_size=2)
                cfg.model.backbone.update(width=8, stem_channels=16)
                np.random.seed(0)
                batch = next(iter(instantiate(cfg.dataloader.train)))
                self.assertEqual(tuple(batch[0]["image"].shape), (3, 128, 96))
                torch.manual_seed(0)
                model = instantiate(cfg.model).train()
                # the last iteration: a scheduled λ is past its step there
                with EventStorage(cfg.train.max_iter - 1), torch.no_grad():
                    losses = model(batch)
                self.assertEqual(set(losses), expected[type(model.loss).__name__])
                self.assertTrue(all(torch.isfinite(v) and v > 0 for v in losses.values()), losses)

    def test_schedule_and_alpha_beta_overrides(self):
        cfg = _load(schedule_variant("exponential"))
        self.assertEqual(instantiate(cfg.model.loss.lambda_schedule).kind, "exponential")
        cfg = _load(lambda_max_variant(0.1))
        schedule = instantiate(cfg.model.loss.lambda_schedule)
        self.assertEqual((schedule(0.0), schedule(0.9)), (0.0, 0.1))  # step at a third, to 0.1
        cfg = _load(alpha_beta_variant(0.3, 0.1))
        self.assertEqual(
            (cfg.dataloader.train.mapper.lja.alpha, cfg.dataloader.train.mapper.lja.beta),
            (0.3, 0.1),
        )
        self.assertEqual(alpha_beta_variant(0.3, 0.1).name, "ljof_a0.3_b0.1")
        self.assertEqual(parse_alpha_beta("0.15:0.2"), (0.15, 0.2))
        for bad in ("0.15", "a:b", "0:0.2", "0.2:1.5"):
            with self.assertRaisesRegex(ValueError, "--alpha-beta"):
                parse_alpha_beta(bad)

    def test_runs_and_command(self):
        variants = unique([*ABLATION_VARIANTS, ABLATION_VARIANTS[2]])
        runs = runs_of(variants, [0, 1])
        self.assertEqual([r.key for r in runs][:4], ["baseline/seed0", "lja/seed0", "ljof/seed0",
                                                       "baseline/seed1"])  # fmt: skip
        settings = TrainingSettings(root=ROOT, data_root="/data", iters=7, batch_size=4,
                                    test_datasets=["a", "b"], extra_overrides=["x=1"])  # fmt: skip
        cmd = settings.command(Run(variants[2], 3), "/out")
        for part in ("train.seed=3", "train.max_iter=7", "train.eval_period=7",
                     'dataloader.test_datasets=["a","b"]', "x=1"):  # fmt: skip
            self.assertIn(part, cmd)
        self.assertEqual(settings.environment()["OMP_NUM_THREADS"], "1")


class TestSeedStatistics(unittest.TestCase):
    def test_student_t_interval(self):
        s = seed_statistics([1.0, 2.0, 3.0])
        half = 4.302652729911275 / math.sqrt(3)  # t(0.975, df=2) * std / sqrt(n), std = 1
        self.assertEqual((s["n"], s["mean"], s["std"]), (3, 2.0, 1.0))
        self.assertAlmostEqual(s["lower"], 2.0 - half, places=9)
        self.assertAlmostEqual(s["upper"], 2.0 + half, places=9)

    def test_nan_values_and_single_seed(self):
        s = seed_statistics([float("nan"), 5.0])
        self.assertEqual((s["n"], s["mean"]), (1, 5.0))
        self.assertTrue(math.isnan(s["std"]) and math.isnan(s["lower"]))


class TestTables(unittest.TestCase):
    def test_seed_differences_table(self):
        from ljof.main_job.report import format_seed_differences

        d = {"delta": 1.25, "lower": -0.5, "upper": 2.5}
        nan = {"delta": float("nan"), "lower": float("nan"), "upper": float("nan")}
        diffs = {"val": {"ljof/seed0": {"AP": d}, "ljof/seed1": {"AP": nan}},
                 "occluded": {"ljof/seed0": {"AP": d}, "ljof/seed1": {"AP": d}}}  # fmt: skip
        text = format_seed_differences(diffs, ("AP",), {"ljof": "LJOF"})
        self.assertEqual(
            text.splitlines()[2:],
            [
                "| LJOF | 0 | +1.2 [-0.5, +2.5] | +1.2 [-0.5, +2.5] |",
                "| LJOF | 1 | n/a | +1.2 [-0.5, +2.5] |",
            ],  # fmt: skip
        )


class TestSummaryFigure(unittest.TestCase):
    def test_writes_png(self):
        d = {"delta": 1.0, "lower": -0.5, "upper": 2.5}
        nan = {"delta": float("nan"), "lower": float("nan"), "upper": float("nan")}
        diffs = {"val": {"AP": d, "AP_occluded": nan}, "occluded": {"AP": d}}
        curves = {"baseline": [{"alpha": 0.0, "AP": 50.0}, {"alpha": 0.5, "AP": 40.0}],
                  "LJOF": [{"alpha": 0.0, "AP": 51.0}, {"alpha": 0.5, "AP": 43.0}]}  # fmt: skip
        curve_diffs = [dict(alpha=0.0, **d), dict(alpha=0.5, **d)]
        with tempfile.TemporaryDirectory() as tmp:
            path = plot_summary(diffs, curves, curve_diffs, os.path.join(tmp, "summary.png"))
            self.assertGreater(os.path.getsize(path), 10000)


if __name__ == "__main__":
    unittest.main()

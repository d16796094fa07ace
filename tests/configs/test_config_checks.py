"""ljof.config: overrides must name an existing key (or say +key to add one), --config-file resolves or
names the nearest config, --eval-only names its checkpoint, and the datasets' keypoint counts match the
model's; each mistake is one line (InputError)."""

import os
import tempfile
import unittest

from detectron2.config import LazyConfig

from ljof.config import (
    apply_overrides,
    check_eval_checkpoint,
    check_keypoint_counts,
    check_overrides,
    list_config_files,
    resolve_config_file,
)
from ljof.errors import InputError
from ljof.main_job.variants import (
    ABLATION_VARIANTS,
    alpha_beta_variant,
    lambda_max_variant,
    schedule_variant,
)
from ljof.model_zoo import get_config
from tests.common import ROOT, register_fixture

CONFIG = "hrnet_w32_coco_256x192.py"


def _one_line(test, cm):
    test.assertNotIn("\n", str(cm.exception))


class TestOverrides(unittest.TestCase):
    def setUp(self):
        self.cfg = get_config(CONFIG)

    def _refused(self, override, *pieces):
        with self.assertRaises(InputError) as cm:
            check_overrides(self.cfg, [override])
        _one_line(self, cm)
        for piece in pieces:
            self.assertIn(piece, str(cm.exception))
        return str(cm.exception)

    def test_typos_name_the_key_and_the_closest_one(self):
        self._refused("train.max_itr=2", "no key train.max_itr", "did you mean train.max_iter?")
        self._refused("trian.max_iter=2", "no key trian", "did you mean train.max_iter?")
        self._refused(
            "dataloader.train.total_batchsize=4", "did you mean dataloader.train.total_batch_size?"
        )
        # the way to add a key on purpose is in the message, and it works
        self._refused("train.my_note=1", "write +train.my_note=1")
        cfg = apply_overrides(self.cfg, ["+train.my_note=1", "++train.other=2"])
        self.assertEqual((cfg.train.my_note, cfg.train.other), (1, 2))
        self._refused("+train.max_iter=3", "already has train.max_iter", "'train.max_iter=3'")

    def test_existing_keys_and_named_arguments_of_a_target_are_applied(self):
        cfg = apply_overrides(
            self.cfg,
            [
                "train.max_iter=7",
                "dataloader.train.mapper.lja=null",
                # not in the config, but a parameter of TopDownDatasetMapper: its default is overridden
                "dataloader.train.mapper.reduced_decoding=true",
                "model.backbone.num_modules=[1,1,1]",
            ],
        )
        self.assertEqual(cfg.train.max_iter, 7)
        self.assertIsNone(cfg.dataloader.train.mapper.lja)
        self.assertIs(cfg.dataloader.train.mapper.reduced_decoding, True)
        self.assertEqual(list(cfg.model.backbone.num_modules), [1, 1, 1])
        # a name that is no parameter of the target is a typo
        self._refused(
            "dataloader.train.mapper.reduced_decodng=true", "did you mean", "reduced_decoding"
        )

    def test_none_is_the_string_none(self):
        self._refused(
            "dataloader.train.mapper.lja=None", "string 'None'", "dataloader.train.mapper.lja=null"
        )
        self._refused("train.max_iter=None", "train.max_iter=null")
        cfg = apply_overrides(self.cfg, ["train.output_dir=None"])  # a string key may hold 'None'
        self.assertEqual(cfg.train.output_dir, "None")

    def test_unparsable_and_deleting_overrides(self):
        self._refused("train.max_iter", "cannot parse", "key=value")
        self._refused("~train.max_iter", "not supported")

    def test_the_main_jobs_overrides_pass(self):
        """Every override the main job's trainings and variants pass (ljof.main_job) names a real key."""
        for variant in [
            *ABLATION_VARIANTS,
            schedule_variant("exponential"),
            lambda_max_variant(0.1),
            alpha_beta_variant(0.3, 0.1),
        ]:
            cfg = LazyConfig.load(variant.config_path(ROOT))
            check_overrides(
                cfg,
                [
                    *variant.overrides,
                    "train.output_dir=out",
                    "train.max_iter=2",
                    "train.seed=0",
                    "train.eval_period=2",
                    "dataloader.train.total_batch_size=4",
                    "dataloader.test_datasets=[a,b]",
                    "model.backbone.width=8",
                    "model.backbone.stem_channels=16",
                ],
            )


class TestConfigFile(unittest.TestCase):
    def test_files_and_names_under_configs_resolve(self):
        path = os.path.join(str(ROOT), "configs", CONFIG)
        self.assertEqual(resolve_config_file(path), path)
        self.assertTrue(os.path.samefile(resolve_config_file(CONFIG), path))
        self.assertIn(CONFIG, list_config_files())
        self.assertIn(os.path.join("main_job", "ljof.py"), list_config_files())
        self.assertFalse([c for c in list_config_files() if c.startswith("common")])

    def _refused(self, path, *pieces):
        with self.assertRaises(InputError) as cm:
            resolve_config_file(path)
        _one_line(self, cm)
        for piece in (path, *pieces):
            self.assertIn(piece, str(cm.exception))

    def test_typo_yaml_and_model_zoo_names(self):
        self._refused(
            "configs/hrnet_w32_coco_256x129.py",
            "is not a file",
            "nearest LJOF config is configs/hrnet_w32_coco_256x192.py",
        )
        self._refused(
            "configs/ljof_hrnet_w32_crowdpose_256x192.yaml",
            "configs/ljof_hrnet_w32_crowdpose_256x192.py",
        )
        self._refused("COCO-Keypoints/keypoint_rcnn_R_50_FPN_3x.yaml", "model-zoo")
        with tempfile.TemporaryDirectory() as tmp:
            yacs = os.path.join(tmp, "hrnet.yaml")
            with open(yacs, "w") as f:
                f.write("MODEL:\n  META_ARCHITECTURE: GeneralizedRCNN\n")
            self._refused(yacs, "yacs")
            saved = os.path.join(
                tmp, "config.yaml"
            )  # what a training writes: loads as a LazyConfig
            LazyConfig.save(get_config("main_job/baseline.py"), saved)
            self.assertEqual(resolve_config_file(saved), saved)
            text = os.path.join(tmp, "notes.txt")
            open(text, "w").close()
            self._refused(text, "not a LazyConfig")


class TestEvalOnlyCheckpoint(unittest.TestCase):
    def test_the_configs_initialization_is_not_evaluated(self):
        cfg = get_config(CONFIG)
        with self.assertRaises(InputError) as cm:
            check_eval_checkpoint(cfg, ["train.device=cpu"], config_file=CONFIG)
        _one_line(self, cm)
        for piece in ("--eval-only", cfg.train.init_checkpoint, "train.init_checkpoint=output/"):
            self.assertIn(piece, str(cm.exception))
        check_eval_checkpoint(cfg, ["train.init_checkpoint=model.pth"])  # named: fine
        check_eval_checkpoint(get_config("main_job/baseline.py"), [])  # no init weights: fine


class TestKeypointCounts(unittest.TestCase):
    def test_crowdpose_data_under_a_coco_config(self):
        crowd, coco = register_fixture("crowdpose"), register_fixture("coco")
        cfg = get_config(CONFIG)
        check_keypoint_counts(cfg, [coco])
        with self.assertRaises(InputError) as cm:
            check_keypoint_counts(cfg, [coco, crowd])
        _one_line(self, cm)
        for piece in (f"'{crowd}'", "14 (crowdpose)", "17 (coco)", "model.head.num_keypoints"):
            self.assertIn(piece, str(cm.exception))
        check_keypoint_counts(get_config("hrnet_w32_crowdpose_256x192.py"), [crowd])


if __name__ == "__main__":
    unittest.main()

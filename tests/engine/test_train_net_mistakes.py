"""tools/lazyconfig_train_net.py refuses a mistaken command line before any step, in one line: override
typos, a bad --config-file, --eval-only without its checkpoint, CrowdPose-14 data under a COCO-17 config."""

import os
import subprocess
import sys
import unittest

from ljof.errors import InputError
from tests.common import ROOT, fixture_path, unique_name
from tests.engine.train_net_helpers import config_path, train_net_module

CONFIG = config_path("hrnet_w32_coco_256x192.py")


class TestTrainNetMistakes(unittest.TestCase):
    def setUp(self):
        self.tool = train_net_module()

    def _refused(self, argv, *pieces):
        args = self.tool.build_parser().parse_args(argv)
        with self.assertRaises(InputError) as cm:
            self.tool.load_config(args)
        self.assertNotIn("\n", str(cm.exception))
        for piece in pieces:
            self.assertIn(piece, str(cm.exception))

    def test_override_typos_and_config_file(self):
        self._refused(["--config-file", CONFIG, "train.max_itr=2"], "did you mean train.max_iter?")
        self._refused(["--config-file", CONFIG, "trian.max_iter=2"], "did you mean train.max_iter?")
        self._refused(
            ["--config-file", "configs/hrnet_w32_coco_256x129.py"],
            "configs/hrnet_w32_coco_256x129.py is not a file",
            "configs/hrnet_w32_coco_256x192.py",
        )
        args = self.tool.build_parser().parse_args(["--config-file", "hrnet_w32_coco_256x192.py"])
        cfg = self.tool.load_config(args)  # a name under configs/ resolves, as ljof.model_zoo
        self.assertTrue(os.path.samefile(args.config_file, CONFIG))
        self.assertEqual(cfg.model.head.num_keypoints, 17)

    def test_every_shipped_config_passes_the_checks(self):
        """No false alarm: each config of configs/ loads with its own datasets (train and eval-only)."""
        from ljof.config import list_config_files

        for name in list_config_files():
            for mode in ([], ["--eval-only", "train.init_checkpoint=model.pth"]):
                with self.subTest(config=name, mode=mode):
                    args = self.tool.build_parser().parse_args(["--config-file", name, *mode])
                    self.tool.load_config(args)

    def test_eval_only_needs_the_checkpoint_to_evaluate(self):
        self._refused(
            ["--config-file", CONFIG, "--eval-only"], "--eval-only", "train.init_checkpoint="
        )
        args = self.tool.build_parser().parse_args(
            ["--config-file", CONFIG, "--eval-only", "train.init_checkpoint=model.pth"]
        )
        self.assertEqual(self.tool.load_config(args).train.init_checkpoint, "model.pth")

    def test_crowdpose_data_under_a_coco_config_is_refused_before_any_step(self):
        name = unique_name("fx_crowd")
        spec = (
            f"{name}={fixture_path('crowdpose', 'test_crowdpose.json')}:"
            f"{fixture_path('crowdpose')}:crowdpose"
        )
        for mode in ([], ["--eval-only", "train.init_checkpoint=model.pth"]):
            self._refused(
                ["--config-file", CONFIG, "--register", spec, *mode],
                f"dataset '{name}' has 14 (crowdpose) keypoints",
                "17 (coco)",
            )

    def test_command_line_prints_one_line_and_exits_2(self):
        """The real entry point: no traceback, argparse's exit status and 'error:' line."""
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
        run = subprocess.run(
            [sys.executable, os.path.join(str(ROOT), "tools", "lazyconfig_train_net.py"),
             "--config-file", CONFIG, "train.max_itr=2"],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertNotIn("Traceback", run.stderr)
        last = run.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith("lazyconfig_train_net.py: error: 'train.max_itr=2'"), last)
        self.assertIn("did you mean train.max_iter?", last)


if __name__ == "__main__":
    unittest.main()

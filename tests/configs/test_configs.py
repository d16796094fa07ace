"""Every file under configs/ loads; every leaf instantiates its model and data loaders on CPU, and one
training batch from the fixtures goes through the model's loss (data and model configs agree)."""

import glob
import os
import unittest

import torch
from detectron2.config import LazyConfig, instantiate
from detectron2.utils.events import EventStorage
from omegaconf import OmegaConf

from ljof.data import CoarseDropout, KeypointCentredDropout, LimbJointAugmentation
from ljof.modeling import DynamicStructureLoss, KeypointMSELoss, StructureAwareLoss
from tests.common import ROOT
from tests.configs.fixture_data import point_config_at_fixtures, shrink_model

CONFIG_DIR = os.path.join(str(ROOT), "configs")
ALL_FILES = sorted(glob.glob(os.path.join(CONFIG_DIR, "**", "*.py"), recursive=True))
# leaf configs of this package (configs/common/ are building blocks; configs/main_job/ has its own tests)
LEAVES = [
    f
    for f in ALL_FILES
    if os.sep + "common" + os.sep not in f and os.sep + "main_job" + os.sep not in f
]


def _rel(path):
    return os.path.relpath(path, CONFIG_DIR)


class TestConfigsLoad(unittest.TestCase):
    def test_every_file_loads(self):
        self.assertGreaterEqual(len(LEAVES), 35)
        for path in ALL_FILES:
            with self.subTest(config=_rel(path)):
                cfg = LazyConfig.load(path)
                if path in LEAVES:
                    self.assertIn("model", cfg)

    def test_every_leaf_is_complete_and_names_its_table_row(self):
        for path in LEAVES:
            with self.subTest(config=_rel(path)):
                cfg = LazyConfig.load(path)
                for key in ("model", "dataloader", "optimizer", "lr_multiplier", "train"):
                    self.assertIn(key, cfg)
                with open(path) as f:
                    self.assertIn(
                        "Table", f.read().split('"""')[1], "header must name the paper table row"
                    )
                name = os.path.basename(path)
                ljof = "ljof" in name
                self.assertIs(cfg.model.loss._target_, _expected_loss(name))
                # λ(t) is scheduled by the loss itself (detectron2's stock tool runs no hooks): DSL
                # always, Ke et al.'s loss in its step row; the plain MSE has no λ
                scheduled = ljof or "structure_aware_step" in name
                self.assertEqual(cfg.model.loss.get("lambda_schedule") is not None, scheduled)
                self.assertEqual(cfg.train.hooks, [])
                if cfg.model.loss._target_ is KeypointMSELoss:
                    self.assertEqual(cfg.train.hooks, [])
                occlusion = cfg.dataloader.train.mapper.lja
                expected = _expected_occlusion(name, ljof)
                self.assertEqual(None if occlusion is None else occlusion._target_, expected)
                crowd = "crowdpose" in os.path.basename(path)
                self.assertEqual(cfg.model.head.num_keypoints, 14 if crowd else 17)
                self.assertTrue(cfg.train.init_checkpoint.startswith("https://"))
                self.assertGreater(cfg.train.max_iter, 10000)


LOSS_KEYS = {
    KeypointMSELoss: {"loss_heatmap"},
    DynamicStructureLoss: {"loss_heatmap", "loss_limb"},
    StructureAwareLoss: {"loss_heatmap", "loss_structure"},
}


def _expected_loss(name):
    if "ljof" in name:
        return DynamicStructureLoss
    return StructureAwareLoss if "structure_aware" in name else KeypointMSELoss


def _expected_occlusion(name, ljof):
    """The crop-space augmentation a leaf's name announces (``mapper.lja``'s target), or None."""
    if ljof or "_lja" in name:
        return LimbJointAugmentation
    for part, cls in (
        ("coarsedropout", CoarseDropout),
        ("rtmpose_hole", CoarseDropout),
        ("keypoint_dropout", KeypointCentredDropout),
    ):
        if part in name:
            return cls
    return None


class TestConfigsPrecision(unittest.TestCase):
    def test_float32_on_cuda_and_auto_on_the_cpu(self):
        """Every config trains in float32 on CUDA, the paper's precision (MMPose's defaults), which is
        also what detectron2's stock tool accepts on a CPU (its AMPTrainer asserts CUDA); the CPU path
        keeps cpu_dtype "auto" (bfloat16 only where the CPU has it natively)."""
        for path in ALL_FILES:
            cfg = LazyConfig.load(path)
            if "train" not in cfg:
                continue
            with self.subTest(config=_rel(path)):
                self.assertIs(cfg.train.amp.enabled, False)
                self.assertEqual(cfg.train.amp.cpu_dtype, "auto")
                self.assertEqual(cfg.train.amp.eval_dtype, "float32")


class TestConfigFactsOnce(unittest.TestCase):
    """The evaluator and the test mapper follow the loaders (``${...}``, as detectron2's
    ``configs/common/data/coco.py``); LJA and DSL follow the training dataset's metadata."""

    def test_evaluator_and_test_mapper_follow_the_loaders(self):
        for path in LEAVES + sorted(glob.glob(os.path.join(CONFIG_DIR, "main_job", "*.py"))):
            with self.subTest(config=_rel(path)):
                cfg = LazyConfig.load(path)
                self.assertEqual(
                    cfg.dataloader.evaluator.dataset_name, cfg.dataloader.test.dataset.names
                )
                cfg.dataloader.test.dataset.names = "another_test_set"
                self.assertEqual(cfg.dataloader.evaluator.dataset_name, "another_test_set")
                cfg.dataloader.train.mapper.image_format = "RGB"
                self.assertEqual(cfg.dataloader.test.mapper.image_format, "RGB")
                self.assertEqual(
                    OmegaConf.to_container(cfg.dataloader.test.mapper.codecs, resolve=True),
                    OmegaConf.to_container(cfg.dataloader.train.mapper.codecs, resolve=True),
                )

    def test_lja_and_dsl_follow_the_training_dataset(self):
        from ljof.data import get_keypoint_set_metadata
        from ljof.data.lja import limb_joint_ids_from_metadata
        from ljof.modeling import limb_structure_matrix

        from ljof.modeling import skeleton_edges_from_metadata, skeleton_structure_matrix

        checked = 0
        for path in LEAVES + [os.path.join(CONFIG_DIR, "main_job", "ljof.py")]:
            cfg = LazyConfig.load(path)
            lja_cfg = cfg.dataloader.train.mapper.lja
            if lja_cfg is None or lja_cfg._target_ is not LimbJointAugmentation:
                continue  # no LJA (the occlusion baselines take no keypoint set)
            with self.subTest(config=_rel(path)):
                crowd = "crowdpose" in os.path.basename(path)
                for keypoint_set, train_name in (
                    ("crowdpose" if crowd else "coco", None),  # the config's own dataset
                    ("coco" if crowd else "crowdpose", "ljof_coco_2017_train" if crowd else
                     "ljof_crowdpose_trainval"),  # another one: the limb joints follow it
                ):  # fmt: skip
                    if train_name is not None:
                        cfg.dataloader.train.dataset.names = train_name
                    meta = get_keypoint_set_metadata(keypoint_set)
                    lja = instantiate(cfg.dataloader.train.mapper.lja)
                    self.assertEqual(
                        lja.limb_joint_ids.tolist(), list(limb_joint_ids_from_metadata(meta))
                    )
                    if cfg.model.loss._target_ is DynamicStructureLoss:
                        cfg.model.head.num_keypoints = len(meta["keypoint_names"])
                        loss = instantiate(cfg.model.loss)
                        expected = limb_structure_matrix(
                            meta["keypoint_limb_chains"], len(meta["keypoint_names"])
                        )
                        self.assertTrue(torch.equal(loss.structure_matrix, expected))
                    if cfg.model.loss._target_ is StructureAwareLoss:
                        cfg.model.head.num_keypoints = len(meta["keypoint_names"])
                        loss = instantiate(cfg.model.loss)
                        expected = skeleton_structure_matrix(
                            skeleton_edges_from_metadata(meta), len(meta["keypoint_names"])
                        )
                        self.assertTrue(torch.equal(loss.structure_matrix, expected))
                checked += 1
        self.assertGreaterEqual(checked, 15)


# published parameter counts (official HRNet repository lib/models/pose_hrnet.py, MMPose model configs),
# with the head of the config's keypoint set
PUBLISHED_PARAMS = {
    ("hrnet_w32", 17): 28536113,
    ("hrnet_w32", 14): 28536014,
    ("hrnet_w48", 17): 63595745,
    ("hrnet_w48", 14): 63595598,
    ("simplebaseline_r152", 17): 68635473,
    ("simplebaseline_r152", 14): 68634702,
    ("vitpose_b", 17): 89994513,
}


def _family(path):
    name = os.path.basename(path)
    if name == "ljof_hrnet.py":  # the documented alias of ljof_hrnet_w32_coco_256x192.py
        return "hrnet_w32"
    for fam in ("srpose_hrnet_w32", "hrnet_w32", "hrnet_w48", "simplebaseline_r152", "vitpose_b"):
        if fam in name:
            return fam
    raise AssertionError(f"unknown model family in {name}")


class TestConfigsInstantiate(unittest.TestCase):
    """Building a big backbone takes seconds (ViT-B about 7 s here): each distinct backbone config is
    built once and reused; heads, losses and codecs are built from every leaf. One torch thread: two
    oversubscribe a shared 2-core machine."""

    def setUp(self):
        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)

    def tearDown(self):
        torch.set_num_threads(self._threads)

    def test_leaves_instantiate_and_one_batch_reaches_the_loss(self):
        backbones, checked = {}, set()
        for path in LEAVES:
            with self.subTest(config=_rel(path)):
                cfg = LazyConfig.load(path)
                point_config_at_fixtures(cfg, batch_size=2)
                OmegaConf.resolve(cfg)  # the head reads the backbone's size before it is swapped
                key = str(cfg.model.backbone)
                if key not in backbones:
                    backbones[key] = instantiate(cfg.model.backbone)
                cfg.model.backbone = backbones[key]
                model = instantiate(cfg.model)
                k = cfg.model.head.num_keypoints
                n_params = sum(p.numel() for p in model.parameters())
                if (_family(path), k) in PUBLISHED_PARAMS:
                    self.assertEqual(n_params, PUBLISHED_PARAMS[(_family(path), k)])
                batch = next(iter(instantiate(cfg.dataloader.train)))
                self.assertEqual(len(batch), 2)
                self.assertEqual(tuple(batch[0]["image"].shape), (3, 256, 192))
                self.assertEqual(batch[0]["heatmaps"][0].shape[0], k)
                test_batch = next(iter(instantiate(cfg.dataloader.test)))
                self.assertEqual(len(test_batch), 2)
                evaluator = instantiate(cfg.dataloader.evaluator)
                self.assertTrue(hasattr(evaluator, "process"))
                # one training forward per (family, keypoint set, loss type), on a reduced network of
                # the family (same output resolutions): the data config's targets fit the model's
                # ... and per occlusion baseline (LJA's α/β grid shares one), so each reaches the loss
                occlusion = cfg.dataloader.train.mapper.lja
                if occlusion is not None:
                    lja = occlusion._target_ is LimbJointAugmentation
                    occlusion = LimbJointAugmentation if lja else str(occlusion)
                sig = (_family(path), k, cfg.model.loss._target_, occlusion)
                if sig in checked:
                    continue
                checked.add(sig)
                small = LazyConfig.load(path)
                shrink_model(small)
                torch.manual_seed(0)
                model = instantiate(small.model).train()
                with EventStorage(), torch.no_grad():
                    losses = model(batch)
                expected = LOSS_KEYS[cfg.model.loss._target_]
                self.assertEqual(set(losses), expected)
                self.assertTrue(all(torch.isfinite(v) for v in losses.values()), losses)

    def test_ljof_changes_nothing_at_inference(self):
        """Parameter count, state-dict tensors and FLOPs of the inference model: baseline == +LJOF."""
        from fvcore.nn import FlopCountAnalysis

        pairs = [
            ("hrnet_w32_coco_256x192.py", "ljof_hrnet_w32_coco_256x192.py"),
            ("srpose_hrnet_w32_coco_256x192.py", "ljof_srpose_hrnet_w32_coco_256x192.py"),
        ]
        expected_params = {
            "hrnet_w32_coco_256x192.py": 28536113,
            "hrnet_w32_crowdpose_256x192.py": 28536014,
        }
        for base_file, ljof_file in pairs:
            with self.subTest(pair=base_file):
                models = []
                for name in (base_file, ljof_file):
                    torch.manual_seed(0)
                    models.append(
                        instantiate(LazyConfig.load(os.path.join(CONFIG_DIR, name)).model).eval()
                    )
                base, ljof = models
                n_base = sum(p.numel() for p in base.parameters())
                self.assertEqual(n_base, sum(p.numel() for p in ljof.parameters()))
                if base_file in expected_params:
                    self.assertEqual(n_base, expected_params[base_file])
                sd_base, sd_ljof = base.state_dict(), ljof.state_dict()
                self.assertEqual(list(sd_base), list(sd_ljof))
                for k in sd_base:
                    self.assertEqual(sd_base[k].shape, sd_ljof[k].shape, k)
                if base_file != "hrnet_w32_coco_256x192.py":
                    continue  # fvcore tracing of a full network takes long on CPU: once is enough
                image = torch.rand(1, 3, 256, 192)
                flops = []
                for m in models:
                    m.flip_test = False  # the flip pass doubles both counts alike
                    counter = FlopCountAnalysis(_Heatmaps(m), image)
                    counter.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
                    flops.append(counter.total())
                self.assertGreater(flops[0], 7e9)  # fvcore counts one multiply-add as one flop
                self.assertEqual(flops[0], flops[1])


class _Heatmaps(torch.nn.Module):
    """The inference computation of a TopDownPoseEstimator on normalised crops (flip test included)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        return self.model.predict_heatmaps(images)[-1]


if __name__ == "__main__":
    unittest.main()

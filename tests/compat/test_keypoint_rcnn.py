"""Proves the detectron2 install is whole: a model-zoo LazyConfig Keypoint R-CNN trains on the real COCO
fixture images, registered with detectron2's own ``register_coco_instances``."""

import unittest

import torch

import ljof  # noqa: F401  (compat shims before detectron2)
from detectron2 import model_zoo
from detectron2.config import instantiate
from detectron2.data import (
    DatasetCatalog,
    DatasetMapper,
    MetadataCatalog,
    build_detection_train_loader,
)
from detectron2.data import transforms as T
from detectron2.data.datasets import register_coco_instances
from detectron2.data.detection_utils import create_keypoint_hflip_indices
from detectron2.engine import SimpleTrainer
from ljof.data.datasets import get_keypoint_set_metadata
from tests.common import fixture_path, unique_name


class TestKeypointRCNNTrains(unittest.TestCase):
    def test_two_iterations_on_coco_fixture(self):
        torch.manual_seed(0)
        name = unique_name("d2_coco_fixture")
        register_coco_instances(
            name, {}, fixture_path("coco", "test_coco.json"), fixture_path("coco")
        )
        meta = get_keypoint_set_metadata("coco")
        MetadataCatalog.get(name).set(
            keypoint_names=meta["keypoint_names"], keypoint_flip_map=meta["keypoint_flip_map"]
        )
        dicts = DatasetCatalog.get(name)
        self.assertEqual(len(dicts), 4)
        # detectron2's loader adds 0.5 to every labeled keypoint (its continuous-coordinate convention).
        self.assertTrue(any(len(d["annotations"]) for d in dicts))

        cfg = model_zoo.get_config("common/models/keypoint_rcnn_fpn.py")
        cfg.model.backbone.bottom_up.freeze_at = 2
        cfg.model.proposal_generator.post_nms_topk = (64, 64)
        cfg.model.roi_heads.batch_size_per_image = 32
        model = instantiate(cfg.model)
        model.train()

        mapper = DatasetMapper(
            is_train=True,
            augmentations=[T.ResizeShortestEdge(short_edge_length=256, max_size=384)],
            image_format="BGR",
            use_keypoint=True,
            keypoint_hflip_indices=create_keypoint_hflip_indices([name]),
        )
        loader = build_detection_train_loader(
            dataset=dicts, mapper=mapper, total_batch_size=2, num_workers=0
        )
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
        trainer = SimpleTrainer(model, loader, optimizer)
        trainer.train(0, 2)
        self.assertEqual(trainer.iter, 2)  # detectron2 leaves iter one past the last step
        losses = trainer.storage.latest()
        for key in ("loss_keypoint", "loss_cls", "loss_box_reg", "loss_rpn_cls"):
            self.assertIn(key, losses)
            self.assertTrue(torch.isfinite(torch.tensor(losses[key][0])), (key, losses[key]))


if __name__ == "__main__":
    unittest.main()

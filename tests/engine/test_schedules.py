"""Epoch-based LR schedule helpers and optimizer helpers."""

import unittest

import torch
from torch import nn

from ljof.engine.optim import build_optimizer, vit_layer_decay_param_groups, vit_layer_id
from ljof.engine.schedules import epoch_lr_multiplier, epochs_to_iters, iters_per_epoch


class TestEpochSchedule(unittest.TestCase):
    def test_iters_per_epoch(self):
        self.assertEqual(iters_per_epoch(149813, 512), 293)  # 292.6 -> 293
        self.assertEqual(iters_per_epoch(149813, 256), 586)
        self.assertEqual(iters_per_epoch(12, 4), 3)
        self.assertEqual(iters_per_epoch(13, 4), 4)
        self.assertEqual(epochs_to_iters(210, num_instances=149813, total_batch_size=512), 61530)
        with self.assertRaises(ValueError):
            iters_per_epoch(0, 4)

    def test_coco_recipe_multiplier(self):
        sched = epoch_lr_multiplier(num_instances=149813, total_batch_size=512)
        max_iter = 61530

        def at(it):
            return sched(it / max_iter)

        self.assertAlmostEqual(at(0), 0.001)
        self.assertAlmostEqual(at(250), 0.001 + 0.999 * 0.5)  # linear warm-up (MMPose LinearLR)
        self.assertAlmostEqual(at(500), 1.0)
        self.assertAlmostEqual(at(170 * 293 - 1), 1.0)
        self.assertAlmostEqual(at(170 * 293), 0.1)
        self.assertAlmostEqual(at(200 * 293 - 1), 0.1)
        self.assertAlmostEqual(at(200 * 293), 0.01)
        self.assertAlmostEqual(at(max_iter - 1), 0.01)

    def test_bad_milestones(self):
        with self.assertRaisesRegex(ValueError, "milestones"):
            epoch_lr_multiplier(num_instances=100, total_batch_size=10, milestones=(200, 170))


class TestOptim(unittest.TestCase):
    def test_vit_layer_ids(self):
        self.assertEqual(vit_layer_id("backbone.pos_embed", 12), 0)
        self.assertEqual(vit_layer_id("backbone.patch_embed.proj.weight", 12), 0)
        self.assertEqual(vit_layer_id("backbone.blocks.0.attn.qkv.weight", 12), 1)
        self.assertEqual(vit_layer_id("backbone.blocks.11.mlp.fc2.bias", 12), 12)
        self.assertEqual(vit_layer_id("backbone.last_norm.weight", 12), 13)

    def test_layer_decay_groups(self):
        model = nn.Module()
        model.backbone = nn.Module()
        model.backbone.pos_embed = nn.Parameter(torch.zeros(1, 4, 8))
        model.backbone.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(2)])
        model.head = nn.Conv2d(8, 17, 1)
        groups = vit_layer_decay_param_groups(
            model, base_lr=1.0, weight_decay=0.1, layer_decay=0.5, num_layers=2
        )
        by_name = {g["name"]: g for g in groups}
        self.assertEqual(by_name["backbone.pos_embed"]["lr"], 0.125)  # 0.5 ** 3
        self.assertEqual(by_name["backbone.pos_embed"]["weight_decay"], 0.0)
        self.assertEqual(by_name["backbone.blocks.0.weight"]["lr"], 0.25)
        self.assertEqual(by_name["backbone.blocks.0.weight"]["weight_decay"], 0.1)
        self.assertEqual(by_name["backbone.blocks.0.bias"]["weight_decay"], 0.0)
        self.assertEqual(by_name["backbone.blocks.1.weight"]["lr"], 0.5)
        self.assertEqual(by_name["head.weight"]["lr"], 1.0)

    def test_global_grad_clipping(self):
        torch.manual_seed(0)
        p1, p2 = nn.Parameter(torch.zeros(3)), nn.Parameter(torch.zeros(4))
        opt = build_optimizer(
            optimizer_class=torch.optim.SGD, params=[p1, p2], lr=1.0, max_grad_norm=1.0
        )
        p1.grad = torch.full((3,), 3.0)
        p2.grad = torch.full((4,), 4.0)  # global norm sqrt(27 + 64) = 9.54
        opt.step()
        moved = torch.cat([p1.detach(), p2.detach()])
        self.assertAlmostEqual(
            moved.norm().item(), 1.0, places=5
        )  # the step is the clipped gradient
        self.assertAlmostEqual(
            (p1[0] / p2[0]).item(), 0.75, places=5
        )  # direction kept (global, not per-param)


if __name__ == "__main__":
    unittest.main()

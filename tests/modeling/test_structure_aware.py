"""StructureAwareLoss (Ke et al.): skeleton neighbourhoods of COCO-17 and CrowdPose-14 from the metadata,
hand-computed values on tiny heatmaps, the summed group, masking, and λ driven by the hook."""

import unittest

import torch
from detectron2.engine import SimpleTrainer
from torch import nn

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.engine import LimbLambdaHook, LimbLambdaSchedule
from ljof.modeling.losses import (
    StructureAwareLoss,
    skeleton_edges_from_metadata,
    skeleton_structure_matrix,
)

COCO = get_keypoint_set_metadata("coco")
CROWDPOSE = get_keypoint_set_metadata("crowdpose")


def _loss(meta, lam=1.0, **kwargs):
    return StructureAwareLoss(
        skeleton_edges=skeleton_edges_from_metadata(meta),
        num_keypoints=len(meta["keypoint_names"]),
        lambda_limb=lam,
        **kwargs,
    )


def _peaks(k, joint_pixels, width=4):
    """(1, k, 1, width) heatmaps with a peak of 1 at ``joint_pixels[j]`` for each listed joint j."""
    hm = torch.zeros(1, k, 1, width)
    for j, x in joint_pixels.items():
        hm[0, j, 0, x] = 1.0
    return hm


class TestSkeletonNeighbourhoods(unittest.TestCase):
    def _neighbours(self, matrix):
        return {i: set(torch.nonzero(row).flatten().tolist()) - {i} for i, row in enumerate(matrix)}

    def test_coco_neighbourhoods_are_the_skeleton(self):
        m = skeleton_structure_matrix(skeleton_edges_from_metadata(COCO), 17)
        self.assertEqual(tuple(m.shape), (17, 17))
        expected = {
            0: {1, 2}, 1: {0, 2, 3}, 2: {0, 1, 4}, 3: {1, 5}, 4: {2, 6},
            5: {3, 6, 7, 11}, 6: {4, 5, 8, 12}, 7: {5, 9}, 8: {6, 10}, 9: {7}, 10: {8},
            11: {5, 12, 13}, 12: {6, 11, 14}, 13: {11, 15}, 14: {12, 16}, 15: {13}, 16: {14},
        }  # fmt: skip
        self.assertEqual(self._neighbours(m), expected)
        self.assertTrue(torch.equal(m, m.T))
        self.assertEqual(torch.diagonal(m).tolist(), [1.0] * 17)

    def test_crowdpose_neighbourhoods_are_the_skeleton(self):
        m = skeleton_structure_matrix(skeleton_edges_from_metadata(CROWDPOSE), 14)
        expected = {
            0: {2, 6, 13}, 1: {3, 7, 13}, 2: {0, 4}, 3: {1, 5}, 4: {2}, 5: {3},
            6: {0, 7, 8}, 7: {1, 6, 9}, 8: {6, 10}, 9: {7, 11}, 10: {8}, 11: {9},
            12: {13}, 13: {0, 1, 12},
        }  # fmt: skip
        self.assertEqual(self._neighbours(m), expected)

    def test_bad_skeletons_raise(self):
        with self.assertRaisesRegex(ValueError, "outside"):
            skeleton_structure_matrix([(0, 17)], 17)
        with self.assertRaisesRegex(ValueError, "itself"):
            skeleton_structure_matrix([(3, 3)], 17)
        with self.assertRaisesRegex(ValueError, "no edge"):
            skeleton_structure_matrix([], 17)
        bad = dict(COCO, keypoint_connection_rules=[("nose", "tail", (0, 0, 0))])
        with self.assertRaisesRegex(ValueError, "tail"):
            skeleton_edges_from_metadata(bad)
        with self.assertRaisesRegex(ValueError, "keypoint_connection_rules"):
            skeleton_edges_from_metadata({"keypoint_names": ["a"]})


class TestStructureAwareLoss(unittest.TestCase):
    def test_model_against_itself_is_zero(self):
        g = torch.Generator().manual_seed(0)
        pred = torch.rand(2, 17, 8, 6, generator=g)
        out = _loss(COCO)([pred], [pred.clone()], [torch.rand(2, 17, generator=g)])
        self.assertEqual(out["loss_heatmap"].item(), 0.0)
        self.assertEqual(out["loss_structure"].item(), 0.0)

    def test_one_moved_peak_coco(self):
        # L-shoulder (5) predicted one pixel right of its target: d_5 = [-1, +1, 0, 0], |d_5|^2 = 2.
        # It is in 5 groups (itself, L-ear, R-shoulder, L-elbow, L-hip): 5 maps with |d_5|^2 = 2 each,
        # averaged over 1 x 17 maps x 1 x 4 px; λ = 0.5.
        target = _peaks(17, {j: 0 for j in range(17)})
        pred = target.clone()
        pred[0, 5] = torch.tensor([[0.0, 1.0, 0.0, 0.0]])
        out = _loss(COCO, lam=0.5)([pred], [target], [torch.ones(1, 17)])
        self.assertAlmostEqual(out["loss_heatmap"].item(), 2 / 68, places=7)
        self.assertAlmostEqual(out["loss_structure"].item(), 0.5 * 5 * 2 / 68, places=7)

    def test_one_moved_peak_crowdpose(self):
        # neck (13): groups of neck, head, L- and R-shoulder -> 4 maps x 2, over 14 x 4
        target = _peaks(14, {j: 2 for j in range(14)})
        pred = target.clone()
        pred[0, 13] = torch.tensor([[0.0, 0.0, 0.0, 1.0]])
        out = _loss(CROWDPOSE)([pred], [target], [torch.ones(1, 14)])
        self.assertAlmostEqual(out["loss_heatmap"].item(), 2 / 56, places=7)
        self.assertAlmostEqual(out["loss_structure"].item(), 4 * 2 / 56, places=7)

    def test_the_group_is_summed(self):
        # L-elbow (7) and L-wrist (9) swapped: d_9 = -d_7. Every group holding both cancels (7: {5, 7, 9},
        # 9: {7, 9}); only the L-shoulder group {3, 5, 6, 7, 11} sees d_7 -> one map with |d_7|^2 = 2.
        # A stacked group would give 2 + 4 + 4 = 10 instead of 2.
        target = _peaks(17, {7: 0, 9: 3})
        pred = _peaks(17, {7: 3, 9: 0})
        out = _loss(COCO)([pred], [target], [torch.ones(1, 17)])
        self.assertAlmostEqual(out["loss_heatmap"].item(), 4 / 68, places=7)
        self.assertAlmostEqual(out["loss_structure"].item(), 2 / 68, places=7)

    def test_target_weight_masks_the_joint_in_every_group(self):
        target = _peaks(17, {5: 0})
        pred = _peaks(17, {5: 1})
        weight = torch.ones(1, 17)
        weight[0, 5] = 0.0
        out = _loss(COCO)([pred], [target], [weight])
        self.assertEqual(out["loss_heatmap"].item(), 0.0)
        self.assertEqual(out["loss_structure"].item(), 0.0)
        unweighted = _loss(COCO, use_target_weight=False)([pred], [target], None)
        self.assertAlmostEqual(unweighted["loss_structure"].item(), 10 / 68, places=7)

    def test_outputs_are_summed_and_lambda_zero_gives_zero(self):
        target = _peaks(17, {5: 0})
        pred = _peaks(17, {5: 1})
        loss = _loss(COCO, lam=0.0, loss_weight=2.0)
        out = loss([pred, pred], [target, target], [torch.ones(1, 17)] * 2)
        self.assertAlmostEqual(out["loss_heatmap"].item(), 2.0 * 2 * 2 / 68, places=7)
        self.assertEqual(out["loss_structure"].item(), 0.0)
        with self.assertRaisesRegex(ValueError, r"\(B, 17, h, w\)"):
            loss([pred[:, :14]], [target[:, :14]], [torch.ones(1, 14)])

    def test_checkpoint_keys_unchanged(self):
        self.assertEqual(list(_loss(COCO).state_dict()), [])


class _TinyPose(nn.Module):
    def __init__(self, loss):
        super().__init__()
        self.conv = nn.Conv2d(3, 17, 1)
        self.loss = loss
        self.seen = []

    def forward(self, batch):
        pred = self.conv(batch)
        losses = self.loss([pred], [torch.zeros_like(pred)], [torch.ones(pred.shape[:2])])
        self.seen.append(self.loss.lambda_limb)
        return losses


class TestLambdaSchedule(unittest.TestCase):
    def test_step_schedule_from_the_trainers_iteration_as_for_the_dsl(self):
        """λ follows the schedule of the trainer's iteration (detectron2's EventStorage), no hook."""
        model = _TinyPose(
            _loss(COCO, lam=0.0, lambda_schedule=LimbLambdaSchedule(kind="step"), max_iter=3)
        )
        data = iter([torch.rand(1, 3, 2, 2) for _ in range(4)])
        trainer = SimpleTrainer(model, data, torch.optim.SGD(model.parameters(), lr=0.01))
        trainer.train(0, 3)  # progress 0, 1/3, 2/3: step at 1/3
        self.assertEqual(model.seen, [0.0, 1.0, 1.0])

    def test_constant_weight_without_a_schedule(self):
        model = _TinyPose(_loss(COCO, lam=1.0))
        data = iter([torch.rand(1, 3, 2, 2) for _ in range(3)])
        trainer = SimpleTrainer(model, data, torch.optim.SGD(model.parameters(), lr=0.01))
        trainer.train(0, 2)
        self.assertEqual(model.seen, [1.0, 1.0])

    def test_the_lambda_hook_refuses_a_scheduled_loss(self):
        model = _TinyPose(
            _loss(COCO, lam=0.0, lambda_schedule=LimbLambdaSchedule(kind="step"), max_iter=3)
        )
        data = iter([torch.rand(1, 3, 2, 2) for _ in range(4)])
        trainer = SimpleTrainer(model, data, torch.optim.SGD(model.parameters(), lr=0.01))
        trainer.register_hooks([LimbLambdaHook(schedule=LimbLambdaSchedule(kind="step"))])
        with self.assertRaisesRegex(RuntimeError, "already follows its own lambda_schedule"):
            trainer.train(0, 3)


if __name__ == "__main__":
    unittest.main()

"""DynamicStructureLoss: hand-computed values (COCO-17, CrowdPose-14), masking, neighbours, resolutions."""

import unittest

import torch

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.modeling.losses import DynamicStructureLoss, limb_structure_matrix

COCO = get_keypoint_set_metadata("coco")
CROWDPOSE = get_keypoint_set_metadata("crowdpose")


def _loss(meta, lam=1.0, **kwargs):
    return DynamicStructureLoss(
        limb_chains=meta["keypoint_limb_chains"],
        num_keypoints=len(meta["keypoint_names"]),
        lambda_limb=lam,
        **kwargs,
    )


def _naive(pred, target, weight, chains, lam, normalize=False):
    """Loop version of the loss as docs/training.md states it, written independently of the einsum;
    ``normalize``: each limb map's squared error divided by the number of joints it sums."""
    b, k, h, w = pred.shape
    hm = sum(((pred[:, i] - target[:, i]) ** 2 * weight[:, i, None, None]).sum() for i in range(k))
    hm = hm / pred.numel()
    limb_sum, n_maps = 0.0, 0
    for chain in chains:
        for pos, j in enumerate(chain):
            members = chain[max(pos - 1, 0) : pos + 2]
            sp = sum(pred[:, n] * weight[:, n, None, None] for n in members)
            sg = sum(target[:, n] * weight[:, n, None, None] for n in members)
            limb_sum = limb_sum + ((sp - sg) ** 2).sum() / (len(members) if normalize else 1)
            n_maps += 1
    return hm, lam * limb_sum / (b * n_maps * h * w)


class TestStructureMatrix(unittest.TestCase):
    def _neighbours(self, matrix, chains):
        joints = [j for c in chains for j in c]
        return {
            j: set(torch.nonzero(matrix[r]).flatten().tolist()) - {j} for r, j in enumerate(joints)
        }

    def test_coco_neighbours_are_those_of_the_chains(self):
        m = limb_structure_matrix(COCO["keypoint_limb_chains"], 17)
        self.assertEqual(tuple(m.shape), (12, 17))
        expected = {
            9: {7}, 7: {9, 5}, 5: {7, 6}, 6: {5, 8}, 8: {6, 10}, 10: {8},
            15: {13}, 13: {15, 11}, 11: {13, 12}, 12: {11, 14}, 14: {12, 16}, 16: {14},
        }  # fmt: skip
        self.assertEqual(self._neighbours(m, COCO["keypoint_limb_chains"]), expected)
        self.assertEqual(m[:, :5].abs().sum().item(), 0.0)  # face joints are in no structure map
        self.assertTrue(((m == 0) | (m == 1)).all())

    def test_crowdpose_neighbours_are_those_of_the_chains(self):
        m = limb_structure_matrix(CROWDPOSE["keypoint_limb_chains"], 14)
        self.assertEqual(tuple(m.shape), (12, 14))
        expected = {
            4: {2}, 2: {4, 0}, 0: {2, 1}, 1: {0, 3}, 3: {1, 5}, 5: {3},
            10: {8}, 8: {10, 6}, 6: {8, 7}, 7: {6, 9}, 9: {7, 11}, 11: {9},
        }  # fmt: skip
        self.assertEqual(self._neighbours(m, CROWDPOSE["keypoint_limb_chains"]), expected)
        self.assertEqual(m[:, 12:].abs().sum().item(), 0.0)  # head, neck

    def test_bad_chains_raise(self):
        with self.assertRaisesRegex(ValueError, "outside"):
            limb_structure_matrix([[0, 1, 20]], 17)
        with self.assertRaisesRegex(ValueError, "twice"):
            limb_structure_matrix([[0, 1], [1, 2]], 17)


class TestDynamicStructureLoss(unittest.TestCase):
    def test_hand_computed_coco(self):
        # one sample, 17 joints, heatmaps of 1 x 2 pixels; differences only at pixel 0:
        # d5 = 1 (L-shoulder), d7 = 2 (L-elbow), d6 = -3 (R-shoulder), d11 = 5 (L-hip, weight 0)
        pred = torch.zeros(1, 17, 1, 2)
        target = torch.zeros(1, 17, 1, 2)
        pred[0, 5, 0, 0], pred[0, 7, 0, 0], target[0, 6, 0, 0], pred[0, 11, 0, 0] = 1, 2, 3, 5
        weight = torch.ones(1, 17)
        weight[0, 11] = 0
        out = _loss(COCO, lam=0.5)([pred], [target], [weight])
        # MSE: (1 + 4 + 9) / (17 * 2); hip masked.
        self.assertAlmostEqual(out["loss_heatmap"].item(), 14 / 34, places=6)
        # arms chain 9-7-5-6-8-10: S9 = 2, S7 = 3, S5 = 1+2-3 = 0, S6 = 1-3 = -2, S8 = -3, S10 = 0;
        # legs all 0 (the hip has weight 0). Mean over 12 maps x 2 px = 26 / 24, times λ = 0.5.
        self.assertAlmostEqual(out["loss_limb"].item(), 0.5 * 26 / 24, places=6)

    def test_hand_computed_crowdpose(self):
        pred = torch.zeros(1, 14, 1, 2)
        target = torch.zeros(1, 14, 1, 2)
        pred[0, 0, 0, 1] = 1.0  # L-shoulder at pixel 1
        pred[0, 13, 0, 0] = 7.0  # neck: in the MSE, in no structure map
        out = _loss(CROWDPOSE, lam=2.0)([pred], [target], [torch.ones(1, 14)])
        self.assertAlmostEqual(out["loss_heatmap"].item(), (1 + 49) / (14 * 2), places=6)
        # chain 4-2-0-1-3-5: the shoulder is in S2, S0, S1 -> 3 maps of value 1 among 12 x 2 px.
        self.assertAlmostEqual(out["loss_limb"].item(), 2.0 * 3 / 24, places=6)

    def test_zero_when_prediction_equals_target(self):
        torch.manual_seed(0)
        hm = torch.rand(3, 17, 8, 6)
        out = _loss(COCO)([hm], [hm.clone()], [torch.rand(3, 17)])
        self.assertEqual(out["loss_heatmap"].item(), 0.0)
        self.assertEqual(out["loss_limb"].item(), 0.0)

    def test_weight_zero_joints_contribute_nothing(self):
        torch.manual_seed(1)
        pred, target = torch.rand(2, 17, 8, 6), torch.rand(2, 17, 8, 6)
        weight = torch.ones(2, 17)
        weight[0, 7] = 0.0
        weight[1, 12] = 0.0
        loss = _loss(COCO)
        base = loss([pred], [target], [weight])
        pred2 = pred.clone()
        pred2[0, 7] += torch.rand(8, 6) * 10  # changes only masked joints
        pred2[1, 12] -= 3.0
        changed = loss([pred2], [target], [weight])
        for key in ("loss_heatmap", "loss_limb"):
            self.assertAlmostEqual(base[key].item(), changed[key].item(), places=6)
        # and the masked joint gets no gradient at all
        pred2.requires_grad_(True)
        total = sum(loss([pred2], [target], [weight]).values())
        total.backward()
        self.assertEqual(pred2.grad[0, 7].abs().sum().item(), 0.0)
        self.assertGreater(pred2.grad[0, 9].abs().sum().item(), 0.0)

    def test_matches_loop_reference_and_lambda(self):
        torch.manual_seed(2)
        for meta in (COCO, CROWDPOSE):
            k = len(meta["keypoint_names"])
            pred, target = torch.randn(2, k, 5, 4), torch.rand(2, k, 5, 4)
            weight = (torch.rand(2, k) > 0.3).float()
            loss = _loss(meta, lam=0.0)
            self.assertEqual(loss([pred], [target], [weight])["loss_limb"].item(), 0.0)
            loss.lambda_limb = 0.7  # the plain attribute the hook sets
            out = loss([pred], [target], [weight])
            hm, limb = _naive(pred, target, weight, meta["keypoint_limb_chains"], 0.7)
            self.assertAlmostEqual(out["loss_heatmap"].item(), hm.item(), places=5)
            self.assertAlmostEqual(out["loss_limb"].item(), limb.item(), places=5)

    def test_list_of_outputs_at_different_resolutions(self):
        torch.manual_seed(3)
        sizes = [(8, 6), (16, 12), (64, 48)]
        preds = [torch.rand(2, 17, h, w) for h, w in sizes]
        targets = [torch.rand(2, 17, h, w) for h, w in sizes]
        weights = [torch.ones(2, 17), torch.ones(2, 17), (torch.rand(2, 17) > 0.5).float()]
        loss = _loss(COCO, lam=0.25, loss_weight=2.0)
        out = loss(preds, targets, weights)
        singles = [loss([p], [t], [w]) for p, t, w in zip(preds, targets, weights)]
        for key in ("loss_heatmap", "loss_limb"):
            self.assertAlmostEqual(out[key].item(), sum(s[key].item() for s in singles), places=5)
        hm, limb = _naive(preds[2], targets[2], weights[2], COCO["keypoint_limb_chains"], 0.25)
        self.assertAlmostEqual(singles[2]["loss_heatmap"].item(), 2.0 * hm.item(), places=5)
        self.assertAlmostEqual(singles[2]["loss_limb"].item(), 2.0 * limb.item(), places=5)

    def test_bad_shapes_raise_clear_errors(self):
        loss = _loss(COCO)
        with self.assertRaisesRegex(ValueError, r"\(B, 17, h, w\)"):
            loss([torch.zeros(1, 14, 4, 4)], [torch.zeros(1, 14, 4, 4)], [torch.ones(1, 14)])
        with self.assertRaisesRegex(ValueError, "target shape"):
            loss([torch.zeros(1, 17, 4, 4)], [torch.zeros(1, 17, 2, 4)], [torch.ones(1, 17)])
        with self.assertRaisesRegex(ValueError, "weights"):
            loss([torch.zeros(1, 17, 4, 4)], [torch.zeros(1, 17, 4, 4)], [torch.ones(2, 17)])

    def test_no_persistent_state(self):
        # the loss adds nothing to a checkpoint: a model with DSL saves the baseline's keys
        self.assertEqual(list(_loss(COCO).state_dict().keys()), [])
        self.assertEqual(sum(p.numel() for p in _loss(COCO).parameters()), 0)


class TestNormalizedMaps(unittest.TestCase):
    def test_equals_the_loop_version(self):
        g = torch.Generator().manual_seed(0)
        pred, target = torch.rand(2, 17, 6, 5, generator=g), torch.rand(2, 17, 6, 5, generator=g)
        weight = (torch.rand(2, 17, generator=g) > 0.2).float()
        out = _loss(COCO, lam=0.5, normalize_maps=True)([pred], [target], [weight])
        hm, limb = _naive(pred, target, weight, COCO["keypoint_limb_chains"], 0.5, normalize=True)
        torch.testing.assert_close(out["loss_heatmap"], hm)
        torch.testing.assert_close(out["loss_limb"], limb)
        plain = _loss(COCO, lam=0.5)([pred], [target], [weight])["loss_limb"]
        self.assertGreater(plain.item(), 1.5 * limb.item())  # maps of 2-3 joints: 2-3x without it

    def test_independent_errors_weigh_like_the_heatmap_term(self):
        g = torch.Generator().manual_seed(1)
        for meta in (COCO, CROWDPOSE):
            k = len(meta["keypoint_names"])
            error = torch.randn(64, k, 16, 12, generator=g)
            ones = torch.ones(64, k)
            out = _loss(meta, normalize_maps=True)([error], [torch.zeros_like(error)], [ones])
            ratio = (out["loss_limb"] / out["loss_heatmap"]).item()
            self.assertAlmostEqual(ratio, 1.0, delta=0.03)
            plain = _loss(meta)([error], [torch.zeros_like(error)], [ones])
            joints_per_map = limb_structure_matrix(meta["keypoint_limb_chains"], k).sum(1).mean()
            self.assertAlmostEqual(joints_per_map.item(), 8 / 3, places=6)  # chains 2,3,3,3,3,2
            ratio = (plain["loss_limb"] / plain["loss_heatmap"]).item()
            self.assertAlmostEqual(ratio, 8 / 3, delta=0.08)


if __name__ == "__main__":
    unittest.main()

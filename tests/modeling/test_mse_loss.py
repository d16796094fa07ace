"""KeypointMSELoss: mean over all elements of (pred - gt)^2 * w, several outputs, checks."""

import unittest

import torch

from ljof.modeling import KeypointMSELoss


class TestKeypointMSELoss(unittest.TestCase):
    def test_value_by_hand(self):
        pred = torch.zeros(1, 2, 2, 2)
        gt = torch.ones(1, 2, 2, 2)
        gt[0, 1] = 3.0
        w = torch.tensor([[1.0, 0.5]])
        # joint 0: 4 px * 1 * 1; joint 1: 4 px * 9 * 0.5; mean over 8 elements
        expected = (4 * 1.0 + 4 * 9 * 0.5) / 8
        out = KeypointMSELoss()([pred], [gt], [w])
        self.assertEqual(set(out), {"loss_heatmap"})
        self.assertAlmostEqual(float(out["loss_heatmap"]), expected, places=6)
        unweighted = KeypointMSELoss(use_target_weight=False)([pred], [gt], [w])
        self.assertAlmostEqual(float(unweighted["loss_heatmap"]), (4 + 36) / 8, places=6)

    def test_several_outputs_and_weights(self):
        g = torch.Generator().manual_seed(0)
        preds = [torch.rand(2, 3, 4, 4, generator=g), torch.rand(2, 3, 8, 8, generator=g)]
        gts = [torch.rand_like(p) for p in preds]
        ws = [torch.ones(2, 3), torch.ones(2, 3)]
        loss = KeypointMSELoss(output_weights=(1.0, 0.5), loss_weight=2.0)
        expected = 2.0 * (
            ((preds[0] - gts[0]) ** 2).mean() + 0.5 * ((preds[1] - gts[1]) ** 2).mean()
        )
        torch.testing.assert_close(loss(preds, gts, ws)["loss_heatmap"], expected)

    def test_mismatches_are_clear_errors(self):
        p = torch.zeros(1, 2, 4, 4)
        with self.assertRaisesRegex(ValueError, "differ"):
            KeypointMSELoss()([p], [torch.zeros(1, 2, 8, 8)], [torch.ones(1, 2)])
        with self.assertRaisesRegex(ValueError, "weights"):
            KeypointMSELoss()([p], [p], [torch.ones(1, 3)])
        with self.assertRaisesRegex(ValueError, "one target per head output"):
            KeypointMSELoss()([p, p], [p], [torch.ones(1, 2)])


if __name__ == "__main__":
    unittest.main()

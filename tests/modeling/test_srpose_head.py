"""SRPose-style head: heatmaps at several resolutions up to the input size, trainable."""

import unittest

import torch

from ljof.modeling import HRNet, KeypointMSELoss, SRPoseHead
from tests.modeling.networks import build_network


class TestSRPoseHead(unittest.TestCase):
    def test_output_resolutions(self):
        torch.manual_seed(0)
        backbone, head = build_network("hrnet_tiny_srpose", keypoint_set="crowdpose")
        outs = head(backbone(torch.randn(2, 3, 128, 96)))
        self.assertEqual(
            [tuple(o.shape) for o in outs],
            [(2, 14, 16, 12), (2, 14, 32, 24), (2, 14, 64, 48), (2, 14, 128, 96)],
        )
        targets = [torch.rand_like(o) for o in outs]
        weights = [torch.ones(2, 14) for _ in outs]
        loss = KeypointMSELoss()(outs, targets, weights)["loss_heatmap"]
        loss.backward()
        self.assertIsNotNone(head.laterals["hr4"][0].weight.grad)

    def test_w32_shapes_at_256x192(self):
        with torch.device("meta"):
            backbone, head = build_network("hrnet_w32_srpose")
            outs = head(backbone(torch.zeros(1, 3, 256, 192)))
        self.assertEqual(tuple(outs[-1].shape), (1, 17, 256, 192))
        self.assertEqual(len(outs), 4)

    def test_w32_srpose_forward_backward_batch2(self):
        torch.manual_seed(0)
        backbone, head = build_network("hrnet_w32_srpose")
        outs = head(backbone(torch.randn(2, 3, 64, 64)))  # reduced crop: CPU time of the test
        self.assertEqual(tuple(outs[-1].shape), (2, 17, 64, 64))
        sum(o.square().mean() for o in outs).backward()
        self.assertIsNotNone(backbone.stage4[2].fuse_layers[3][0][2][0].weight.grad)

    def test_custom_strides_and_errors(self):
        with torch.device("meta"):
            backbone = HRNet(
                width=8,
                num_modules=(1, 1, 1),
                num_blocks=(1, 1, 1),
                stage1_num_blocks=1,
                multiscale_output=True,
            )
            head = SRPoseHead(
                input_shape=backbone.output_shape(), num_keypoints=17, output_strides=(4, 1)
            )
            outs = head(backbone(torch.zeros(1, 3, 64, 64)))
        self.assertEqual([tuple(o.shape[-2:]) for o in outs], [(16, 16), (64, 64)])
        with self.assertRaisesRegex(ValueError, "descending"):
            SRPoseHead(input_shape=backbone.output_shape(), num_keypoints=17, output_strides=(1, 4))
        with self.assertRaisesRegex(ValueError, "power of two"):
            SRPoseHead(input_shape=backbone.output_shape(), num_keypoints=17, output_strides=(3,))


if __name__ == "__main__":
    unittest.main()

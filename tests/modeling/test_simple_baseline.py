"""SimpleBaseline: torchvision ResNet trunk + 3 deconvolutions; parameter counts, shapes, FLOPs."""

import unittest

import torch
import torchvision

from ljof.modeling import PoseNetwork, ResNetTrunk, hrnet_convention_gflops
from tests.modeling.networks import build_network


def _params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


class TestSimpleBaseline(unittest.TestCase):
    def test_parameter_counts(self):
        for keypoint_set, expected in [("coco", 68_635_473), ("crowdpose", 68_635_473 - 771)]:
            with self.subTest(keypoint_set=keypoint_set), torch.device("meta"):
                modules = build_network("simplebaseline_r152", keypoint_set=keypoint_set)
                self.assertEqual(_params(*modules), expected)

    def test_trunk_is_torchvision_resnet_without_fc(self):
        with torch.device("meta"):
            trunk = ResNetTrunk(depth=50)
            tv = torchvision.models.resnet50(weights=None)
        tv_keys = {k for k in tv.state_dict() if not k.startswith("fc.")}
        self.assertEqual(set(trunk.state_dict()), tv_keys)
        self.assertIsInstance(trunk.layer4[0], torchvision.models.resnet.Bottleneck)

    def test_head_layout_and_shapes_at_256x192(self):
        with torch.device("meta"):
            backbone, head = build_network("simplebaseline_r152")
            net = PoseNetwork(backbone, head)
            self.assertEqual(tuple(net(torch.zeros(2, 3, 256, 192)).shape), (2, 17, 64, 48))
        deconvs = [m for m in head.deconv_layers if isinstance(m, torch.nn.ConvTranspose2d)]
        self.assertEqual(len(deconvs), 3)
        for d in deconvs:
            self.assertEqual((d.out_channels, d.kernel_size, d.stride), (256, (4, 4), (2, 2)))
            self.assertIsNone(d.bias)
        self.assertEqual(tuple(head.final_layer.weight.shape), (17, 256, 1, 1))

    def test_hrnet_convention_gflops(self):
        with torch.device("meta"):
            net = PoseNetwork(*build_network("simplebaseline_r152"))
        self.assertEqual(round(hrnet_convention_gflops(net, (256, 192)), 2), 15.76)

    def test_r152_forward_backward_batch2(self):
        torch.manual_seed(0)
        net = PoseNetwork(*build_network("simplebaseline_r152")).train()
        out = net(torch.randn(2, 3, 64, 64))  # reduced crop: CPU time of the test
        self.assertEqual(tuple(out.shape), (2, 17, 16, 16))
        out.square().mean().backward()
        self.assertIsNotNone(net.backbone.conv1.weight.grad)

    def test_bad_depth(self):
        with self.assertRaisesRegex(ValueError, "depth 42"):
            ResNetTrunk(depth=42)


if __name__ == "__main__":
    unittest.main()

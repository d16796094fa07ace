"""HRNet-W32/W48: exact parameter counts, official state-dict names, FLOPs (HRNet convention), shapes."""

import json
import unittest

import torch

from ljof.modeling import HRNet, PoseNetwork, hrnet_convention_gflops
from tests.common import REFERENCE_KEYS_JSON as KEYS_JSON
from tests.modeling.networks import build_network


def _params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


class TestHRNet(unittest.TestCase):
    def test_parameter_counts(self):
        # counted on the meta device (no memory, no init cost)
        for name, keypoint_set, expected in [
            ("hrnet_w32", "coco", 28_536_113),
            ("hrnet_w32", "crowdpose", 28_536_113 - 99),
            ("hrnet_w48", "coco", 63_595_745),
            ("hrnet_w48", "crowdpose", 63_595_745 - 147),
        ]:
            with self.subTest(name=name, keypoint_set=keypoint_set):
                with torch.device("meta"):
                    modules = build_network(name, keypoint_set=keypoint_set)
                self.assertEqual(_params(*modules), expected)

    def test_official_names_and_shapes(self):
        with open(KEYS_JSON) as f:
            official = json.load(f)
        for width in (32, 48):
            backbone, head = build_network(f"hrnet_w{width}")
            ours = {**backbone.state_dict(), **head.state_dict()}
            ref = official[f"w{width}"]
            self.assertEqual(set(ours), set(ref))
            bad = [k for k in ref if list(ours[k].shape) != list(ref[k])]
            self.assertEqual(bad, [])

    def test_hrnet_convention_gflops(self):
        for name, expected in [("hrnet_w32", 7.12), ("hrnet_w48", 14.61)]:
            with self.subTest(name=name):
                with torch.device("meta"):  # shapes only: no weights, no arithmetic
                    net = PoseNetwork(*build_network(name))
                self.assertEqual(round(hrnet_convention_gflops(net, (256, 192)), 2), expected)

    def test_output_shapes_at_256x192(self):
        for name in ("hrnet_w32", "hrnet_w48"):
            with self.subTest(name=name), torch.device("meta"):
                net = PoseNetwork(*build_network(name))
                self.assertEqual(tuple(net(torch.zeros(2, 3, 256, 192)).shape), (2, 17, 64, 48))

    def test_forward_backward_batch2(self):
        # the full networks at a reduced crop (they are fully convolutional; CPU time of the test)
        for name in ("hrnet_w32", "hrnet_w48"):
            with self.subTest(name=name):
                torch.manual_seed(0)
                net = PoseNetwork(*build_network(name)).train()
                out = net(torch.randn(2, 3, 96, 64))
                self.assertEqual(tuple(out.shape), (2, 17, 24, 16))
                out.square().mean().backward()
                self.assertTrue(all(p.grad is not None for p in net.parameters()))

    def test_reduced_and_multiscale_outputs(self):
        torch.manual_seed(0)
        b = HRNet(
            width=8,
            num_modules=(1, 1, 1),
            num_blocks=(1, 1, 1),
            stage1_num_blocks=1,
            stem_channels=16,
            multiscale_output=True,
        )
        feats = b(torch.randn(2, 3, 128, 96))
        self.assertEqual(list(feats), ["hr1", "hr2", "hr3", "hr4"])
        for i, name in enumerate(feats):
            spec = b.output_shape()[name]
            self.assertEqual(spec.channels, 8 * 2**i)
            self.assertEqual(spec.stride, 4 * 2**i)
            self.assertEqual(tuple(feats[name].shape), (2, 8 * 2**i, 32 // 2**i, 24 // 2**i))

    def test_head_init(self):
        _, head = build_network("hrnet_w32")
        w = head.final_layer.weight
        self.assertTrue(torch.all(head.final_layer.bias == 0))
        self.assertLess(abs(float(w.std()) - 0.001), 2e-4)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "3 entries"):
            HRNet(num_modules=(1, 4))


if __name__ == "__main__":
    unittest.main()

"""ViTPose-B: parameter count, token grid, checkpoint-compatible names, forward/backward."""

import unittest

import torch

from ljof.modeling import PoseNetwork, VisionTransformer
from tests.modeling.networks import build_network


def _params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


class TestViTPose(unittest.TestCase):
    def test_parameter_count_and_layout(self):
        with torch.device("meta"):
            backbone, head = build_network("vitpose_b")
        self.assertEqual(_params(backbone, head), 89_994_513)
        self.assertEqual(tuple(backbone.pos_embed.shape), (1, 193, 768))
        self.assertEqual(backbone.grid_size, (16, 12))
        self.assertEqual(backbone.patch_embed.proj.padding, (2, 2))
        keys = set(backbone.state_dict())
        for k in (
            "patch_embed.proj.weight",
            "pos_embed",
            "blocks.11.attn.qkv.weight",
            "blocks.11.attn.proj.bias",
            "blocks.0.mlp.fc2.weight",
            "blocks.0.norm1.weight",
            "last_norm.bias",
        ):
            self.assertIn(k, keys)
        self.assertEqual(len(backbone.blocks), 12)

    def test_shapes_at_256x192(self):
        with torch.device("meta"):
            net = PoseNetwork(*build_network("vitpose_b"))
            self.assertEqual(tuple(net(torch.zeros(2, 3, 256, 192)).shape), (2, 17, 64, 48))

    def test_drop_path_schedule(self):
        with torch.device("meta"):
            backbone, _ = build_network("vitpose_b")  # the config: 0.3
        self.assertIsInstance(backbone.blocks[0].drop_path, torch.nn.Identity)
        self.assertAlmostEqual(backbone.blocks[-1].drop_path.p, 0.3, places=6)

    def test_vitpose_b_forward_backward_batch2(self):
        torch.manual_seed(0)
        # ViT-B itself, on a 64x64 crop (a 4x4 token grid) to keep the test's CPU time small
        modules = build_network("vitpose_b", overrides=["model.backbone.img_size=[64,64]"])
        net = PoseNetwork(*modules).train()
        out = net(torch.randn(2, 3, 64, 64))
        self.assertEqual(tuple(out.shape), (2, 17, 16, 16))
        out.square().mean().backward()
        self.assertIsNotNone(net.backbone.pos_embed.grad)

    def test_attention_matches_reference_formula(self):
        torch.manual_seed(0)
        vit = VisionTransformer(img_size=(32, 32), embed_dim=16, depth=1, num_heads=2)
        attn = vit.blocks[0].attn
        x = torch.randn(2, 5, 16)
        q, k, v = attn.qkv(x).reshape(2, 5, 3, 2, 8).permute(2, 0, 3, 1, 4)
        weights = (q @ k.transpose(-2, -1) / 8**0.5).softmax(-1)
        expected = attn.proj((weights @ v).transpose(1, 2).reshape(2, 5, 16))
        torch.testing.assert_close(attn(x), expected, rtol=1e-5, atol=1e-6)

    def test_wrong_input_size_is_a_clear_error(self):
        vit = VisionTransformer(img_size=(64, 48), embed_dim=16, depth=1, num_heads=2)
        with self.assertRaisesRegex(ValueError, "position embedding"):
            vit(torch.zeros(1, 3, 64, 64))


if __name__ == "__main__":
    unittest.main()

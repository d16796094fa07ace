"""Checkpoint conversion and loading: official HRNet / MMPose / ViTPose / ImageNet / MAE names."""

import json
import os
import tempfile
import unittest

import torch
import torchvision

from detectron2.config import instantiate

from ljof.checkpoint import (
    PoseCheckpointer,
    convert_state_dict,
    detect_format,
    load_checkpoint_file,
)
from ljof.errors import InputError
from tests.common import REFERENCE_KEYS_JSON as KEYS_JSON
from tests.modeling.networks import model_config

# Our ViT parameter names -> mmpretrain's (written out here independently of ljof.checkpoint, so the
# tests check the converter rather than reuse its table).
MMPRETRAIN_VIT_RENAMES = [
    ("patch_embed.proj.", "patch_embed.projection."),
    ("blocks.", "layers."),
    (".norm1.", ".ln1."),
    (".norm2.", ".ln2."),
    (".mlp.fc1.", ".ffn.layers.0.0."),
    (".mlp.fc2.", ".ffn.layers.1."),
]


def _model(name):
    torch.manual_seed(0)
    return instantiate(model_config(name))


def _load(model, state_dict, **kwargs):
    """Load ``state_dict`` from a file through ``PoseCheckpointer(model, **kwargs)``, as a published
    checkpoint is loaded; returns what ``load`` reports (``incompatible_keys``, ``dropped_keys``, ...)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.pth")
        torch.save(state_dict, path)
        return PoseCheckpointer(model, **kwargs).load(path)


def _missing_unexpected(report):
    keys = report["incompatible_keys"]
    return list(keys.missing_keys), list(keys.unexpected_keys)


def _random_state_dict(shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, shape in shapes.items():
        if k.endswith("num_batches_tracked"):
            out[k] = torch.tensor(123, dtype=torch.int64)
        else:
            out[k] = torch.randn(*shape, generator=g)
    return out


def _strip(model, prefix):
    return {k[len(prefix) :]: v for k, v in model.state_dict().items() if k.startswith(prefix)}


class TestOfficialHRNet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(KEYS_JSON) as f:
            cls.shapes = json.load(f)["w32"]
        cls.official = _random_state_dict(cls.shapes)
        cls.model = _model("hrnet_w32")

    def test_official_loads_strictly_into_the_right_tensors(self):
        converted, dropped = convert_state_dict(self.official, "hrnet-official")
        self.assertEqual(dropped, [])
        # pure renaming: the very same tensor objects
        self.assertIs(converted["backbone.conv1.weight"], self.official["conv1.weight"])
        self.assertIs(converted["head.final_layer.bias"], self.official["final_layer.bias"])
        report = _load(self.model, self.official, source_format="hrnet-official")
        self.assertEqual(_missing_unexpected(report), ([], []))
        self.assertEqual(report["dropped_keys"], [])
        m = self.model
        for ours, theirs in [
            (m.backbone.conv1.weight, "conv1.weight"),
            (m.backbone.layer1[0].downsample[1].running_var, "layer1.0.downsample.1.running_var"),
            (m.backbone.transition1[1][0][0].weight, "transition1.1.0.0.weight"),
            (
                m.backbone.stage3[2].branches[1][3].conv2.weight,
                "stage3.2.branches.1.3.conv2.weight",
            ),
            (m.backbone.stage4[2].fuse_layers[0][3][1].bias, "stage4.2.fuse_layers.0.3.1.bias"),
            (
                m.backbone.stage4[1].fuse_layers[3][0][2][0].weight,
                "stage4.1.fuse_layers.3.0.2.0.weight",
            ),
            (m.backbone.stage2[0].fuse_layers[0][1][0].weight, "stage2.0.fuse_layers.0.1.0.weight"),
            (m.head.final_layer.weight, "final_layer.weight"),
        ]:
            self.assertTrue(torch.equal(ours.detach(), self.official[theirs]), theirs)
        self.assertEqual(int(m.backbone.bn1.num_batches_tracked), 123)

    def test_mmpose_names_load_strictly(self):
        mm = {"backbone." + k: v for k, v in self.official.items() if not k.startswith("final")}
        mm["head.final_layer.weight"] = self.official["final_layer.weight"]
        mm["head.final_layer.bias"] = self.official["final_layer.bias"]
        mm["data_preprocessor.mean"] = torch.zeros(3, 1, 1)
        self.assertEqual(detect_format(mm), "mmpose")
        converted, dropped = convert_state_dict(mm, "auto")
        self.assertEqual(dropped, ["data_preprocessor.mean"])
        report = _load(self.model, mm)
        self.assertEqual(report["dropped_keys"], ["data_preprocessor.mean"])
        self.assertEqual(_missing_unexpected(report), ([], []))
        self.assertTrue(
            torch.equal(
                self.model.backbone.stage4[1].branches[3][0].bn2.weight.detach(),
                self.official["stage4.1.branches.3.0.bn2.weight"],
            )
        )

    def test_wrong_shape_fails_naming_key_and_shapes(self):
        bad = dict(self.official)
        bad["final_layer.weight"] = torch.zeros(14, 32, 1, 1)
        with self.assertRaises(ValueError) as ctx:
            _load(self.model, bad, source_format="hrnet-official")
        msg = str(ctx.exception)
        self.assertIn("head.final_layer.weight", msg)
        self.assertIn("(14, 32, 1, 1)", msg)
        self.assertIn("(17, 32, 1, 1)", msg)
        report = _load(self.model, bad, source_format="hrnet-official", skip_mismatch=True)
        self.assertEqual(report["skipped_shape_keys"], ["head.final_layer.weight"])
        self.assertEqual(_missing_unexpected(report), (["head.final_layer.weight"], []))

    def test_checkpointer_reads_official_file_and_its_own_checkpoints(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "pose_hrnet_w32_256x192.pth")
            torch.save(self.official, path)
            model = _model("hrnet_w32")
            PoseCheckpointer(model).load(path)
            self.assertTrue(
                torch.equal(
                    model.head.final_layer.weight.detach(), self.official["final_layer.weight"]
                )
            )
            PoseCheckpointer(model, save_dir=tmp).save("model_final")
            again = _model("hrnet_w32")
            PoseCheckpointer(again).load(os.path.join(tmp, "model_final.pth"))
            self.assertTrue(
                torch.equal(again.backbone.conv2.weight.detach(), self.official["conv2.weight"])
            )
            bad = dict(self.official)
            bad["conv1.weight"] = torch.zeros(64, 3, 5, 5)
            torch.save(bad, path)
            with self.assertRaisesRegex(ValueError, "backbone.conv1.weight.*\\(64, 3, 5, 5\\)"):
                PoseCheckpointer(again).load(path)


class TestOtherFormats(unittest.TestCase):
    def test_imagenet_hrnet_drops_classification_modules(self):
        model = _model("hrnet_tiny")
        sd = {
            k[len("backbone.") :]: v.clone()
            for k, v in model.state_dict().items()
            if k.startswith("backbone.")
        }
        sd["incre_modules.0.0.conv1.weight"] = torch.zeros(1)
        sd["classifier.weight"] = torch.zeros(1000, 2048)
        sd["final_layer.0.weight"] = torch.zeros(2048, 1024, 1, 1)
        self.assertEqual(detect_format(sd), "imagenet-hrnet")
        converted, dropped = convert_state_dict(sd, "imagenet-hrnet")
        self.assertEqual(len(dropped), 3)
        report = _load(model, sd, source_format="imagenet-hrnet")
        self.assertEqual(len(report["dropped_keys"]), 3)
        missing, unexpected = _missing_unexpected(report)
        self.assertEqual(unexpected, [])
        self.assertEqual(sorted(missing), ["head.final_layer.bias", "head.final_layer.weight"])

    def test_torchvision_resnet(self):
        model = _model("simplebaseline_tiny")
        tv = torchvision.models.resnet18(weights=None).state_dict()
        self.assertEqual(detect_format(tv), "torchvision-resnet")
        converted, dropped = convert_state_dict(tv, "torchvision-resnet")
        self.assertEqual(sorted(dropped), ["fc.bias", "fc.weight"])
        report = _load(model, tv, source_format="torchvision-resnet")
        self.assertEqual(sorted(report["dropped_keys"]), ["fc.bias", "fc.weight"])
        missing, unexpected = _missing_unexpected(report)
        self.assertEqual(unexpected, [])
        self.assertTrue(missing and all(k.startswith("head.") for k in missing))
        self.assertTrue(
            torch.equal(model.backbone.layer4[1].conv2.weight.detach(), tv["layer4.1.conv2.weight"])
        )

    def _vit_state(self, model):
        return {
            k[len("backbone.") :]: v.clone() + 1
            for k, v in model.state_dict().items()
            if k.startswith("backbone.")
        }

    def test_mae_vit(self):
        model = _model("vitpose_tiny")
        ours = self._vit_state(model)
        mae = {k: v for k, v in ours.items() if not k.startswith("last_norm") and k != "pos_embed"}
        mae["norm.weight"], mae["norm.bias"] = ours["last_norm.weight"], ours["last_norm.bias"]
        mae["cls_token"] = torch.zeros(1, 1, 64)
        mae["pos_embed"] = torch.randn(1, 1 + 14 * 14, 64)
        mae["decoder_embed.weight"] = torch.zeros(8, 64)
        self.assertEqual(detect_format(mae), "mae-vit")
        converted, dropped = convert_state_dict(mae, "mae-vit", vit_grid=(16, 12))
        self.assertEqual(sorted(dropped), ["cls_token", "decoder_embed.weight"])
        self.assertEqual(tuple(converted["backbone.pos_embed"].shape), (1, 193, 64))
        # the class-token slot is kept as is
        self.assertTrue(torch.equal(converted["backbone.pos_embed"][:, 0], mae["pos_embed"][:, 0]))
        report = _load(model, mae, source_format="mae-vit")  # the model's grid: 16x12
        self.assertEqual(sorted(report["dropped_keys"]), ["cls_token", "decoder_embed.weight"])
        missing, unexpected = _missing_unexpected(report)
        self.assertEqual(unexpected, [])
        self.assertTrue(missing and all(k.startswith("head.") for k in missing))
        self.assertTrue(
            torch.equal(model.backbone.last_norm.weight.detach(), ours["last_norm.weight"])
        )

    def test_vitpose_official_and_mmpretrain_names(self):
        model = _model("vitpose_tiny")
        sd = {k: v.clone() + 1 for k, v in model.state_dict().items()}
        official = {
            ("keypoint_head." + k[5:] if k.startswith("head.") else k): v for k, v in sd.items()
        }
        self.assertEqual(detect_format(official), "vitpose-official")
        self.assertEqual(_missing_unexpected(_load(model, official)), ([], []))
        renames = MMPRETRAIN_VIT_RENAMES + [("backbone.last_norm.", "backbone.ln1.")]
        mmpretrain = {}
        for k, v in sd.items():
            for a, b in renames:
                k = k.replace(a, b)
            mmpretrain[k] = v
        fresh = _model("vitpose_tiny")
        report = _load(fresh, mmpretrain, source_format="mmpose")
        self.assertEqual(_missing_unexpected(report), ([], []))
        self.assertTrue(
            torch.equal(
                fresh.backbone.blocks[1].mlp.fc2.weight.detach(),
                sd["backbone.blocks.1.mlp.fc2.weight"],
            )
        )

    def test_mmpretrain_vit_without_prefix(self):
        # the layout of MMPose's MAE ViT-B file: mmpretrain names, no prefix, class token, 14x14 grid
        model = _model("vitpose_tiny")
        ours = self._vit_state(model)
        renames = MMPRETRAIN_VIT_RENAMES
        sd = {}
        for k, v in ours.items():
            if k.startswith("last_norm."):
                k = "ln1." + k.split(".", 1)[1]
            for a, b in renames:
                k = k.replace(a, b)
            sd[k] = v
        sd["pos_embed"] = torch.randn(1, 197, 64)
        sd["cls_token"] = torch.zeros(1, 1, 64)
        self.assertEqual(detect_format(sd), "mmpretrain-vit")
        converted, dropped = convert_state_dict(sd, "auto")
        self.assertEqual(dropped, ["backbone.cls_token"])
        report = _load(model, sd)
        self.assertEqual(report["dropped_keys"], ["backbone.cls_token"])
        missing, unexpected = _missing_unexpected(report)
        self.assertEqual(unexpected, [])
        self.assertTrue(missing and all(k.startswith("head.") for k in missing))
        self.assertTrue(
            torch.equal(
                model.backbone.blocks[0].norm1.weight.detach(), ours["blocks.0.norm1.weight"]
            )
        )
        self.assertTrue(torch.equal(model.backbone.last_norm.bias.detach(), ours["last_norm.bias"]))

    def test_position_embedding_without_class_slot(self):
        model = _model("vitpose_tiny")
        sd = {k: v.clone() for k, v in model.state_dict().items()}
        sd["backbone.pos_embed"] = torch.randn(1, 192, 64)  # mmpretrain with_cls_token=False
        converted, _ = convert_state_dict(sd, "mmpose", vit_grid=(16, 12))
        fitted = converted["backbone.pos_embed"]
        self.assertEqual(tuple(fitted.shape), (1, 193, 64))
        self.assertTrue(torch.equal(fitted[:, 0], torch.zeros(1, 64)))
        self.assertTrue(torch.equal(fitted[:, 1:], sd["backbone.pos_embed"]))
        report = _load(model, sd, source_format="mmpose")  # fitted to the model's 16x12 grid
        self.assertEqual(_missing_unexpected(report), ([], []))
        self.assertTrue(torch.equal(model.backbone.pos_embed.detach(), fitted))

    def test_files_that_are_no_checkpoint_get_our_one_line(self):
        """A pickle with objects, a text file, an ONNX model, an empty or missing file: InputError naming
        the file and what it is, never torch's advice to load it with weights_only=False."""
        with tempfile.TemporaryDirectory() as tmp:
            files = {
                "evil.pth": "holds Python objects besides tensors",
                "notes.txt": "is a text file",
                "model.onnx": "is an ONNX model",
                "empty.pth": "is empty",
                "missing.pth": "does not exist",
            }
            torch.save({"model": {"w": torch.zeros(1)}, "obj": _Custom()}, f"{tmp}/evil.pth")
            with open(f"{tmp}/notes.txt", "w") as f:
                f.write("model_final.pth\n")
            with open(f"{tmp}/model.onnx", "wb") as f:  # an ONNX file starts with protobuf field 1
                f.write(b"\x08\x08\x12\x07pytorch\xff\xfe")
            open(f"{tmp}/empty.pth", "wb").close()
            for name, what in files.items():
                path = os.path.join(tmp, name)
                with self.assertRaises(InputError) as cm:
                    load_checkpoint_file(path)
                message = str(cm.exception)
                self.assertIn(f"checkpoint {path} {what}", message)
                self.assertNotIn("\n", message)
                self.assertNotIn("weights_only=False", message)
                # the tools go through PoseCheckpointer.load: the same line
                with self.assertRaisesRegex(InputError, f"checkpoint {path} {what}"):
                    PoseCheckpointer(torch.nn.Linear(1, 1)).load(path)

    def test_failed_download_says_what_to_do(self):
        # nothing listens on port 9 of this machine (discard): the download fails at once, offline too
        url = "http://127.0.0.1:9/hrnet_w32-36af842e.pth"
        with self.assertRaises(InputError) as cm:
            PoseCheckpointer(torch.nn.Linear(1, 1)).load(url)
        message = str(cm.exception)
        self.assertIn(f"cannot download checkpoint {url}", message)
        self.assertIn("train.init_checkpoint=FILE.pth", message)
        self.assertNotIn("\n", message)

    def test_unknown_format(self):
        with self.assertRaisesRegex(ValueError, "cannot tell"):
            detect_format({"foo.weight": torch.zeros(1)})
        with self.assertRaisesRegex(ValueError, "unknown checkpoint format"):
            convert_state_dict({"a": torch.zeros(1)}, "caffe")


class _Custom:
    pass


if __name__ == "__main__":
    unittest.main()

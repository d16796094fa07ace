"""TopDownPoseEstimator: flip test equivariance, training losses, pluggable loss, input errors."""

import unittest

import numpy as np
import torch
from detectron2.utils.events import EventStorage

from ljof.data import MSRAHeatmap, UDPHeatmap
from ljof.data.datasets import get_keypoint_set_metadata
from ljof.modeling import (
    DynamicStructureLoss,
    KeypointMSELoss,
    TopDownPoseEstimator,
    flip_back_heatmaps,
)
from tests.common import ROOT
from tests.modeling.networks import build_network
from tests.modeling.oracle import MEAN, STD

COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


def _model(codec, *, shift, flip_test=True, loss=None, seed=0):
    torch.manual_seed(seed)
    backbone, head = build_network("hrnet_tiny")
    model = TopDownPoseEstimator(
        backbone=backbone,
        head=head,
        loss=loss or KeypointMSELoss(),
        codec=codec,
        keypoint_flip_indices=COCO_FLIP,
        pixel_mean=MEAN,
        pixel_std=STD,
        flip_test=flip_test,
        shift_heatmap=shift,
    )
    # The Normal(0.001) head init makes near-flat maps; a larger final layer gives clear maxima.
    torch.nn.init.normal_(model.head.final_layer.weight, std=1.0)
    return model


def _sample(image, center, scale, width=640, height=480):
    return {
        "image": image,
        "center": torch.tensor(center, dtype=torch.float32),
        "scale": torch.tensor(scale, dtype=torch.float32),
        "image_id": 7,
        "height": height,
        "width": width,
        "bbox": [100.0, 50.0, 150.0, 300.0],
        "bbox_score": 0.9,
    }


class TestFlipTest(unittest.TestCase):
    def setUp(self):
        g = torch.Generator().manual_seed(1)
        self.crop = torch.randint(0, 256, (3, 256, 192), generator=g, dtype=torch.uint8)

    def test_heatmaps_equivariant_without_shift(self):
        model = _model(UDPHeatmap(), shift=False).eval()
        x = model.preprocess_image([_sample(self.crop, (300, 200), (240, 320))])
        with torch.no_grad():
            h = model.predict_heatmaps(x)[-1]
            h_mirror = model.predict_heatmaps(x.flip(-1))[-1]
        expected = flip_back_heatmaps(h, COCO_FLIP, shift=False)
        torch.testing.assert_close(h_mirror, expected, rtol=1e-5, atol=1e-6)
        # and the flip really matters for this (non-symmetric) network
        with torch.no_grad():
            plain = model.head(model.backbone(x))[0]
        self.assertGreater(float((plain - h).abs().max()), 1e-3)

    def test_heatmaps_equivariant_up_to_the_one_pixel_shift(self):
        model = _model(MSRAHeatmap(), shift=True).eval()
        x = model.preprocess_image([_sample(self.crop, (300, 200), (240, 320))])
        with torch.no_grad():
            h = model.predict_heatmaps(x)[-1]
            h_mirror = model.predict_heatmaps(x.flip(-1))[-1]
            raw = model.head(model.backbone(x))[0]
            raw_f = model.head(model.backbone(x.flip(-1)))[0]
        # the MMPose formula: average with the flipped-back, channel-swapped, right-shifted map
        back = raw_f.flip(-1)[:, COCO_FLIP]
        back[..., 1:] = back[..., :-1].clone()
        torch.testing.assert_close(h, 0.5 * (raw + back))
        # mirrored result, swapped and shifted back by one pixel, equals the result (columns >= 1)
        mirrored = flip_back_heatmaps(h_mirror, COCO_FLIP, shift=True)
        torch.testing.assert_close(mirrored[..., 1:], h[..., 1:], rtol=1e-5, atol=1e-6)
        self.assertGreater(float((mirrored[..., 1:] - h_mirror[..., 1:]).abs().max()), 1e-3)

    def test_keypoints_of_mirrored_image_are_mirrored_and_swapped(self):
        model = _model(UDPHeatmap(), shift=False).eval()
        width = 640
        center, scale = (300.0, 200.0), (240.0, 320.0)
        out = model([_sample(self.crop, center, scale, width=width)])[0]["keypoints"].numpy()
        mirrored_sample = _sample(
            self.crop.flip(-1), (width - 1 - center[0], center[1]), scale, width
        )
        out_m = model([mirrored_sample])[0]["keypoints"].numpy()
        expected = out[COCO_FLIP].copy()
        expected[:, 0] = width - 1 - expected[:, 0]
        np.testing.assert_allclose(out_m[:, 2], expected[:, 2], rtol=1e-5)
        # A map whose maximum is <= 0 has no location (the codec's -1 sentinel, not mirrored).
        located = expected[:, 2] > 0
        self.assertGreaterEqual(int(located.sum()), 8)
        np.testing.assert_allclose(out_m[located, :2], expected[located, :2], atol=2e-3)


class TestTraining(unittest.TestCase):
    def _batch(self, codec, n=2, n_outputs=1):
        g = torch.Generator().manual_seed(2)
        w, h = codec.heatmap_size
        return [
            {
                "image": torch.randint(0, 256, (3, 256, 192), generator=g, dtype=torch.uint8),
                "heatmaps": [torch.rand(17, h, w, generator=g) for _ in range(n_outputs)],
                "target_weights": [torch.ones(17) for _ in range(n_outputs)],
                "image_id": i,
            }
            for i in range(n)
        ]

    def test_loss_dict_and_backward(self):
        codec = MSRAHeatmap()
        model = _model(codec, shift=True).train()
        losses = model(self._batch(codec))
        self.assertEqual(set(losses), {"loss_heatmap"})
        losses["loss_heatmap"].backward()
        grad = model.backbone.conv1.weight.grad
        self.assertIsNotNone(grad)
        self.assertGreater(float(grad.abs().sum()), 0)

    def test_dynamic_structure_loss_plugs_in_and_extras_go_to_storage(self):
        meta = get_keypoint_set_metadata("coco")
        dsl = DynamicStructureLoss(
            limb_chains=meta["keypoint_limb_chains"], num_keypoints=17, lambda_limb=0.5
        )
        codec = MSRAHeatmap()
        model = _model(codec, shift=True, loss=dsl).train()
        with EventStorage() as storage:
            losses = model(self._batch(codec))
        self.assertTrue(all(k.startswith("loss_") for k in losses))
        self.assertIn("loss_limb", losses)
        sum(losses.values()).backward()

        class LossWithExtra(torch.nn.Module):
            def forward(self, outputs, targets, weights):
                return {
                    "loss_heatmap": outputs[0].mean(),
                    "peak_mean": outputs[0].amax((2, 3)).mean(),
                }

        model = _model(codec, shift=True, loss=LossWithExtra()).train()
        with EventStorage() as storage:
            losses = model(self._batch(codec))
            self.assertEqual(set(losses), {"loss_heatmap"})
            self.assertIn("peak_mean", storage.latest())

    def test_missing_targets_for_second_output_is_a_clear_error(self):
        codec = MSRAHeatmap()
        torch.manual_seed(0)
        backbone, head = build_network("hrnet_tiny_srpose")
        model = TopDownPoseEstimator(
            backbone=backbone,
            head=head,
            loss=KeypointMSELoss(),
            codec=codec,
            keypoint_flip_indices=COCO_FLIP,
            pixel_mean=MEAN,
            pixel_std=STD,
        ).train()
        with self.assertRaisesRegex(ValueError, "4 outputs"):
            model(self._batch(codec, n_outputs=1))


class TestInputErrors(unittest.TestCase):
    def test_bad_image_and_missing_center(self):
        model = _model(MSRAHeatmap(), shift=True).eval()
        with self.assertRaisesRegex(ValueError, "image_id=7.*'image'"):
            model([{"image": torch.zeros(256, 192), "image_id": 7}])
        sample = _sample(torch.zeros(3, 256, 192, dtype=torch.uint8), (1, 1), (1, 1))
        del sample["center"]
        with self.assertRaisesRegex(ValueError, "lacks 'center'"):
            model([sample])
        with self.assertRaisesRegex(ValueError, "permutation"):
            _model_bad = TopDownPoseEstimator(  # noqa: F841
                backbone=model.backbone,
                head=model.head,
                loss=KeypointMSELoss(),
                codec=MSRAHeatmap(),
                keypoint_flip_indices=[0] * 17,
                pixel_mean=MEAN,
                pixel_std=STD,
            )


class TestInstanceScore(unittest.TestCase):
    def test_box_score_by_default_and_optional_rescoring(self):
        crop = torch.zeros(3, 256, 192, dtype=torch.uint8)
        model = _model(UDPHeatmap(), shift=False).eval()
        out = model([_sample(crop, (300, 200), (240, 320))])[0]
        self.assertAlmostEqual(float(out["instances"].scores[0]), 0.9, places=6)
        model.rescore_keypoint_thr = 0.0
        out = model([_sample(crop, (300, 200), (240, 320))])[0]
        s = out["keypoints"][:, 2]
        expected = 0.9 * float(s[s > 0].mean())
        self.assertAlmostEqual(float(out["instances"].scores[0]), expected, places=5)


class TestYacsRoute(unittest.TestCase):
    @staticmethod
    def _cfg(**topdown):
        from detectron2.config import get_cfg

        from ljof.modeling import add_topdown_config

        cfg = get_cfg()
        add_topdown_config(cfg)
        cfg.MODEL.META_ARCHITECTURE = "TopDownPoseEstimator"
        cfg.MODEL.DEVICE = "cpu"
        cfg.MODEL.TOPDOWN.CONFIG_FILE = "common/models/topdown_hrnet_tiny.py"
        cfg.MODEL.TOPDOWN.update(topdown)
        return cfg

    def test_build_model_from_registry(self):
        from detectron2.modeling import build_model

        model = build_model(self._cfg(KEYPOINT_SET="crowdpose"))
        self.assertIsInstance(model, TopDownPoseEstimator)
        self.assertEqual(model.head.final_layer.out_channels, 14)
        self.assertEqual(model.keypoint_flip_indices[:2], [1, 0])
        self.assertEqual(model.keypoint_flip_indices[12:], [12, 13])

    def test_same_model_as_the_lazy_config_and_overrides_apply(self):
        from detectron2.config import instantiate
        from detectron2.modeling import build_model

        from ljof.model_zoo import get_config

        torch.manual_seed(0)
        lazy = instantiate(get_config("common/models/topdown_hrnet_tiny.py").model)
        torch.manual_seed(0)
        yacs = build_model(self._cfg())
        self.assertEqual(list(yacs.state_dict()), list(lazy.state_dict()))
        for k, v in lazy.state_dict().items():
            self.assertTrue(torch.equal(yacs.state_dict()[k], v), k)
        for attr in ("keypoint_flip_indices", "flip_test", "shift_heatmap", "input_format"):
            self.assertEqual(getattr(yacs, attr), getattr(lazy, attr), attr)
        torch.testing.assert_close(yacs.pixel_mean, lazy.pixel_mean)
        torch.testing.assert_close(yacs.pixel_std, lazy.pixel_std)
        self.assertEqual(
            (yacs.codec.input_size, yacs.codec.heatmap_size, yacs.codec.sigma),
            (lazy.codec.input_size, lazy.codec.heatmap_size, lazy.codec.sigma),
        )
        cfg = self._cfg(OVERRIDES=["model.flip_test=False", "model.codec.sigma=3.0"])
        cfg.INPUT.FORMAT = "RGB"
        model = build_model(cfg)
        self.assertFalse(model.flip_test)
        self.assertEqual(model.codec.sigma, 3.0)
        self.assertEqual(model.input_format, "RGB")

    def test_bad_keys_are_clear_errors(self):
        from detectron2.modeling import build_model

        with self.assertRaisesRegex(RuntimeError, "nope.py is not among LJOF's configs"):
            build_model(self._cfg(CONFIG_FILE="common/models/nope.py"))
        with self.assertRaisesRegex(ValueError, "OVERRIDES"):
            build_model(self._cfg(OVERRIDES=["model.flip_test"]))
        with self.assertRaisesRegex(ValueError, "builds .*DetectorPoseModel"):
            demo = ROOT / "demo" / "configs" / "faster_rcnn_R50_FPN_hrnet_w32.py"
            build_model(self._cfg(CONFIG_FILE=str(demo)))  # a file path works too


if __name__ == "__main__":
    unittest.main()

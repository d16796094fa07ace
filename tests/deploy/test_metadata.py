"""The codec and model settings stored in an exported graph rebuild the same codec (no ONNX needed)."""

import json
import unittest

import numpy as np

import ljof  # noqa: F401
from ljof.data import DARKHeatmap, MSRAHeatmap, UDPHeatmap
from ljof.deploy.metadata import codec_from_metadata, parse_metadata, pose_metadata


class _Model:
    def __init__(self, codec):
        self.codec = codec
        self.keypoint_flip_indices = [0, 2, 1]
        self.input_format = "BGR"
        self.shift_heatmap = not codec.use_udp
        self.rescore_keypoint_thr = 0.2


class TestMetadata(unittest.TestCase):
    def test_codecs_round_trip(self):
        heatmaps = np.random.default_rng(0).random((2, 3, 64, 48)).astype(np.float32)
        for codec in (
            MSRAHeatmap(input_size=(192, 256), heatmap_size=(48, 64), sigma=2.0),
            MSRAHeatmap(heatmap_size=(48, 64), sigma=3.0, unbiased=True, blur_kernel_size=7),
            DARKHeatmap(sigma=2.5, blur_kernel_size=5),
            UDPHeatmap(sigma=2.0, blur_kernel_size=0),
        ):
            with self.subTest(codec=repr(codec)):
                text = json.dumps(pose_metadata(_Model(codec), flip_test=True))
                meta = parse_metadata(text, "x.onnx")
                rebuilt = codec_from_metadata(meta["codec"], "x.onnx")
                self.assertIs(type(rebuilt), type(codec))
                self.assertEqual(vars(rebuilt).keys(), vars(codec).keys())
                for key, value in vars(codec).items():
                    np.testing.assert_array_equal(getattr(rebuilt, key), value)
                for a, b in zip(rebuilt.decode(heatmaps), codec.decode(heatmaps)):
                    np.testing.assert_array_equal(a, b)
                self.assertEqual(meta["rescore_keypoint_thr"], 0.2)
                self.assertEqual(meta["keypoint_flip_indices"], [0, 2, 1])

    def test_bad_metadata(self):
        with self.assertRaisesRegex(ValueError, "m.onnx: metadata 'ljof' is not JSON"):
            parse_metadata("{", "m.onnx")
        with self.assertRaisesRegex(ValueError, "lacks 'codec'"):
            parse_metadata(json.dumps({"version": 1}), "m.onnx")
        with self.assertRaisesRegex(ValueError, "not a codec of ljof.data.codecs"):
            codec_from_metadata({"type": "TopDownDatasetMapper", "args": {}}, "m.onnx")
        with self.assertRaisesRegex(ValueError, "cannot build codec MSRAHeatmap"):
            codec_from_metadata({"type": "MSRAHeatmap", "args": {"sigma": -1.0}}, "m.onnx")

    def test_foreign_codec_refused(self):
        class MyCodec(MSRAHeatmap):
            pass

        with self.assertRaisesRegex(ValueError, "not one of ljof.data.codecs"):
            pose_metadata(_Model(MyCodec()), flip_test=False)


if __name__ == "__main__":
    unittest.main()

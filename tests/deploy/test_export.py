"""ONNX export of every model family: ONNX Runtime vs PyTorch on the fixture crops (reduced networks)."""

import json
import unittest

import numpy as np
import torch

import ljof  # noqa: F401
from tests.common import register_fixture
from tests.deploy.tiny import HAVE_ORT, NO_ORT, tiny_model


@unittest.skipUnless(HAVE_ORT, NO_ORT)
class TestExportParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dataset = register_fixture("coco")

    def _parity(self, family: str, flip_test: bool):
        from ljof.deploy import OnnxPoseModel, compare_backends, export_onnx, fixture_crops

        model = tiny_model(family)
        graph = export_onnx(model, flip_test=flip_test)
        onnx_model = OnnxPoseModel(graph, intra_op_num_threads=1)
        crops = fixture_crops(self.dataset, model.codec, max_crops=4)
        report = compare_backends(model, onnx_model, crops)
        # heatmaps of a trained model's scale, so that the 1e-4 tolerance is a real test
        self.assertGreater(report["heatmap_max_abs"], 0.1, report)
        self.assertLess(report["heatmap_max_abs_diff"], 1e-4, report)
        self.assertLess(report["batch1_max_abs_diff"], 1e-4, report)
        self.assertTrue(report["maxima_identical"], report)
        if model.codec.use_udp:
            self.assertLess(report["keypoint_max_abs_diff_px"], 1e-3, report)
        else:
            self.assertTrue(report["keypoints_identical"], report)
        self.assertTrue(report["passed"], report)
        self.assertEqual(report["crops"], 4)
        return model, onnx_model, graph

    def test_hrnet_flip(self):
        self._parity("hrnet", True)

    def test_hrnet_no_flip(self):
        self._parity("hrnet", False)

    def test_simplebaseline_flip(self):
        self._parity("simplebaseline", True)

    def test_vitpose_udp_flip(self):
        _, onnx_model, _ = self._parity("vitpose", True)
        self.assertEqual(type(onnx_model.codec).__name__, "UDPHeatmap")

    def test_srpose_last_output(self):
        model, onnx_model, _ = self._parity("srpose", True)
        outs = onnx_model.session.get_outputs()
        self.assertEqual(len(outs), 1)
        self.assertEqual(outs[0].shape[1:], [17, 256, 192])  # the finest (stride 1) output
        self.assertEqual(len(model.head.output_strides), 4)

    def test_flip_is_in_the_graph(self):
        """The flip-test graph equals PyTorch with flip test and differs from the one without."""
        from ljof.deploy import OnnxPoseModel, export_onnx

        model = tiny_model("hrnet")
        crops = torch.randint(0, 256, (2, 3, 256, 192), generator=torch.Generator().manual_seed(1))
        crops = crops.to(torch.uint8)
        with torch.no_grad():
            x = model.normalize(crops)
            with_flip = model.predict_heatmaps(x, flip_test=True)[-1].numpy()
            without = model.predict_heatmaps(x, flip_test=False)[-1].numpy()
        for flip, ref, other in ((True, with_flip, without), (False, without, with_flip)):
            onnx_model = OnnxPoseModel(export_onnx(model, flip_test=flip))
            self.assertEqual(onnx_model.flip_test, flip)
            out = onnx_model.run(crops.numpy())
            self.assertLess(np.abs(out - ref).max(), 1e-4)
            self.assertGreater(np.abs(out - other).max(), 1e-3)

    def test_metadata(self):
        import onnx

        from ljof.deploy import export_onnx

        model = tiny_model("vitpose")
        proto = onnx.load_from_string(export_onnx(model, flip_test=True))
        meta = json.loads({p.key: p.value for p in proto.metadata_props}["ljof"])
        self.assertEqual(meta["codec"]["type"], "UDPHeatmap")
        self.assertEqual(meta["codec"]["args"]["input_size"], [192, 256])
        self.assertEqual(meta["keypoint_flip_indices"], model.keypoint_flip_indices)
        self.assertEqual(meta["input_format"], "BGR")
        self.assertTrue(meta["flip_test"])
        self.assertFalse(meta["shift_heatmap"])
        graph_input = proto.graph.input[0]
        self.assertEqual(graph_input.type.tensor_type.elem_type, onnx.TensorProto.UINT8)
        dims = graph_input.type.tensor_type.shape.dim
        self.assertEqual(dims[0].dim_param, "batch")  # dynamic batch
        self.assertEqual([d.dim_value for d in dims[1:]], [3, 256, 192])


if __name__ == "__main__":
    unittest.main()

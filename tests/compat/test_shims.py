import sys
import unittest
from unittest import mock

import numpy as np
from PIL import Image

from ljof import compat


class TestPillowShim(unittest.TestCase):
    def test_linear_alias(self):
        compat.apply()
        self.assertEqual(Image.LINEAR, Image.BILINEAR)

    def test_noop_when_present(self):
        sentinel = object()
        with mock.patch.object(Image, "LINEAR", sentinel, create=True):
            compat._patch_pillow()
            self.assertIs(Image.LINEAR, sentinel)

    def test_adds_when_missing(self):
        saved = Image.__dict__.get("LINEAR")
        try:
            if "LINEAR" in Image.__dict__:
                delattr(Image, "LINEAR")
            self.assertFalse(hasattr(Image, "LINEAR"))
            compat._patch_pillow()
            self.assertEqual(Image.LINEAR, Image.BILINEAR)
        finally:
            if saved is not None:
                Image.LINEAR = saved


class TestNumpyShim(unittest.TestCase):
    def test_aliases(self):
        compat.apply()
        self.assertIs(np.int, int)
        self.assertIs(np.float, float)
        self.assertIs(np.object, object)
        self.assertEqual(np.zeros(2, dtype=np.float).dtype, np.float64)

    def test_noop_when_present(self):
        sentinel = object()
        with mock.patch.object(np, "int", sentinel, create=True):
            compat._patch_numpy()
            self.assertIs(np.int, sentinel)

    def test_numpy_own_bool_is_kept(self):
        # numpy 2 has np.bool again (== np.bool_); the shim must not replace it with Python's bool.
        if "bool" in np.__dict__ and np.__dict__["bool"] is not bool:
            compat._patch_numpy()
            self.assertIs(np.bool, np.bool_)


class TestMissingCompiledOps(unittest.TestCase):
    def setUp(self):
        import detectron2  # noqa: F401

        import ljof  # noqa: F401

    @unittest.skipIf(compat.has_compiled_ops(), "this detectron2 has its compiled ops")
    def test_stand_in_raises_clear_error(self):
        from detectron2 import _C

        with self.assertRaises(compat.MissingCompiledOpError) as ctx:
            _C.box_iou_rotated
        self.assertIn("box_iou_rotated", str(ctx.exception))
        self.assertIn("upstream detectron2", str(ctx.exception))
        self.assertNotIsInstance(ctx.exception, AttributeError)

    @unittest.skipIf(compat.has_compiled_ops(), "this detectron2 has its compiled ops")
    def test_rotated_boxes_and_deform_conv_and_fast_eval(self):
        import torch
        from detectron2.layers import DeformConv
        from detectron2.layers.nms import nms_rotated
        from detectron2.structures import RotatedBoxes, pairwise_iou_rotated

        boxes = RotatedBoxes(torch.tensor([[5.0, 5.0, 4.0, 4.0, 0.0]]))
        with self.assertRaisesRegex(compat.MissingCompiledOpError, "box_iou_rotated"):
            pairwise_iou_rotated(boxes, boxes)
        with self.assertRaisesRegex(compat.MissingCompiledOpError, "nms_rotated"):
            nms_rotated(boxes.tensor, torch.ones(1), 0.5)
        # On the CPU, v0.6's DeformConv runs torchvision's deform_conv2d; only its CUDA path is compiled.
        conv = DeformConv(2, 2, kernel_size=3, padding=1)
        out = conv(torch.zeros(1, 2, 5, 5), torch.zeros(1, 18, 5, 5))
        self.assertEqual(tuple(out.shape), (1, 2, 5, 5))
        from detectron2 import _C

        with self.assertRaisesRegex(compat.MissingCompiledOpError, "deform_conv_forward"):
            _C.deform_conv_forward(None)
        from detectron2.evaluation.fast_eval_api import COCOeval_opt

        self.assertTrue(issubclass(COCOeval_opt, object))
        with self.assertRaisesRegex(compat.MissingCompiledOpError, "COCOevalAccumulate"):
            COCOeval_opt.accumulate(mock.Mock(_paramsEval=None, _evalImgs_cpp=None))

    @unittest.skipIf(compat.has_compiled_ops(), "this detectron2 has its compiled ops")
    def test_environment_report_works_without_ops(self):
        # default_setup() prints detectron2's environment table, which asks _C for its compiler.
        from detectron2.utils.collect_env import collect_env_info

        report = collect_env_info()
        self.assertIn("not compiled", report)
        self.assertIn("PyTorch", report)

    def test_stand_in_installed_only_when_needed(self):
        with (
            mock.patch.object(compat, "has_compiled_ops", return_value=True),
            mock.patch.object(compat, "_install_missing_ops") as install,
        ):
            compat.apply()
            install.assert_not_called()

    def test_stand_in_keeps_real_module(self):
        real = sys.modules.get("detectron2._C")
        marker = object()
        with mock.patch.dict(sys.modules, {"detectron2._C": marker}):
            compat._install_missing_ops()
            self.assertIs(sys.modules["detectron2._C"], marker)
        self.assertIs(sys.modules.get("detectron2._C"), real)

    def test_dunder_lookups_stay_attribute_errors(self):
        module = compat._MissingOpsModule("x")
        self.assertFalse(hasattr(module, "__path__"))

import importlib
import unittest


class TestImports(unittest.TestCase):
    def test_detectron2_modules_after_ljof(self):
        import ljof  # noqa: F401

        for name in [
            "detectron2.data",
            "detectron2.modeling",
            "detectron2.engine",
            "detectron2.evaluation",
            "detectron2.checkpoint",
            "detectron2.config",
            "detectron2.utils.visualizer",
        ]:
            with self.subTest(module=name):
                self.assertIsNotNone(importlib.import_module(name))
        from detectron2.config import LazyConfig

        self.assertTrue(callable(LazyConfig.load))

    def test_model_zoo_configs_are_packaged(self):
        from detectron2 import model_zoo

        import ljof  # noqa: F401

        cfg = model_zoo.get_config("common/models/keypoint_rcnn_fpn.py")
        self.assertEqual(cfg.model.roi_heads.num_classes, 1)
        self.assertEqual(cfg.model.roi_heads.keypoint_head.num_keypoints, 17)
        yaml_cfg = model_zoo.get_config("COCO-Keypoints/keypoint_rcnn_R_50_FPN_1x.yaml")
        self.assertTrue(yaml_cfg.MODEL.KEYPOINT_ON)

    def test_evaluation_libraries(self):
        from pycocotools.cocoeval import COCOeval as PyCOCOeval
        from xtcocotools.cocoeval import COCOeval as XtCOCOeval

        self.assertTrue(hasattr(PyCOCOeval, "computeOks"))
        # xtcocotools implements the CrowdPose protocol (iouType='keypoints_crowd').
        self.assertIn("use_area", XtCOCOeval.__init__.__code__.co_varnames)

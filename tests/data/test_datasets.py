"""Dataset registration, builtin splits and person records on the real COCO / CrowdPose / OCHuman fixtures."""

import json
import os
import tempfile
import unittest

import numpy as np
from detectron2.data import DatasetCatalog, MetadataCatalog

from ljof.data.datasets import (
    get_topdown_dataset,
    register_from_spec,
    register_keypoint_dataset,
)
from ljof.data.datasets.builtin import (
    BUILTIN_SPLITS,
    DATASETS_ROOT,
    register_all_keypoint_datasets,
)
from tests.common import fixture_path, unique_name

COCO_JSON = ("coco", "test_coco.json")
COCO_DET = ("coco", "test_coco_det_AP_H_56.json")
CROWD_JSON = ("crowdpose", "test_crowdpose.json")
CROWD_DET = ("crowdpose", "test_crowdpose_det_AP_40.json")
OCH_JSON = ("ochuman", "test_ochuman.json")


def _register(json_parts, keypoint_set="coco", det_parts=None, det_score_thr=0.0):
    name = unique_name("ds")
    register_keypoint_dataset(
        name,
        fixture_path(*json_parts),
        fixture_path(json_parts[0]),
        keypoint_set=keypoint_set,
        det_file=None if det_parts is None else fixture_path(*det_parts),
        det_score_thr=det_score_thr,
    )
    return name


def _unregister_builtin():
    for name in BUILTIN_SPLITS:
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)


class TestInstanceCounts(unittest.TestCase):
    """MMPose's dataset lengths (MMPose 1.x tests/test_datasets/test_datasets/test_body_datasets/)."""

    def test_counts(self):
        cases = [
            ("coco gt", (COCO_JSON, "coco", None, 0.0), 12),
            ("coco det", (COCO_JSON, "coco", COCO_DET, 0.0), 118),
            ("coco det thr 0.3", (COCO_JSON, "coco", COCO_DET, 0.3), 33),
            ("crowdpose gt", (CROWD_JSON, "crowdpose", None, 0.0), 4),
            ("crowdpose det", (CROWD_JSON, "crowdpose", CROWD_DET, 0.0), 6),
            ("crowdpose det thr 0.97", (CROWD_JSON, "crowdpose", CROWD_DET, 0.97), 5),
            ("ochuman gt", (OCH_JSON, "coco", None, 0.0), 5),
        ]
        for label, args, expected in cases:
            with self.subTest(label):
                self.assertEqual(len(get_topdown_dataset(_register(*args))), expected)

    def test_score_threshold_override_and_gt_of_det_split(self):
        name = _register(COCO_JSON, "coco", COCO_DET)
        self.assertEqual(len(get_topdown_dataset(name, det_score_thr=0.3)), 33)
        self.assertEqual(len(get_topdown_dataset(name, use_detections=False)), 12)
        with self.assertRaisesRegex(ValueError, "no det_file"):
            get_topdown_dataset(_register(COCO_JSON), use_detections=True)

    def test_several_names_concatenate(self):
        records = get_topdown_dataset([_register(COCO_JSON), _register(OCH_JSON)])
        self.assertEqual(len(records), 17)
        self.assertEqual(len({r["dataset_name"] for r in records}), 2)


class TestPersonRecords(unittest.TestCase):
    def test_gt_record_fields_and_pixel_index_keypoints(self):
        name = _register(COCO_JSON)
        records = get_topdown_dataset(name)
        with open(fixture_path(*COCO_JSON)) as f:
            anns = {a["id"]: a for a in json.load(f)["annotations"]}
        for r in records:
            self.assertEqual(
                set(r),
                {"file_name", "image_id", "height", "width", "bbox", "bbox_score", "keypoints",
                 "annotation_id", "area", "dataset_name"},
            )  # fmt: skip
            ann = anns[r["annotation_id"]]
            self.assertEqual(r["keypoints"].dtype, np.float32)
            self.assertEqual(r["keypoints"].shape, (17, 3))
            # Round trip: load_coco_json's +0.5 is removed again, records equal the json exactly.
            np.testing.assert_array_equal(r["keypoints"].reshape(-1), ann["keypoints"])
            self.assertEqual(r["bbox_score"], 1.0)
            self.assertEqual(r["area"], ann["area"])
            self.assertEqual(r["dataset_name"], name)
            self.assertTrue(os.path.isfile(r["file_name"]))

    def test_image_dicts_carry_detectron2_offset(self):
        name = _register(OCH_JSON)
        dicts = DatasetCatalog.get(name)
        with open(fixture_path(*OCH_JSON)) as f:
            anns = {a["id"]: a for a in json.load(f)["annotations"]}
        records = {r["annotation_id"]: r for r in get_topdown_dataset(name)}
        for d in dicts:
            for a in d["annotations"]:
                raw = np.asarray(anns[a["id"]]["keypoints"]).reshape(-1, 3)
                d2 = np.asarray(a["keypoints"]).reshape(-1, 3)
                np.testing.assert_allclose(d2[:, :2], raw[:, :2] + 0.5, atol=1e-9)
                # OCHuman has sub-pixel floats: records equal the json up to float32 rounding.
                np.testing.assert_allclose(records[a["id"]]["keypoints"], raw, rtol=0, atol=1e-4)

    def test_gt_boxes_clipped_to_image(self):
        # Annotation 533949 of image 197388 (640 px wide) ends at x = 639.21 > 639.
        records = {r["annotation_id"]: r for r in get_topdown_dataset(_register(COCO_JSON))}
        x, y, w, h = records[533949]["bbox"]
        self.assertAlmostEqual(x + w, 639.0, places=9)
        self.assertAlmostEqual(x, 372.58, places=9)

    def test_filtered_annotations(self):
        # 1202706 and 508900 have num_keypoints 0 (COCO), 131039 too (CrowdPose): dropped.
        coco_ids = {r["annotation_id"] for r in get_topdown_dataset(_register(COCO_JSON))}
        self.assertNotIn(1202706, coco_ids)
        self.assertNotIn(508900, coco_ids)
        crowd = get_topdown_dataset(_register(CROWD_JSON, "crowdpose"))
        self.assertNotIn(131039, {r["annotation_id"] for r in crowd})
        self.assertEqual(crowd[0]["keypoints"].shape, (14, 3))

    def test_detection_records(self):
        records = get_topdown_dataset(_register(COCO_JSON, "coco", COCO_DET))
        with open(fixture_path(*COCO_DET)) as f:
            dets = json.load(f)
        self.assertEqual([r["bbox"] for r in records], [d["bbox"] for d in dets])  # not clipped
        self.assertEqual([r["bbox_score"] for r in records], [d["score"] for d in dets])
        for r in records:
            self.assertIsNone(r["annotation_id"])
            self.assertFalse(r["keypoints"].any())
            self.assertAlmostEqual(r["area"], r["bbox"][2] * r["bbox"][3])

    def test_detection_with_unknown_image_is_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            det = os.path.join(tmp, "det.json")
            with open(det, "w") as f:
                json.dump(
                    [{"image_id": 99999, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 1}], f
                )
            name = unique_name("ds_baddet")
            register_keypoint_dataset(
                name, fixture_path(*COCO_JSON), fixture_path("coco"), det_file=det
            )
            with self.assertRaisesRegex(ValueError, r"det\.json, record 0: image_id 99999"):
                get_topdown_dataset(name)


class TestRegistration(unittest.TestCase):
    def test_metadata_fields(self):
        name = _register(CROWD_JSON, "crowdpose", CROWD_DET, 0.5)
        meta = MetadataCatalog.get(name)
        self.assertEqual(meta.evaluator_type, "topdown_keypoints")
        self.assertEqual(meta.keypoint_set, "crowdpose")
        self.assertEqual(len(meta.keypoint_names), 14)
        self.assertEqual(len(meta.keypoint_oks_sigmas), 14)
        self.assertEqual(meta.keypoint_limb_chains, [[4, 2, 0, 1, 3, 5], [10, 8, 6, 7, 9, 11]])
        self.assertEqual(meta.json_file, fixture_path(*CROWD_JSON))
        self.assertEqual(meta.det_file, fixture_path(*CROWD_DET))
        self.assertEqual(meta.det_score_thr, 0.5)
        self.assertEqual(meta.thing_classes, ["person"])

    def test_register_from_spec(self):
        name = unique_name("spec")
        spec = f"{name}={fixture_path(*CROWD_JSON)}:{fixture_path('crowdpose')}:crowdpose"
        self.assertEqual(register_from_spec(spec), name)
        self.assertEqual(MetadataCatalog.get(name).keypoint_set, "crowdpose")
        self.assertEqual(len(get_topdown_dataset(name)), 4)
        self.assertEqual(register_from_spec(spec), name)  # same files again: no-op
        default = unique_name("spec")
        register_from_spec(f"{default}={fixture_path(*COCO_JSON)}:{fixture_path('coco')}")
        self.assertEqual(MetadataCatalog.get(default).keypoint_set, "coco")

    def test_register_flag_shared_by_the_tools(self):
        import argparse

        from ljof.data.datasets import add_register_argument, register_from_specs

        parser = argparse.ArgumentParser()
        add_register_argument(parser)
        self.assertEqual(parser.parse_args([]).register, [])
        a, b = unique_name("flag"), unique_name("flag")
        args = parser.parse_args(
            [
                "--register",
                f"{a}={fixture_path(*COCO_JSON)}:{fixture_path('coco')}",
                "--register",
                f"{b}={fixture_path(*OCH_JSON)}:{fixture_path('ochuman')}:coco",
            ]
        )
        self.assertEqual(register_from_specs(args.register), [a, b])
        self.assertEqual(len(get_topdown_dataset(b)), 5)

    def test_bad_specs(self):
        for spec in ["noequals", "n=only_json", "n=a:b:c:d", "=a:b", "n=a:b:mpii", "n=:b"]:
            with self.subTest(spec), self.assertRaisesRegex(ValueError, "NAME=JSON:IMAGE_ROOT"):
                register_from_spec(spec)

    def test_conflicting_registration(self):
        name = _register(COCO_JSON)
        with self.assertRaisesRegex(ValueError, "already registered with other files"):
            register_keypoint_dataset(name, fixture_path(*OCH_JSON), fixture_path("ochuman"))
        with self.assertRaisesRegex(ValueError, "unknown keypoint_set"):
            register_keypoint_dataset(unique_name("x"), "a.json", "img", keypoint_set="mpii")


class TestBuiltinSplits(unittest.TestCase):
    EXPECTED = {
        "ljof_coco_2017_train", "ljof_coco_2017_val", "ljof_coco_2017_val_det", "ljof_ochuman_val",
        "ljof_ochuman_test", "ljof_crowdpose_train", "ljof_crowdpose_val", "ljof_crowdpose_trainval",
        "ljof_crowdpose_test", "ljof_crowdpose_test_det",
    }  # fmt: skip

    def test_registered_at_import(self):
        self.assertEqual(set(BUILTIN_SPLITS), self.EXPECTED)
        registered = set(DatasetCatalog.list())
        for name in self.EXPECTED:
            meta = MetadataCatalog.get(name)
            self.assertIn(name, registered)
            self.assertEqual(meta.evaluator_type, "topdown_keypoints")
        self.assertEqual(MetadataCatalog.get("ljof_crowdpose_test").keypoint_set, "crowdpose")
        self.assertEqual(MetadataCatalog.get("ljof_ochuman_test").keypoint_set, "coco")
        self.assertTrue(
            MetadataCatalog.get("ljof_coco_2017_val_det").det_file.endswith(
                "COCO_val2017_detections_AP_H_56_person.json"
            )
        )
        self.assertTrue(
            MetadataCatalog.get("ljof_crowdpose_test_det").det_file.endswith(
                "det_for_crowd_test_0.1_0.5.json"
            )
        )

    def test_missing_files_error_names_path_layout_and_source(self):
        meta = MetadataCatalog.get("ljof_crowdpose_test_det")
        if os.path.exists(meta.json_file):
            self.skipTest(
                f"{meta.json_file} exists here: the missing-file error cannot be provoked"
            )
        for use in (lambda: DatasetCatalog.get("ljof_crowdpose_test_det"),
                    lambda: get_topdown_dataset("ljof_crowdpose_test_det")):  # fmt: skip
            with self.assertRaises(FileNotFoundError) as ctx:
                use()
            msg = str(ctx.exception)
            self.assertIn(meta.json_file, msg)
            self.assertIn("Expected layout under $DETECTRON2_DATASETS", msg)
            self.assertIn("github.com/Jeff-sjtu/CrowdPose", msg)

    def test_layout_under_a_root(self):
        # Build the documented layout from the fixtures (symlinks) and register the builtin splits there.
        def link(src, dst):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.symlink(src, dst)

        with tempfile.TemporaryDirectory() as root:
            ann = os.path.join(root, "coco", "annotations", "person_keypoints_val2017.json")
            link(fixture_path(*COCO_JSON), ann)
            link(fixture_path("coco"), os.path.join(root, "coco", "val2017"))
            det = "COCO_val2017_detections_AP_H_56_person.json"
            link(
                fixture_path(*COCO_DET), os.path.join(root, "coco", "person_detection_results", det)
            )
            och = "ochuman_coco_format_test_range_0.00_1.00.json"
            link(fixture_path(*OCH_JSON), os.path.join(root, "ochuman", "annotations", och))
            link(fixture_path("ochuman"), os.path.join(root, "ochuman", "images"))
            crowd = os.path.join(root, "crowdpose", "annotations")
            link(fixture_path(*CROWD_JSON), os.path.join(crowd, "mmpose_crowdpose_test.json"))
            link(fixture_path(*CROWD_DET), os.path.join(crowd, "det_for_crowd_test_0.1_0.5.json"))
            link(fixture_path("crowdpose"), os.path.join(root, "crowdpose", "images"))
            original = {n: MetadataCatalog.get(n).json_file for n in BUILTIN_SPLITS}
            try:
                _unregister_builtin()
                register_all_keypoint_datasets(root)
                counts = {
                    n: len(get_topdown_dataset(n))
                    for n in ("ljof_coco_2017_val", "ljof_coco_2017_val_det", "ljof_ochuman_test",
                              "ljof_crowdpose_test", "ljof_crowdpose_test_det")
                }  # fmt: skip
            finally:
                _unregister_builtin()
                register_all_keypoint_datasets(DATASETS_ROOT)
            self.assertEqual(
                counts,
                {"ljof_coco_2017_val": 12, "ljof_coco_2017_val_det": 118, "ljof_ochuman_test": 5,
                 "ljof_crowdpose_test": 4, "ljof_crowdpose_test_det": 6},
            )  # fmt: skip
        self.assertEqual({n: MetadataCatalog.get(n).json_file for n in BUILTIN_SPLITS}, original)

    def test_missing_image_root_and_det_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            name = unique_name("ds_missing")
            register_keypoint_dataset(name, fixture_path(*COCO_JSON), os.path.join(tmp, "nope"))
            with self.assertRaisesRegex(FileNotFoundError, "image folder .*nope"):
                get_topdown_dataset(name)
            name = unique_name("ds_missing")
            det = os.path.join(tmp, "det.json")
            register_keypoint_dataset(name, fixture_path(*COCO_JSON), tmp, det_file=det)
            with self.assertRaisesRegex(FileNotFoundError, "person detection file .*det.json"):
                get_topdown_dataset(name)


class TestDetectron2EvaluatorWithoutLoading(unittest.TestCase):
    """detectron2's COCOEvaluator maps contiguous class ids back with thing_dataset_id_to_contiguous_id;
    registration sets it without reading the json, so scoring works before the dataset is ever loaded."""

    def test_coco_evaluator_before_any_load(self):
        import torch
        from detectron2.evaluation import COCOEvaluator
        from detectron2.structures import Boxes, BoxMode, Instances

        name = _register(COCO_JSON)
        meta = MetadataCatalog.get(name)
        self.assertEqual(meta.thing_dataset_id_to_contiguous_id, {1: 0})
        with open(fixture_path(*COCO_JSON)) as f:
            gt = json.load(f)
        sizes = {im["id"]: (im["height"], im["width"]) for im in gt["images"]}
        evaluator = COCOEvaluator(
            name,
            tasks=("keypoints",),
            distributed=False,
            use_fast_impl=False,  # the fast COCOeval is a compiled op
            kpt_oks_sigmas=meta.keypoint_oks_sigmas,
        )
        evaluator.reset()
        for image_id, (h, w) in sizes.items():
            anns = [
                a
                for a in gt["annotations"]
                if a["image_id"] == image_id and a["num_keypoints"] > 0 and not a["iscrowd"]
            ]
            inst = Instances((h, w))
            boxes = [BoxMode.convert(a["bbox"], BoxMode.XYWH_ABS, BoxMode.XYXY_ABS) for a in anns]
            inst.pred_boxes = Boxes(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4))
            inst.scores = torch.ones(len(anns))
            inst.pred_classes = torch.zeros(len(anns), dtype=torch.int64)
            kpts = torch.tensor([a["keypoints"] for a in anns], dtype=torch.float32).reshape(
                -1, 17, 3
            )
            kpts[:, :, :2] += 0.5  # detectron2's convention; COCOEvaluator subtracts it again
            inst.pred_keypoints = kpts
            evaluator.process([{"image_id": image_id}], [{"instances": inst}])
        results = evaluator.evaluate()
        self.assertAlmostEqual(results["keypoints"]["AP"], 100.0, places=6)
        # Loading the dataset later keeps the same mapping (Metadata refuses changed values).
        DatasetCatalog.get(name)
        self.assertEqual(meta.thing_dataset_id_to_contiguous_id, {1: 0})


def _write_json(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        json.dump(data, f)
    return path


def _coco_with_person_id(person_id, extra_categories=(), extra_annotations=()):
    with open(fixture_path(*COCO_JSON)) as f:
        data = json.load(f)
    data["categories"] = [dict(data["categories"][0], id=person_id), *extra_categories]
    for ann in data["annotations"]:
        ann["category_id"] = person_id
    data["annotations"] += list(extra_annotations)
    return data


class TestPersonCategoryId(unittest.TestCase):
    """A json whose person category is not id 1 loads (it used to fail inside detectron2 with an
    assertion about thing_dataset_id_to_contiguous_id) and evaluates to 100 with GT as predictions."""

    def test_person_id_2_and_0_load_and_evaluate(self):
        from ljof.evaluation import TopDownKeypointEvaluator

        for person_id in (2, 0):
            with self.subTest(person_id=person_id), tempfile.TemporaryDirectory() as tmp:
                path = _write_json(tmp, "gt.json", _coco_with_person_id(person_id))
                name = unique_name("ds_pid")
                register_keypoint_dataset(name, path, fixture_path("coco"))
                with self.assertLogs("ljof.data.datasets", level="INFO") as logs:
                    records = get_topdown_dataset(name)
                self.assertEqual(len(records), 12)  # as with id 1
                self.assertTrue(any(f"person category id {person_id}" in m for m in logs.output))
                meta = MetadataCatalog.get(name)
                self.assertEqual(meta.thing_dataset_id_to_contiguous_id, {person_id: 0})
                self.assertEqual(meta.thing_classes, ["person"])
                dicts = DatasetCatalog.get(name)  # a second load keeps the corrected metadata
                self.assertEqual({a["category_id"] for d in dicts for a in d["annotations"]}, {0})
                register_keypoint_dataset(name, path, fixture_path("coco"))  # same files: no-op
                evaluator = TopDownKeypointEvaluator(name, distributed=False)
                evaluator.process(
                    [{"image_id": r["image_id"]} for r in records],
                    [{"image_id": r["image_id"], "keypoints": r["keypoints"], "bbox_score": 1.0,
                      "bbox_area": r["bbox"][2] * r["bbox"][3]} for r in records],
                )  # fmt: skip
                self.assertEqual(evaluator.evaluate()["keypoints"]["AP"], 100.0)

    def test_other_categories_are_dropped(self):
        dog = {"id": 1, "name": "dog", "supercategory": "animal"}
        dog_ann = {"id": 999001, "image_id": 785, "category_id": 1, "iscrowd": 0, "area": 500.0,
                   "bbox": [10, 10, 30, 20], "num_keypoints": 1,
                   "keypoints": [20, 20, 2] + [0] * 48}  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            path = _write_json(tmp, "gt.json", _coco_with_person_id(2, [dog], [dog_ann]))
            det = _write_json(tmp, "det.json", [
                {"image_id": 785, "category_id": 1, "bbox": [1, 2, 30, 40], "score": 0.9},  # a dog
                {"image_id": 785, "category_id": 2, "bbox": [5, 6, 30, 40], "score": 0.8},
            ])  # fmt: skip
            name = unique_name("ds_dog")
            register_keypoint_dataset(name, path, fixture_path("coco"), det_file=det)
            gt_records = get_topdown_dataset(name, use_detections=False)
            det_records = get_topdown_dataset(name)
        self.assertEqual(len(gt_records), 12)
        self.assertNotIn(999001, {r["annotation_id"] for r in gt_records})
        self.assertEqual([r["bbox"] for r in det_records], [[5.0, 6.0, 30.0, 40.0]])

    def test_no_person_category_is_an_error(self):
        data = _coco_with_person_id(3, [{"id": 4, "name": "dog"}])
        data["categories"][0]["name"] = "human"
        with tempfile.TemporaryDirectory() as tmp:
            name = unique_name("ds_noperson")
            register_keypoint_dataset(name, _write_json(tmp, "gt.json", data), fixture_path("coco"))
            with self.assertRaisesRegex(ValueError, r"gt.json: none of the 2 categories is named"):
                get_topdown_dataset(name)


class TestDetectionFileChecks(unittest.TestCase):
    def _records(self, dets):
        with tempfile.TemporaryDirectory() as tmp:
            det = _write_json(tmp, "det.json", dets)
            name = unique_name("ds_detcheck")
            register_keypoint_dataset(name, fixture_path(*COCO_JSON), fixture_path("coco"),
                                      det_file=det)  # fmt: skip
            return get_topdown_dataset(name)

    def test_zero_and_negative_area_boxes_dropped_with_a_count(self):
        dets = [
            {"image_id": 785, "category_id": 1, "bbox": [1, 2, 30, 40], "score": 0.9},
            {"image_id": 785, "category_id": 1, "bbox": [1, 2, 0, 40], "score": 0.9},
            {"image_id": 785, "category_id": 1, "bbox": [1, 2, 30, -4], "score": 0.9},
        ]
        with self.assertLogs("ljof.data.datasets.topdown", level="WARNING") as logs:
            records = self._records(dets)
        self.assertEqual([r["bbox"] for r in records], [[1.0, 2.0, 30.0, 40.0]])
        self.assertIn("2 boxes of zero or negative width/height dropped", logs.output[0])

    def test_non_finite_numbers_are_an_error(self):
        for field, value in (("bbox", [1, 2, float("nan"), 4]), ("score", float("inf"))):
            with self.subTest(field):
                dets = [
                    {"image_id": 785, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9},
                    {"image_id": 785, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9},
                ]
                dets[1][field] = value
                with self.assertRaisesRegex(ValueError, r"det.json, record 1: non-finite number"):
                    self._records(dets)


if __name__ == "__main__":
    unittest.main()

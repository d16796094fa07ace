"""No record breaks the pipeline: property-based tests of the mapper on random and degenerate records.

Every record either maps to a well-formed sample (finite values, the right shapes) or raises a
``ValueError`` that names the record; nothing else escapes, in training (the random policy: flip,
half-body, shift/scale/rotation, LJA) and at test time, for COCO-17 and CrowdPose-14.
"""

import os
import tempfile
import unittest

import cv2
import numpy as np
from detectron2.data import MetadataCatalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ljof.data import LimbJointAugmentation, MSRAHeatmap, TopDownDatasetMapper, UDPHeatmap
from ljof.data.augmentations import build_topdown_augmentations
from tests.common import register_fixture

HEIGHT, WIDTH = 48, 64
EXAMPLES = 500  # per test: 4 tests x 500 = 2,000 examples per run
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # fixed examples: the same 2,000 records every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_coord = st.one_of(
    st.floats(-2 * WIDTH, 3 * WIDTH, allow_nan=False),
    st.sampled_from([0.0, WIDTH - 1.0, 10.0, 10.0 + 1e-6]),  # repeated values make joints coincide
)
_size = st.one_of(
    st.floats(1e-4, 4 * WIDTH),
    st.sampled_from([1e-4, 0.5, 1.0, 3.0, float(WIDTH)]),
    st.floats(-5.0, 0.0),  # zero or negative: an error that names the record
)


@st.composite
def records(draw, num_keypoints: int):
    box = [draw(_coord), draw(_coord), draw(_size), draw(_size)]
    kind = draw(st.sampled_from(["random", "coincide", "single", "outside", "none"]))
    kpts = np.zeros((num_keypoints, 3), np.float32)
    if kind == "random":
        for j in range(num_keypoints):
            kpts[j] = [draw(_coord), draw(_coord), draw(st.sampled_from([0, 1, 2]))]
    elif kind == "coincide":  # every labeled joint on one pixel
        x, y = draw(_coord), draw(_coord)
        kpts[:, :2] = [x, y]
        kpts[:, 2] = 2
    elif kind == "single":
        j = draw(st.integers(0, num_keypoints - 1))
        kpts[j] = [draw(_coord), draw(_coord), 2]
    elif kind == "outside":
        kpts[:, 0] = draw(st.sampled_from([-1e4, 1e4]))
        kpts[:, 1] = draw(_coord)
        kpts[:, 2] = 2
    return {"bbox": box, "keypoints": kpts}


class _MapperProperties:
    keypoint_set = "coco"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        image = np.random.default_rng(0).integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        cls.file_name = os.path.join(cls.tmp.name, "image.png")
        cv2.imwrite(cls.file_name, image)
        name = register_fixture("crowdpose" if cls.keypoint_set == "crowdpose" else "coco")
        cls.meta = MetadataCatalog.get(name)
        cls.num_keypoints = len(cls.meta.keypoint_names)
        small = dict(input_size=(24, 32), heatmap_size=(12, 16), sigma=1.0)
        policy = build_topdown_augmentations(cls.meta, flip_prob=0.5, half_body_prob=0.5)
        lja = LimbJointAugmentation.from_metadata(cls.meta, alpha=0.5)
        cls.mappers = [
            TopDownDatasetMapper(
                True, metadata=cls.meta, codecs=[MSRAHeatmap(**small)], augmentations=policy, lja=lja
            ),
            TopDownDatasetMapper(True, metadata=cls.meta, codecs=[UDPHeatmap(**small)], lja=lja),
            TopDownDatasetMapper(False, metadata=cls.meta, codecs=[MSRAHeatmap(**small)]),
            TopDownDatasetMapper(False, metadata=cls.meta, codecs=[UDPHeatmap(**small)]),
        ]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def _record(self, drawn, index):
        return dict(
            drawn,
            file_name=self.file_name,
            image_id=index,
            annotation_id=1000 + index,
            height=HEIGHT,
            width=WIDTH,
            bbox_score=1.0,
            dataset_name=self.meta.name,
        )

    def _check(self, mapper, record):
        try:
            sample = mapper(record)
        except ValueError as e:  # allowed: a clear error that names the record
            self.assertIn(f"annotation_id={record['annotation_id']}", str(e))
            self.assertIn(self.file_name, str(e))
            w, h = record["bbox"][2:]
            self.assertFalse(w > 0 and h > 0, f"a positive-size box raised: {e}")
            return
        self.assertEqual(tuple(sample["image"].shape), (3, 32, 24))
        for key in ("center", "scale", "warp_matrix", "keypoints"):
            self.assertTrue(bool(np.all(np.isfinite(sample[key].numpy()))), key)
        if mapper.is_train:
            for hm, w in zip(sample["heatmaps"], sample["target_weights"]):
                self.assertTrue(bool(np.all(np.isfinite(hm.numpy()))))
                self.assertTrue(set(np.unique(w.numpy())) <= {0.0, 1.0})

    def _run(self, drawn, train: bool):
        record = self._record(drawn, index=0)
        for mapper in self.mappers:
            if mapper.is_train == train:
                np.random.seed(0)
                self._check(mapper, record)


def _property_tests(keypoint_set: str, num_keypoints: int):
    class Tests(_MapperProperties, unittest.TestCase):
        @SETTINGS
        @given(drawn=records(num_keypoints))
        def test_train(self, drawn):
            self._run(drawn, train=True)

        @SETTINGS
        @given(drawn=records(num_keypoints))
        def test_test(self, drawn):
            self._run(drawn, train=False)

    Tests.keypoint_set = keypoint_set
    Tests.__name__ = Tests.__qualname__ = f"TestMapperProperties_{keypoint_set}"
    return Tests


TestMapperPropertiesCoco = _property_tests("coco", 17)
TestMapperPropertiesCrowdPose = _property_tests("crowdpose", 14)


class TestHalfBodyOnCoincidingJoints(unittest.TestCase):
    """The reported case: 9 labeled joints, the three labeled upper-body joints on one pixel and six
    spread-out leg joints; with half-body forced every sample maps (the window falls back to the box)."""

    def test_forced_half_body(self):
        from tests.data.fixture_records import fixture_records

        records, meta = fixture_records("coco")
        r = dict(records[0])
        kpts = np.zeros((17, 3), np.float32)
        kpts[[0, 5, 6]] = [200.0, 150.0, 2]  # nose and shoulders on the same pixel
        kpts[11:17] = [[180, 300, 2], [220, 300, 2], [175, 380, 2], [225, 380, 2], [170, 460, 2],
                       [230, 460, 2]]
        r["keypoints"] = kpts
        for half_body_prob, upper in ((1.0, 1.0), (0.3, 0.7)):
            policy = build_topdown_augmentations(meta, half_body_prob=half_body_prob)
            policy[1].upper_prioritized_prob = upper
            mapper = TopDownDatasetMapper(True, metadata=meta, augmentations=policy)
            np.random.seed(0)
            for _ in range(100):
                s = mapper(r)
                self.assertTrue(bool(np.all(np.isfinite(s["warp_matrix"].numpy()))))


if __name__ == "__main__":
    unittest.main()

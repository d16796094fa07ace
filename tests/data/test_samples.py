"""One test-sample builder and one pixel convention: ``ljof.data.topdown_test_sample`` (the mapper's and
``DetectorPoseModel``'s samples) and ``ljof.structures.pixel_index_scale_matrix``."""

import unittest

import numpy as np
import torch

from ljof.data import topdown_test_sample, window_area
from ljof.data.image_io import reduction_matrix
from ljof.structures import D2_KEYPOINT_OFFSET, pixel_index_scale_matrix


class TestTopDownTestSample(unittest.TestCase):
    def test_fields_types_and_copies(self):
        crop = np.arange(4 * 3 * 3, dtype=np.uint8).reshape(4, 3, 3)
        box = [1.0, 2.0, 3.0, 4.0]
        sample = topdown_test_sample(
            crop, center=(5.5, 6.25), scale=np.array([3.75, 5.0]), bbox=box, bbox_score=0.5,
            image_id=7, height=20, width=30,
        )  # fmt: skip
        self.assertEqual(tuple(sample["image"].shape), (3, 4, 3))
        self.assertTrue(torch.equal(sample["image"][:, 1, 2], torch.from_numpy(crop[1, 2])))
        self.assertEqual(sample["center"].dtype, torch.float32)
        self.assertEqual(sample["center"].tolist(), [5.5, 6.25])
        self.assertEqual(sample["scale"].tolist(), [3.75, 5.0])
        self.assertEqual(sample["bbox_area"], 3.75 * 5.0)
        self.assertEqual(window_area((3.75, 5.0)), 18.75)
        self.assertEqual((sample["bbox_score"], sample["image_id"]), (0.5, 7))
        self.assertEqual((sample["height"], sample["width"]), (20, 30))
        self.assertEqual(sample["bbox"], box)
        self.assertIsNot(sample["bbox"], box)

    def test_grey_crop_gets_a_channel(self):
        sample = topdown_test_sample(
            np.zeros((4, 3), np.uint8), center=(0, 0), scale=(1, 1), bbox=(0, 0, 1, 1)
        )
        self.assertEqual(tuple(sample["image"].shape), (1, 4, 3))
        self.assertEqual(sample["bbox_score"], 1.0)


class TestPixelConvention(unittest.TestCase):
    def test_resize_matrix_scales_continuous_coordinates(self):
        rng = np.random.default_rng(0)
        xy = rng.uniform(0, 100, size=(5, 2))
        for sx, sy in ((0.5, 0.25), (2.0, 3.0), (0.37, 1.9)):
            m = pixel_index_scale_matrix(sx, sy)
            got = xy @ m[:, :2].T + m[:, 2]
            # pixel index -> continuous (+0.5), scale, back to pixel index
            expected = (xy + D2_KEYPOINT_OFFSET) * [sx, sy] - D2_KEYPOINT_OFFSET
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)

    def test_reduced_decode_is_the_same_matrix(self):
        for factor, offset in ((1, 0.0), (2, -0.25), (4, -0.375), (8, -0.4375)):
            m = reduction_matrix(factor)
            self.assertTrue(np.array_equal(m, pixel_index_scale_matrix(1 / factor, 1 / factor)))
            self.assertEqual((m[0, 0], m[0, 2], m[1, 2]), (1 / factor, offset, offset))


if __name__ == "__main__":
    unittest.main()

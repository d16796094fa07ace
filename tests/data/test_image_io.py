import glob
import os
import tempfile
import unittest

import numpy as np
from detectron2.data.detection_utils import read_image
from PIL import Image

from ljof.data.image_io import read_image_for_crop
from tests.common import FIXTURES


class TestReadImageForCrop(unittest.TestCase):
    def test_identical_to_detectron2_read_image_on_fixtures(self):
        files = sorted(glob.glob(os.path.join(str(FIXTURES), "*", "*.jpg")))
        self.assertEqual(len(files), 9)
        for path in files:
            for fmt in ("BGR", "RGB"):
                ours, factor = read_image_for_crop(path, format=fmt)
                self.assertEqual(factor, 1)
                np.testing.assert_array_equal(ours, read_image(path, format=fmt), err_msg=path)
                self.assertTrue(ours.flags.c_contiguous)
            gray, _ = read_image_for_crop(path, format="L")
            np.testing.assert_array_equal(gray, read_image(path, format="L"))

    def test_reduced_sizes(self):
        path = sorted(glob.glob(os.path.join(str(FIXTURES), "ochuman", "*.jpg")))[0]
        h, w = read_image(path, format="BGR").shape[:2]
        for max_red, want in ((1, 1), (2, 2), (3, 2), (5, 4), (8, 8), (100, 8)):
            img, factor = read_image_for_crop(path, format="BGR", max_reduction=max_red)
            self.assertEqual(factor, want)
            self.assertEqual(img.shape, (-(-h // want), -(-w // want), 3))

    def test_exif_orientation_and_png(self):
        with tempfile.TemporaryDirectory() as d:
            rng = np.random.default_rng(0)
            arr = rng.integers(0, 255, (40, 64, 3), dtype=np.uint8)
            for orientation in (2, 3, 6, 8):
                im = Image.fromarray(arr)
                exif = im.getexif()
                exif[0x0112] = orientation
                path = os.path.join(d, f"o{orientation}.jpg")
                im.save(path, exif=exif.tobytes(), quality=95)
                img, factor = read_image_for_crop(path, format="BGR", max_reduction=4)
                self.assertEqual(factor, 1)  # re-oriented JPEGs are decoded in full
                np.testing.assert_array_equal(img, read_image(path, format="BGR"))
            png = os.path.join(d, "x.png")
            Image.fromarray(arr).save(png)
            img, factor = read_image_for_crop(png, format="RGB", max_reduction=4)
            self.assertEqual(factor, 1)
            np.testing.assert_array_equal(img, arr)

    def test_errors(self):
        with self.assertRaises(FileNotFoundError):
            read_image_for_crop("/nonexistent/file.jpg", format="BGR")
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.jpg")
            with open(bad, "wb") as f:
                f.write(b"not an image at all")
            with self.assertRaises(Exception):
                read_image_for_crop(bad, format="BGR", max_reduction=2)


if __name__ == "__main__":
    unittest.main()

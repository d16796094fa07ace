"""A json image entry without width or height: one line naming the json, the image id and file name, and
the size read from the image header (instead of detectron2's bare ``KeyError: 'height'``)."""

import json
import os
import tempfile
import unittest

from PIL import Image

from ljof.data.datasets import get_topdown_dataset, register_keypoint_dataset
from ljof.errors import InputError
from tests.common import fixture_path, unique_name


class TestImageEntries(unittest.TestCase):
    def test_missing_width_or_height_is_named(self):
        with open(fixture_path("coco", "test_coco.json")) as f:
            data = json.load(f)
        entry = data["images"][1]
        with Image.open(os.path.join(fixture_path("coco"), entry["file_name"])) as image:
            size = f"(this image is width {image.width}, height {image.height})"
        for field in ("height", "width"):
            broken = json.loads(json.dumps(data))
            del broken["images"][1][field]
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "ann.json")
                with open(path, "w") as f:
                    json.dump(broken, f)
                name = register_keypoint_dataset(unique_name("fx_nohw"), path, fixture_path("coco"))
                with self.assertRaises(InputError) as cm:
                    get_topdown_dataset(name)
                message = str(cm.exception)
                self.assertNotIn("\n", message)
                for piece in (
                    path,
                    f"image id {entry['id']} (file_name {entry['file_name']!r}) has no {field!r}",
                    size,
                ):
                    self.assertIn(piece, message)


if __name__ == "__main__":
    unittest.main()

import filecmp
import json
import os
import tempfile
import unittest

import numpy as np

import ljof  # noqa: F401
from ljof.synthetic import (
    LIMB_JOINT_IDS,
    SPLIT_STYLES,
    generate_split,
    occlusion_stats,
    register_synthetic_datasets,
    render_scene,
)
from ljof.synthetic.raster import BACKGROUND, OCCLUDER_BASE, Layer, Pattern, composite, part_mask
from tests.common import unique_name


def _solid(color):
    return Pattern("solid", color, color, 8.0, 0.0, 0.0)


class TestComposite(unittest.TestCase):
    def test_owner_buffer_matches_pixels(self):
        size = (40, 50)
        image = np.zeros(size + (3,), np.uint8)
        owner = np.full(size, BACKGROUND, np.int32)
        arm = part_mask("capsule", np.array([[5.0, 20.0], [45.0, 20.0]]), (4, 4), 0, size)
        box = part_mask(
            "polygon", np.array([[20, 5], [30, 5], [30, 35], [20, 35]]), (0, 0), 0, size
        )
        layers = [
            Layer(arm[0], arm[1], arm[2], _solid((0, 0, 200)), 0, outline=False),
            Layer(box[0], box[1], box[2], _solid((0, 200, 0)), OCCLUDER_BASE, outline=False),
        ]
        composite(image, owner, layers, np.random.default_rng(0))
        np.testing.assert_array_equal(owner == OCCLUDER_BASE, (image == (0, 200, 0)).all(-1))
        np.testing.assert_array_equal(owner == 0, (image == (0, 0, 200)).all(-1))
        self.assertEqual(owner[20, 25], OCCLUDER_BASE)  # the arm's middle is covered
        self.assertEqual(owner[20, 8], 0)
        self.assertEqual(owner[2, 2], BACKGROUND)


class TestScenes(unittest.TestCase):
    def test_visibility_follows_owner_buffer(self):
        n_covered = n_seen = 0
        for i in range(12):
            scene = render_scene(np.random.default_rng([7, i]), style=SPLIT_STYLES["occluded"])
            for p, kpts in enumerate(scene.keypoints):
                for x, y, v in kpts:
                    if v == 0:
                        continue
                    who = scene.owner[int(round(float(y))), int(round(float(x)))]
                    # a labeled joint always lies on a drawn body part
                    self.assertNotEqual(who, BACKGROUND)
                    if v == 2:
                        self.assertEqual(who, p)
                        n_seen += 1
                    else:
                        self.assertEqual(v, 1)
                        self.assertNotEqual(who, p)  # another person or an occluder
                        n_covered += 1
                x0, y0, w, h = scene.boxes[p]
                lab = kpts[kpts[:, 2] > 0]
                self.assertTrue(np.all(lab[:, 0] >= x0 - 1) and np.all(lab[:, 0] <= x0 + w + 1))
                self.assertTrue(np.all(lab[:, 1] >= y0 - 1) and np.all(lab[:, 1] <= y0 + h + 1))
        self.assertGreater(n_covered, 10)
        self.assertGreater(n_seen, 10)

    def test_occluded_split_is_more_occluded(self):
        stats = {}
        for split in ("train", "occluded"):
            anns = []
            for i in range(25):
                scene = render_scene(np.random.default_rng([11, i]), style=SPLIT_STYLES[split])
                anns += [{"keypoints": k.reshape(-1).tolist()} for k in scene.keypoints]
            stats[split] = occlusion_stats(anns)
        print(
            "covered limb-joint fraction: "
            + ", ".join(f"{s} {v['covered_limb_joint_fraction']:.3f}" for s, v in stats.items())
        )
        tr, oc = stats["train"], stats["occluded"]
        self.assertGreater(oc["covered_limb_joint_fraction"], 2 * tr["covered_limb_joint_fraction"])
        self.assertGreater(oc["people_with_covered_limb_joint"], 0.6)
        self.assertLess(tr["covered_limb_joint_fraction"], 0.2)
        self.assertEqual(len(LIMB_JOINT_IDS), 12)


class TestDatasetFiles(unittest.TestCase):
    def test_deterministic_and_loadable(self):
        with tempfile.TemporaryDirectory() as tmp:
            a, b, c = (os.path.join(tmp, n) for n in "abc")
            generate_split(a, "val", num_images=3, seed=5)
            generate_split(b, "val", num_images=3, seed=5)
            generate_split(c, "val", num_images=3, seed=6)
            ja, jb, jc = (
                json.load(open(os.path.join(r, "annotations", "val.json"))) for r in (a, b, c)
            )
            self.assertEqual(ja, jb)
            self.assertNotEqual(ja["annotations"], jc["annotations"])
            for im in ja["images"]:
                fa = os.path.join(a, "images", "val", im["file_name"])
                self.assertTrue(
                    filecmp.cmp(fa, os.path.join(b, "images", "val", im["file_name"]), False)
                )
            for ann in ja["annotations"]:
                v = np.asarray(ann["keypoints"]).reshape(17, 3)[:, 2]
                self.assertEqual(ann["num_keypoints"], int((v > 0).sum()))
                self.assertEqual(ann["iscrowd"], 0)
                self.assertGreater(ann["area"], 0)
            cat = ja["categories"][0]
            self.assertEqual(len(cat["keypoints"]), 17)
            self.assertTrue(all(1 <= i <= 17 for pair in cat["skeleton"] for i in pair))

            # registered through the datasets engineer's API; person records come back unshifted
            from ljof.data import get_topdown_dataset

            generate_split(a, "train", num_images=1, seed=5)
            generate_split(a, "occluded", num_images=1, seed=5)
            names = register_synthetic_datasets(a, prefix=unique_name("synth"))
            records = get_topdown_dataset(names["val"])
            self.assertEqual(len(records), len(ja["annotations"]))
            first = np.asarray(ja["annotations"][0]["keypoints"], np.float32).reshape(17, 3)
            np.testing.assert_allclose(records[0]["keypoints"], first, atol=1e-4)

    def test_bad_split(self):
        with self.assertRaisesRegex(ValueError, "unknown synthetic split"):
            generate_split("/nonexistent", "test", num_images=1)


class TestFrontBackCues(unittest.TestCase):
    """Left and right of a figure are labelled from the person's side, so the image must show which way
    the person faces: a face (eyes and nose drawn at their joints) from the front, hair over the whole
    head from behind."""

    def test_face_or_hair(self):
        from ljof.synthetic.figure import sample_figure

        rng = np.random.default_rng(0)
        seen = set()
        for _ in range(40):
            fig = sample_figure(rng, center=(160.0, 120.0), height=150.0)
            front = bool(fig.labeled[0])  # the nose is labelled only on figures seen from the front
            seen.add(front)
            eyes = [p.points[0] for p in fig.parts if p.material == "eyes"]
            noses = [p.points[0] for p in fig.parts if p.material == "nose"]
            hair = [p for p in fig.parts if p.material == "hair"]
            if front:
                np.testing.assert_allclose(np.stack(eyes), fig.joints[1:3])  # left_eye, right_eye
                np.testing.assert_allclose(noses[0], fig.joints[0])
                # the hair cap lies above the eyes
                self.assertLess(hair[0].points[0][1], fig.joints[1:3, 1].min())
            else:
                self.assertEqual((eyes, noses), ([], []))
                # hair covers the head: an ellipse as large as the head, drawn after it
                head = [i for i, p in enumerate(fig.parts) if p.kind == "ellipse"
                        and p.material == "skin" and p.size[1] > 5]  # fmt: skip
                hair_at = next(i for i, p in enumerate(fig.parts) if p is hair[0])
                self.assertGreater(hair_at, head[-1])
                self.assertGreaterEqual(hair[0].size[1], fig.parts[head[-1]].size[1])
        self.assertEqual(seen, {True, False})

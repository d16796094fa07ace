"""The array engine equals pycocotools' keypoint COCOeval: bit-identical OKS per (result, GT) pair and
identical statistics (==, not approximately) on random sets with crowd regions, people without labelled
joints, a GT id 0, tied scores, > 20 results per image, images without people, and images where results
compete for GT people or not (the matching's two paths); also per image subset and with the matching
split into chunks and threads."""

import unittest
from unittest import mock

import numpy as np

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.evaluation import cocoeval_arrays
from ljof.evaluation.cocoeval_arrays import (
    GroundTruthPeople,
    accumulate,
    accumulate_resampled,
    cocoeval_oks,
    match_results,
    summarize_keypoints,
    summarize_resampled,
)
from tests.evaluation import metrics_utils

SIGMAS = get_keypoint_set_metadata("coco")["keypoint_oks_sigmas"]
K = 17


def stress_set(seed: int, num_images: int = 40):
    """A GT dict and results that exercise every branch of pycocotools' keypoint evaluation."""
    rng = np.random.default_rng(seed)
    images = [{"id": int(i) * 3, "width": 640, "height": 480}
              for i in rng.permutation(np.arange(1, num_images + 1))]  # fmt: skip
    anns = []
    for image in images:
        for _ in range(rng.integers(0, 6)):
            (x0, y0), (w, h) = rng.uniform(0, 400, 2), rng.uniform(5, 200, 2)
            vis = rng.integers(0, 3, K) * (rng.random() > 0.15)  # some people: no labelled joint
            kp = np.stack([np.round(x0 + rng.uniform(0, w, K)), np.round(y0 + rng.uniform(0, h, K)),
                           vis], axis=1)  # fmt: skip
            kp[vis == 0, :2] = 0
            anns.append({
                "id": len(anns),  # the first is id 0
                "image_id": image["id"],
                "category_id": 1,
                "keypoints": kp.reshape(-1).tolist(),
                "num_keypoints": int((vis > 0).sum()) if rng.random() > 0.05 else 0,
                "area": float(w * h * rng.uniform(0.3, 1)),
                "bbox": [float(x0), float(y0), float(w), float(h)],
                "iscrowd": int(rng.random() < 0.08),
            })  # fmt: skip
    results = []
    for image in images:
        people = [a for a in anns if a["image_id"] == image["id"]]
        for _ in range(rng.integers(0, 28)):
            if people and rng.random() < 0.7:
                kp = np.array(people[rng.integers(len(people))]["keypoints"]).reshape(K, 3)
                kp[:, :2] += rng.normal(0, rng.choice([0, 1, 3, 10]), (K, 2))
            else:
                kp = np.stack([rng.uniform(0, 640, K), rng.uniform(0, 480, K), np.zeros(K)], 1)
            kp[:, 2] = rng.uniform(0, 1, K)
            score = float(rng.choice([0.5, 0.9, rng.random()]))  # many ties
            results.append({"image_id": image["id"], "category_id": 1,
                            "keypoints": kp.reshape(-1).tolist(), "score": score})  # fmt: skip
    rng.shuffle(results)
    gt = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "person"}]}
    return gt, results


def pycocotools_eval(gt, results, image_ids=None):
    return metrics_utils.pycocotools_eval(gt, results, SIGMAS, image_ids)


def ours(gt, results):
    anns = gt["annotations"]
    people = GroundTruthPeople(
        image_ids=[a["image_id"] for a in anns],
        ids=[a["id"] for a in anns],
        keypoints=np.array([a["keypoints"] for a in anns]).reshape(-1, K, 3),
        areas=[a["area"] for a in anns],
        boxes=[a["bbox"] for a in anns],
        iscrowd=[a["iscrowd"] for a in anns],
        num_keypoints=[a["num_keypoints"] for a in anns],
    )
    image_ids = np.array(sorted(i["id"] for i in gt["images"]))
    matches = match_results(
        people,
        image_ids,
        np.array([r["image_id"] for r in results]),
        np.array([r["keypoints"] for r in results]).reshape(-1, K, 3),
        np.array([r["score"] for r in results]),
        SIGMAS,
    )
    return image_ids, matches


class TestAgainstPycocotools(unittest.TestCase):
    def test_oks_is_bit_identical(self):
        gt, results = stress_set(0)
        ev = pycocotools_eval(gt, results)
        pairs = 0
        for (image_id, _), ious in ev.ious.items():
            if len(ious) == 0:
                continue
            dts, gts = ev._dts[image_id, 1], ev._gts[image_id, 1]
            order = np.argsort([-d["score"] for d in dts], kind="mergesort")[:20]
            dk = np.array([dts[i]["keypoints"] for i in order]).reshape(-1, K, 3)
            gk = np.array([g["keypoints"] for g in gts], dtype=np.float64).reshape(-1, K, 3)
            d, g = len(dk), len(gk)
            dk, gk = np.repeat(dk, g, axis=0), np.tile(gk, (d, 1, 1))
            oks = cocoeval_oks(
                dk[..., 0], dk[..., 1], gk[..., 0], gk[..., 1], gk[..., 2] > 0,
                np.tile([a["area"] for a in gts], d),
                np.tile(np.array([a["bbox"] for a in gts]), (d, 1)),
                SIGMAS,
            ).reshape(d, g)
            np.testing.assert_array_equal(oks, ious)
            pairs += oks.size
        self.assertGreater(pairs, 1000)
        unlabelled = [a for a in gt["annotations"] if not any(a["keypoints"][2::3])]
        self.assertTrue(unlabelled)  # the box-distance branch is exercised

    def test_statistics_and_arrays_are_identical(self):
        for seed in range(6):
            with self.subTest(seed=seed):
                gt, results = stress_set(seed)
                ev = pycocotools_eval(gt, results)
                _, matches = ours(gt, results)
                precision, recall = accumulate(matches)
                np.testing.assert_array_equal(precision, ev.eval["precision"])
                np.testing.assert_array_equal(recall, ev.eval["recall"])
                np.testing.assert_array_equal(summarize_keypoints(precision, recall), ev.stats)

    def test_stress_sets_exercise_both_matching_paths(self):
        # match_results takes a shortcut for images where no result reaches OKS 0.5 with two GT
        # people (each GT then matches its first reaching result); the sets compared above must
        # hold such images, with crowd regions among their matched GT, and the others.
        star = contested = crowd_star = 0
        for seed in range(6):
            gt, results = stress_set(seed)
            ev = pycocotools_eval(gt, results)
            crowd = {a["id"] for a in gt["annotations"] if a["iscrowd"]}
            for (image_id, _), ious in ev.ious.items():
                reach = np.asarray(ious) >= 0.5
                if len(ious) == 0 or not reach.any():
                    continue
                if (reach.sum(axis=1) > 1).any():
                    contested += 1
                    continue
                star += 1
                gts = ev._gts[image_id, 1]
                crowd_star += any(g["id"] in crowd for g, hit in zip(gts, reach.T) if hit.any())
        self.assertGreaterEqual(star, 100)
        self.assertGreaterEqual(contested, 20)
        self.assertGreaterEqual(crowd_star, 10)

    def test_image_subset_equals_params_img_ids(self):
        gt, results = stress_set(1)
        image_ids, matches = ours(gt, results)
        subset = image_ids[::3]
        precision, recall = accumulate(matches, images=np.isin(image_ids, subset))
        ev = pycocotools_eval(gt, results, image_ids=sorted(subset.tolist()))
        np.testing.assert_array_equal(precision, ev.eval["precision"])
        np.testing.assert_array_equal(recall, ev.eval["recall"])

    def test_chunked_and_threaded_matching_is_the_same(self):
        gt, results = stress_set(2)
        with mock.patch.object(cocoeval_arrays, "num_workers", return_value=1):
            _, whole = ours(gt, results)  # one chunk, this thread
        for chunk_elements, workers in ((cocoeval_arrays._CHUNK_ELEMENTS, 3), (1, 2)):
            with self.subTest(chunk_elements=chunk_elements, workers=workers), \
                    mock.patch.object(cocoeval_arrays, "_CHUNK_ELEMENTS", chunk_elements), \
                    mock.patch.object(cocoeval_arrays, "num_workers", return_value=workers):
                _, chunked = ours(gt, results)  # 3 chunks on 3 threads; one image per chunk
                np.testing.assert_array_equal(whole.dt_matched, chunked.dt_matched)
                np.testing.assert_array_equal(whole.dt_ignored, chunked.dt_ignored)
                np.testing.assert_array_equal(
                    accumulate(whole)[0], accumulate(chunked)[0]
                )  # accumulate's area ranges on those threads too

    def test_resampled_multisets_in_any_chunking(self):
        # a 0/1 multiset is an image subset (accumulate with images=...), and the chunks of
        # multisets accumulate_resampled takes at a time change nothing
        gt, results = stress_set(4)
        image_ids, matches = ours(gt, results)
        rng = np.random.default_rng(0)
        counts = rng.integers(0, 3, size=(5, len(image_ids)))
        counts[0] = rng.integers(0, 2, size=len(image_ids))
        whole = accumulate_resampled(matches, counts)
        with mock.patch.object(cocoeval_arrays, "_ACCUMULATE_ELEMENTS", 1):
            chunked = accumulate_resampled(matches, counts)
        for a, b in zip(whole, chunked):
            np.testing.assert_array_equal(a, b)
        precision, recall = accumulate(matches, images=counts[0] > 0)
        np.testing.assert_array_equal(whole[0][0], precision[:, :, 0, :, 0])
        np.testing.assert_array_equal(whole[1][0], recall[:, 0, :, 0])
        np.testing.assert_array_equal(
            summarize_resampled(*whole)[0], summarize_keypoints(precision, recall)
        )

    def test_no_results_and_no_people(self):
        gt, results = stress_set(3, num_images=6)
        _, matches = ours(gt, [])
        precision, recall = accumulate(matches)
        ev = pycocotools_eval(gt, results[:1])  # pycocotools cannot load an empty list
        self.assertTrue((precision[:, :, :, 0] == 0).all())
        self.assertTrue((recall[:, :, 0] == 0).all())
        np.testing.assert_array_equal(precision < 0, ev.eval["precision"] < 0)  # same empty ranges


if __name__ == "__main__":
    unittest.main()

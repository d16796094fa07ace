"""Helpers shared by the evaluation tests: random keypoint sets and metric comparisons."""

import contextlib
import io
import math

import numpy as np


def assert_metrics_close(test, got, expected, delta, scale=1.0):
    """``got[name] / scale`` equals ``expected[name]`` within ``delta`` (NaN only where NaN/-1)."""
    test.assertEqual(list(got), list(expected))
    for name, want in expected.items():
        value = got[name] / scale
        if want is None or (isinstance(want, float) and math.isnan(want)) or want == -1:
            test.assertTrue(math.isnan(got[name]), f"{name}: {got[name]} (expected NaN)")
        else:
            test.assertAlmostEqual(value, want, delta=delta, msg=name)


def random_keypoint_set(seed, num_images=12, num_keypoints=17, crowd_index=False, all_zero=True):
    """A small random GT dict and predictions list with the official tools' edge cases: crowd regions,
    people with num_keypoints 0, tied scores (2 decimals), all-zero keypoint scores, > 20 predictions
    on one image, images without people, unsorted non-consecutive image ids."""
    rng = np.random.default_rng(seed)
    image_ids = rng.permutation(np.arange(num_images) * 7 + 3).tolist()
    images, anns, preds = [], [], []
    for n, image_id in enumerate(image_ids):
        image = {"id": image_id, "file_name": f"{image_id}.jpg", "width": 640, "height": 480}
        if crowd_index:
            image["crowdIndex"] = float(rng.choice([0.0, 0.1, 0.2, 0.5, 0.8, 1.2]))
        images.append(image)
        people = int(rng.integers(0, 5)) if n else 0  # the first image has no people
        for _ in range(people):
            w, h = rng.uniform(20, 200), rng.uniform(40, 300)
            x0, y0 = rng.uniform(0, 640 - w), rng.uniform(0, 480 - h)
            xy = np.stack(
                [x0 + rng.uniform(0, w, num_keypoints), y0 + rng.uniform(0, h, num_keypoints)], 1
            )
            v = rng.choice([0, 1, 2], num_keypoints, p=[0.3, 0.2, 0.5])
            kpts = np.concatenate([np.where(v[:, None] > 0, xy.round(1), 0), v[:, None]], 1)
            ann = {
                "id": len(anns) + 1,
                "image_id": image_id,
                "category_id": 1,
                "iscrowd": int(rng.uniform() < 0.08),
                "bbox": [float(x0), float(y0), float(w), float(h)],
                "area": float(w * h * 0.8),
                "num_keypoints": int((v > 0).sum()) if rng.uniform() > 0.1 else 0,
                "keypoints": kpts.reshape(-1).tolist(),
            }
            anns.append(ann)
            for _ in range(int(rng.integers(0, 4))):  # noisy copies
                noise = rng.normal(0, rng.choice([1.0, 5.0, 20.0]), (num_keypoints, 2))
                preds.append(_prediction(rng, image_id, xy + noise, all_zero))
        extra = 24 if n == 1 else int(rng.integers(0, 4))  # false positives; > 20 on image 1
        for _ in range(extra):
            xy = rng.uniform(0, 400, (num_keypoints, 2)) + rng.uniform(0, 200, 2)
            preds.append(_prediction(rng, image_id, xy, all_zero))
    gt = {
        "images": images,
        "annotations": anns,
        "categories": [{"id": 1, "name": "person", "supercategory": "person"}],
    }
    return gt, preds


def _prediction(rng, image_id, xy, all_zero):
    scores = rng.uniform(0.01, 1, (len(xy), 1))
    if all_zero and rng.uniform() < 0.1:
        scores[:] = 0.0
    return {
        "image_id": image_id,
        "category_id": 1,
        "keypoints": np.concatenate([xy, scores], 1).reshape(-1).tolist(),
        "score": float(np.round(rng.uniform(0, 1), 2)),
    }


def pycocotools_eval(gt, preds, sigmas, image_ids=None):
    """pycocotools' ``COCOeval(iouType="keypoints")`` on copies of ``gt`` (dict) and ``preds``,
    evaluated, accumulated and summarized (``image_ids``: ``params.imgIds``, default all)."""
    import copy

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(copy.deepcopy(preds)), "keypoints")
        ev.params.kpt_oks_sigmas = np.asarray(sigmas)
        if image_ids is not None:
            ev.params.imgIds = list(image_ids)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def pycocotools_stats(gt, preds, sigmas):
    """pycocotools' 10 keypoint statistics (fractions, -1 for empty ranges)."""
    ev = pycocotools_eval(gt, preds, sigmas)
    return [float(v) for v in ev.stats]

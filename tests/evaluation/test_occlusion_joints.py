"""oks_matches (the occlusion analysis' per-joint matching) equals pycocotools' ``COCOeval.evaluate``
``gtMatches`` at OKS 0.5, area "all", on the stress sets of the array engine's tests (crowd regions,
people without labelled joints, a GT id 0, tied scores, > 20 results per image), for the COCO protocol
and, with the GT area set to box w x h x 0.53, the CrowdPose one."""

import contextlib
import copy
import io
import unittest

import numpy as np

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.evaluation.occlusion.joints import oks_matches
from tests.evaluation.test_cocoeval_arrays import stress_set

COCO_SIGMAS = get_keypoint_set_metadata("coco")["keypoint_oks_sigmas"]


def pycocotools_matches(gt, results, sigmas):
    """GT id -> index of the result matched to it, read from pycocotools' ``evalImgs`` (the oracle)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(copy.deepcopy(results)), "keypoints")
        ev.params.kpt_oks_sigmas = np.asarray(sigmas, dtype=np.float64)
        ev.evaluate()
    out = {}
    for e in ev.evalImgs[: len(ev.params.imgIds)]:  # area range "all"
        if e is not None:
            for gt_id, dt_id in zip(e["gtIds"], e["gtMatches"][0]):
                if dt_id > 0:
                    out[int(gt_id)] = int(dt_id) - 1  # loadRes numbers results 1..N
    return out


class TestOksMatches(unittest.TestCase):
    def test_coco_equals_pycocotools(self):
        crowd_matched = 0
        for seed in range(4):
            with self.subTest(seed=seed):
                gt, results = stress_set(seed)
                expected = pycocotools_matches(gt, results, COCO_SIGMAS)
                self.assertEqual(oks_matches(gt, results, "coco", COCO_SIGMAS), expected)
                crowd = {a["id"] for a in gt["annotations"] if a["iscrowd"]}
                crowd_matched += len(crowd & expected.keys())
                self.assertGreater(len(expected), 50)
        self.assertGreater(crowd_matched, 0)  # a crowd region keeps its last matched result

    def test_crowdpose_scale_equals_pycocotools_on_that_area(self):
        gt, results = stress_set(1)
        for image in gt["images"]:
            image["crowdIndex"] = 0.5
        results = [dict(r, keypoints=r["keypoints"][: 14 * 3]) for r in results]
        for a in gt["annotations"]:
            a["keypoints"] = a["keypoints"][: 14 * 3]
        sigmas = get_keypoint_set_metadata("crowdpose")["keypoint_oks_sigmas"]
        scaled = copy.deepcopy(gt)
        for a in scaled["annotations"]:
            a["area"] = a["bbox"][2] * a["bbox"][3] * 0.53
        expected = pycocotools_matches(scaled, results, sigmas)
        self.assertEqual(oks_matches(gt, results, "crowdpose", sigmas), expected)

    def test_no_results(self):
        gt, _ = stress_set(0, num_images=4)
        self.assertEqual(oks_matches(gt, [], "coco", COCO_SIGMAS), {})


if __name__ == "__main__":
    unittest.main()

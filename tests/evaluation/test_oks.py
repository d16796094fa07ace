"""OKS and OKS-NMS: known values, suppression rules, threshold edge, batched == per-image greedy."""

import unittest
from unittest import mock

import numpy as np

from ljof.data.datasets import get_keypoint_set_metadata
from ljof.evaluation import batched_oks_nms, oks, oks_iou, oks_nms

SIGMAS = get_keypoint_set_metadata("coco")["keypoint_oks_sigmas"]
CROWD_SIGMAS = get_keypoint_set_metadata("crowdpose")["keypoint_oks_sigmas"]


def _pose(rng, x0=100.0, y0=100.0, size=100.0, k=17):
    return np.concatenate(
        [rng.uniform(0, size, (k, 2)) + [x0, y0], rng.uniform(0, 1, (k, 1))], axis=1
    )


def _greedy_reference(kpts, scores, areas, thr, sigmas=SIGMAS):
    """Plain one-pair-at-a-time greedy NMS written from the definition (for cross-checking)."""
    var = (np.asarray(sigmas) * 2) ** 2
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], -i))
    kept = []
    for i in order:
        ok = True
        for j in kept:
            d2 = ((kpts[i, :, :2] - kpts[j, :, :2]) ** 2).sum(axis=1)
            e = d2 / var / ((areas[i] + areas[j]) / 2 + np.spacing(1)) / 2
            if np.exp(-e).mean() > thr:
                ok = False
                break
        if ok:
            kept.append(i)
    return kept


class TestOksIou(unittest.TestCase):
    def test_identical_pose_is_one(self):
        pose = _pose(np.random.default_rng(0))
        self.assertAlmostEqual(float(oks_iou(pose, pose[None], 5000.0, [5000.0], SIGMAS)[0]), 1.0)

    def test_known_value(self):
        # Every joint shifted by 3 px in x: e_k = 9 / (2 sigma_k)^2 / area / 2 (both areas equal).
        pose = _pose(np.random.default_rng(1))
        moved = pose.copy()
        moved[:, 0] += 3.0
        area = 2500.0
        expected = np.mean(np.exp(-9.0 / (2 * np.asarray(SIGMAS)) ** 2 / area / 2))
        got = oks_iou(pose, moved[None], area, np.array([area]), SIGMAS)[0]
        self.assertAlmostEqual(float(got), float(expected), places=12)
        self.assertLess(got, 1.0)

    def test_shape_mismatch(self):
        with self.assertRaisesRegex(ValueError, "do not match"):
            oks_iou(np.zeros((17, 3)), np.zeros((2, 14, 3)), 1.0, np.ones(2), SIGMAS)


class TestOksNms(unittest.TestCase):
    def test_identical_poses_suppressed(self):
        pose = _pose(np.random.default_rng(2))
        kpts = np.stack([pose, pose, pose])
        keep = oks_nms(kpts, np.array([0.5, 0.9, 0.7]), np.full(3, 4000.0), 0.9, SIGMAS)
        self.assertEqual(keep.tolist(), [1])  # the best-scored copy survives

    def test_distant_poses_kept(self):
        rng = np.random.default_rng(3)
        kpts = np.stack([_pose(rng, 0, 0), _pose(rng, 400, 0), _pose(rng, 0, 400)])
        keep = oks_nms(kpts, np.array([0.2, 0.9, 0.5]), np.full(3, 4000.0), 0.9, SIGMAS)
        self.assertEqual(keep.tolist(), [1, 2, 0])  # all kept, by score

    def test_threshold_edge(self):
        pose = _pose(np.random.default_rng(4))
        moved = pose.copy()
        moved[:, 1] += 4.0
        areas = np.array([3000.0, 3000.0])
        value = float(oks_iou(pose, moved[None], 3000.0, areas[1:], SIGMAS)[0])
        kpts = np.stack([pose, moved])
        scores = np.array([1.0, 0.5])
        # kept when OKS <= thr, suppressed when OKS > thr
        self.assertEqual(oks_nms(kpts, scores, areas, value, SIGMAS).tolist(), [0, 1])
        self.assertEqual(oks_nms(kpts, scores, areas, np.nextafter(value, 0), SIGMAS).tolist(), [0])

    def test_empty(self):
        self.assertEqual(len(oks_nms(np.zeros((0, 17, 3)), [], [], 0.9, SIGMAS)), 0)

    def test_batched_equals_per_image_greedy(self):
        rng = np.random.default_rng(5)
        groups, kpts, scores, areas = [], [], [], []
        for image in range(40):
            n = int(rng.integers(0, 12))
            base = [_pose(rng, *rng.uniform(0, 300, 2)) for _ in range(3)]
            for _ in range(n):
                p = base[rng.integers(0, 3)].copy()
                p[:, :2] += rng.normal(0, rng.choice([0.5, 3.0, 15.0]), (17, 2))
                groups.append(image * 7 + 3)  # arbitrary, non-contiguous ids
                kpts.append(p)
                scores.append(float(rng.choice([0.5, rng.uniform()])))  # include ties
                areas.append(float(rng.uniform(2000, 9000)))
        groups, kpts = np.array(groups), np.stack(kpts)
        scores, areas = np.array(scores), np.array(areas)
        # thresholds inside (0, 1) skip far-apart pairs by a bound; 0 and 1 compute every pair
        for thr in (0.0, 0.3, 0.9, 0.99, 1.0):
            with self.subTest(thr=thr):
                got = batched_oks_nms(groups, kpts, scores, areas, thr, SIGMAS)
                expected = []
                for g in sorted(set(groups.tolist())):
                    idx = np.flatnonzero(groups == g)
                    kept = _greedy_reference(kpts[idx], scores[idx], areas[idx], thr)
                    expected += [int(idx[i]) for i in kept]
                self.assertEqual(got.tolist(), expected)
                if 0.0 < thr < 1.0:
                    self.assertLess(len(got), len(groups))  # some suppression happened
                    self.assertGreater(len(got), 40)

    def test_batched_equals_greedy_on_many_groups_and_blocks(self):
        # Up to 30 instances per image, near-duplicates at several spreads, tied scores; both
        # bounds on (thr 0.8-0.95) and only the box bound (0.5: the joint bound would need over
        # half the joints); one block, blocks for 3 threads, and many small blocks on 2 threads.
        for sigmas in (SIGMAS, CROWD_SIGMAS):
            k = len(sigmas)
            rng = np.random.default_rng(7 + k)
            groups, kpts, scores, areas = [], [], [], []
            for image in range(60):
                base = [_pose(rng, *rng.uniform(0, 200, 2), size=rng.uniform(20, 150), k=k)
                        for _ in range(4)]  # fmt: skip
                for _ in range(int(rng.integers(1, 31))):
                    p = base[rng.integers(0, 4)].copy()
                    p[:, :2] += rng.normal(0, rng.choice([0.3, 2.0, 6.0, 40.0]), (k, 2))
                    groups.append(image)
                    kpts.append(p)
                    scores.append(float(rng.choice([0.25, 0.5, rng.uniform()])))
                    areas.append(float(rng.uniform(500, 9000)))
            groups, kpts = np.array(groups), np.stack(kpts)
            scores, areas = np.array(scores), np.array(areas)
            for thr in (0.5, 0.8, 0.9, 0.95):
                expected = []
                for g in range(60):
                    idx = np.flatnonzero(groups == g)
                    kept = _greedy_reference(kpts[idx], scores[idx], areas[idx], thr, sigmas)
                    expected += [int(idx[i]) for i in kept]
                for block_slots, workers in ((oks._BLOCK_SLOTS, 1), (oks._BLOCK_SLOTS, 3), (40, 2)):
                    with self.subTest(k=k, thr=thr, block_slots=block_slots, workers=workers):
                        with mock.patch.object(oks, "_BLOCK_SLOTS", block_slots), \
                                mock.patch.object(oks, "num_workers", return_value=workers):
                            got = batched_oks_nms(groups, kpts, scores, areas, thr, sigmas)
                        self.assertEqual(got.tolist(), expected)
                self.assertLess(len(expected), len(groups) - 20)  # suppression happened

    def test_threshold_edge_decided_by_the_smallest_sigma_joints(self):
        # Only the 4 smallest-sigma joints move, so that their OKS terms sum to just above
        # 4 - 17 (1 - 0.9) = 2.3, where the joint bound (1e-9 margin) must let the pair through.
        pose = _pose(np.random.default_rng(8))
        var = (np.asarray(SIGMAS) * 2) ** 2
        area = 3000.0
        subset = np.argsort(var, kind="stable")[:4]
        moved = pose.copy()
        term = 2.3 / 4 + 1e-12  # exp(-e) of each moved joint
        shift = np.sqrt(-np.log(term) * 2 * var[subset] * (area + np.spacing(1)))
        moved[subset, 0] += shift
        areas = np.array([area, area])
        value = float(oks_iou(pose, moved[None], area, areas[1:], SIGMAS)[0])
        self.assertAlmostEqual(value, 0.9, places=9)
        kpts, scores = np.stack([pose, moved]), np.array([1.0, 0.5])
        self.assertEqual(oks_nms(kpts, scores, areas, value, SIGMAS).tolist(), [0, 1])
        self.assertEqual(oks_nms(kpts, scores, areas, np.nextafter(value, 0), SIGMAS).tolist(), [0])

    def test_threshold_edge_decided_by_the_box_bound(self):
        # Equal sigmas and joints that sit on one point make the box bound exact: at 0.5 (no joint
        # subset) every joint moves by d; at 0.9 the 4-joint subset moves by d and the other 13 stay,
        # so the subset's terms sum to just above 17 x 0.9 - 13. The bound (1e-9 margin) must let
        # the pair through just below its OKS and the pair must be kept at it.
        sigmas = [0.05] * 17
        var, area = (2 * 0.05) ** 2, 3000.0
        for thr, moving, term in ((0.5, 17, 0.5), (0.9, 4, (17 * 0.9 - 13) / 4)):
            with self.subTest(thr=thr):
                pose = np.tile([150.0, 120.0, 1.0], (17, 1))
                moved = pose.copy()
                moved[:moving, 0] += np.sqrt(-np.log(term + 1e-12) * 2 * var * (area + np.spacing(1)))
                areas = np.array([area, area])
                value = float(oks_iou(pose, moved[None], area, areas[1:], sigmas)[0])
                self.assertAlmostEqual(value, thr, places=9)
                kpts, scores = np.stack([pose, moved]), np.array([1.0, 0.5])
                self.assertEqual(oks_nms(kpts, scores, areas, value, sigmas).tolist(), [0, 1])
                below = np.nextafter(value, 0)
                self.assertEqual(oks_nms(kpts, scores, areas, below, sigmas).tolist(), [0])

    def test_negative_areas_get_the_full_oks(self):
        # The bounds assume a positive OKS scale; with negative areas every term exceeds 1.
        rng = np.random.default_rng(9)
        kpts = np.stack([_pose(rng, 0, 0), _pose(rng, 300, 300), _pose(rng, 0, 0)])
        scores, areas = np.array([0.9, 0.8, 0.7]), np.array([-3000.0, -2000.0, 4000.0])
        for thr in (0.5, 0.9):
            expected = _greedy_reference(kpts, scores, areas, thr)
            self.assertEqual(oks_nms(kpts, scores, areas, thr, SIGMAS).tolist(), expected)
            self.assertLess(len(expected), 3)


if __name__ == "__main__":
    unittest.main()

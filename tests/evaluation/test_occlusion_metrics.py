"""Occlusion analysis on hand-made GT / predictions: AP by visibility, per-joint table, buckets."""

import copy
import json
import math
import os

import numpy as np
import pytest

from ljof.data import get_keypoint_set_metadata
from ljof.evaluation.occlusion.gt import (
    assign_buckets,
    mark_occluded,
    max_iou,
    occluded_fraction,
    restrict_to,
    visibility_subset,
)
from ljof.evaluation.occlusion.joints import joint_similarity
from ljof.evaluation.occlusion.metrics import occlusion_metrics

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
COCO = get_keypoint_set_metadata("coco")
SIGMAS = COCO["keypoint_oks_sigmas"]
NAMES = COCO["keypoint_names"]
K = 17
FAR = 400.0  # px: similarity exp(-400^2 / (2 * 20000 * (2 * 0.025)^2)) ~ 0 for every joint


def _person(ann_id, image_id, box, xy, flags):
    kpts = np.concatenate([np.asarray(xy, float), np.asarray(flags, float)[:, None]], axis=1)
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": 1,
        "iscrowd": 0,
        "bbox": list(box),
        "area": float(box[2] * box[3]),
        "keypoints": kpts.reshape(-1).tolist(),
        "num_keypoints": int((np.asarray(flags) > 0).sum()),
    }


def _gt():
    """Image 1: A (joints 12-16 occluded) and B (joints 0-8 occluded), boxes with IoU 1/3.
    Image 2: C alone, every joint visible."""
    j = np.arange(K)
    a_xy = np.stack([20 + 5 * j, 20 + 10 * j], axis=1)
    b_xy = np.stack([150 - 5 * j, 200 - 10 * j], axis=1)
    c_xy = np.stack([5 + 2 * j, 5 + 5 * j], axis=1)
    a_v = np.where(j >= 12, 1, 2)
    b_v = np.where(j <= 8, 1, 2)
    return {
        "images": [
            {"id": 1, "file_name": "1.jpg", "height": 300, "width": 300},
            {"id": 2, "file_name": "2.jpg", "height": 300, "width": 300},
        ],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [
            _person(1, 1, (10, 10, 100, 200), a_xy, a_v),
            _person(2, 1, (60, 10, 100, 200), b_xy, b_v),
            _person(3, 2, (0, 0, 50, 100), c_xy, np.full(K, 2)),
        ],
    }


def _predictions(gt, offsets=None, with_ann_id=True):
    """One prediction per GT person at its GT joints (+ offsets[ann_id] (K, 2)), scores 1."""
    preds = []
    for ann in gt["annotations"]:
        kpts = np.asarray(ann["keypoints"], float).reshape(K, 3).copy()
        if offsets and ann["id"] in offsets:
            kpts[:, :2] += offsets[ann["id"]]
        kpts[:, 2] = 1.0
        p = {"image_id": ann["image_id"], "keypoints": kpts, "bbox_score": 1.0, "area": ann["area"]}
        if with_ann_id:
            p["annotation_id"] = ann["id"]
        preds.append(p)
    return preds


def _run(gt, preds, **kwargs):
    return occlusion_metrics(
        preds, gt, keypoint_set="coco", sigmas=SIGMAS, keypoint_names=NAMES, **kwargs
    )


@pytest.mark.parametrize("with_ann_id", [True, False])
def test_perfect_predictions_score_100_everywhere(with_ann_id):
    gt = _gt()
    report = _run(gt, _predictions(gt, with_ann_id=with_ann_id))
    assert report["people"] == 3
    for part in ("overall", "visible", "occluded"):
        assert report[part]["AP"] == pytest.approx(100.0)
        assert report[part]["AR"] == pytest.approx(100.0)
    assert report["visible"]["people"] == 3 and report["occluded"]["people"] == 2
    pj = report["per_joint"]
    assert pj["people_with_prediction"] == 3
    assert pj["matching"].startswith("own" if with_ann_id else "OKS")
    for rows in list(pj["joints"].values()) + [pj["all"]]:
        for r in rows.values():
            if r["count"]:
                assert r["mean_similarity"] == pytest.approx(100.0)
                assert r["fraction_above_0.5"] == pytest.approx(100.0)
            else:
                assert r["mean_similarity"] is None
    for key in ("occluded_fraction_buckets", "max_iou_buckets"):
        for row in report[key]:
            if not row["empty"]:
                assert row["AP"] == pytest.approx(100.0)
    assert gt == _gt()  # the GT is not modified


def test_off_on_occluded_joints():
    gt = _gt()
    off_a = np.zeros((K, 2))
    off_a[12:] = FAR  # A's occluded joints far away ...
    off_a[13] = (10.0, 0.0)  # ... except the left knee, 10 px off
    off_b = np.zeros((K, 2))
    off_b[:9] = FAR
    report = _run(gt, _predictions(gt, offsets={1: off_a, 2: off_b}))
    assert report["visible"]["AP"] == pytest.approx(100.0)
    assert report["occluded"]["AP"] == pytest.approx(0.0, abs=1e-9)
    assert report["occluded"]["AR"] == pytest.approx(0.0, abs=1e-9)
    joints = report["per_joint"]["joints"]
    # by hand: exp(-d^2 / (2 s^2 k^2)) with d = 10, s^2 = area of A = 20000, k = 2 * 0.087
    knee = math.exp(-(10.0**2) / (2 * 20000.0 * (2 * 0.087) ** 2))
    assert joints["left_knee"]["occluded"] == {
        "count": 1,
        "mean_similarity": pytest.approx(100 * knee, rel=1e-9),
        "fraction_above_0.5": pytest.approx(100.0),
    }
    for name in ("nose", "right_elbow", "right_hip", "right_ankle"):
        assert joints[name]["occluded"]["count"] == 1
        assert joints[name]["occluded"]["mean_similarity"] == pytest.approx(0.0, abs=1e-9)
        assert joints[name]["occluded"]["fraction_above_0.5"] == 0.0
    for name in ("left_hip", "left_wrist"):  # not occluded in anyone
        assert joints[name]["occluded"] == {
            "count": 0,
            "mean_similarity": None,
            "fraction_above_0.5": None,
        }
    # visible: A 12 joints, B 8, C 17; all exact
    assert report["per_joint"]["all"]["visible"]["count"] == 12 + 8 + 17
    assert report["per_joint"]["all"]["visible"]["mean_similarity"] == pytest.approx(100.0)
    # occluded: 5 (A) + 9 (B) joints, one of them at `knee`, the others ~0
    occ = report["per_joint"]["all"]["occluded"]
    assert occ["count"] == 14
    assert occ["mean_similarity"] == pytest.approx(100 * knee / 14, rel=1e-6)
    assert occ["fraction_above_0.5"] == pytest.approx(100 / 14)


def test_max_iou_and_bucket_assignment_by_hand():
    gt = _gt()
    ious = max_iou(gt)
    # A = [10, 110] x [10, 210], B = [60, 160] x [10, 210]: intersection 50 x 200, union 3 x 10000
    assert ious == {1: pytest.approx(1 / 3), 2: pytest.approx(1 / 3), 3: 0.0}
    buckets = ((0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.0))
    assert assign_buckets(ious, buckets) == [[3], [1, 2], [], []]
    assert assign_buckets({7: 1.0, 8: 0.75, 9: None}, buckets) == [[], [], [], [7, 8]]
    fractions = {a["id"]: occluded_fraction(a, K) for a in gt["annotations"]}
    assert fractions == {1: pytest.approx(5 / 17), 2: pytest.approx(9 / 17), 3: 0.0}


def test_empty_buckets_are_reported_not_crashing():
    gt = _gt()
    report = _run(gt, _predictions(gt))
    rows = {r["bucket"]: r for r in report["max_iou_buckets"]}
    assert list(rows) == ["[0,0.25)", "[0.25,0.5)", "[0.5,0.75)", "[0.75,1]"]
    assert [r["people"] for r in rows.values()] == [1, 2, 0, 0]
    assert rows["[0.5,0.75)"]["empty"] and rows["[0.5,0.75)"]["AP"] is None
    assert not rows["[0.25,0.5)"]["empty"]
    frac = {r["bucket"]: r for r in report["occluded_fraction_buckets"]}
    assert [r["people"] for r in frac.values()] == [1, 1, 0, 1]
    assert frac["[0.3,0.5)"]["empty"]
    # A bucket AP counts only its people: make C's prediction wrong -> [0,0.25) drops, the pair keeps 100
    off_c = np.full((K, 2), FAR)
    report = _run(gt, _predictions(gt, offsets={3: off_c}))
    rows = {r["bucket"]: r for r in report["max_iou_buckets"]}
    assert rows["[0,0.25)"]["AP"] == pytest.approx(0.0, abs=1e-9)
    assert rows["[0.25,0.5)"]["AP"] == pytest.approx(100.0)


def test_no_occluded_joint_at_all_is_reported_empty():
    gt = _gt()
    for ann in gt["annotations"]:
        ann["keypoints"][2::3] = [2] * K
    report = _run(gt, _predictions(gt))
    assert report["occluded"]["people"] == 0 and report["occluded"]["empty"]
    assert report["occluded"]["AP"] is None
    assert report["visible"]["AP"] == pytest.approx(100.0)


def test_gt_copies():
    gt = _gt()
    vis = visibility_subset(gt, 2, K)
    a = vis["annotations"][0]
    assert a["num_keypoints"] == 12 and a["keypoints"][12 * 3 :] == [0.0] * 15
    occ = visibility_subset(gt, 1, K)
    assert [x["num_keypoints"] for x in occ["annotations"]] == [5, 9, 0]
    kept = restrict_to(gt, [2], K)
    assert [x["num_keypoints"] for x in kept["annotations"]] == [0, 17, 0]
    mask = np.zeros(K, bool)
    mask[[0, 12]] = True  # joint 0 visible -> occluded; joint 12 already occluded
    marked = mark_occluded(gt, {1: mask}, K)
    v = marked["annotations"][0]["keypoints"][2::3]
    assert v[0] == 1 and v[12] == 1 and v[1] == 2
    with pytest.raises(ValueError, match="annotation 99"):
        mark_occluded(gt, {99: mask}, K)
    assert gt == _gt()


def test_joint_similarity_averages_to_pycocotools_oks():
    """The per-joint terms average (over labeled joints) to pycocotools' computeOks."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = _gt()
    rng = np.random.RandomState(0)
    offsets = {a["id"]: rng.normal(scale=8.0, size=(K, 2)) for a in gt["annotations"]}
    preds = _predictions(gt, offsets=offsets)
    coco = COCO()
    coco.dataset = copy.deepcopy(gt)
    coco.createIndex()
    results = [
        {
            "image_id": p["image_id"],
            "category_id": 1,
            "keypoints": p["keypoints"].reshape(-1).tolist(),
            "score": 1.0,
        }
        for p in preds
    ]
    ev = COCOeval(coco, coco.loadRes(results), "keypoints")
    ev.params.kpt_oks_sigmas = np.asarray(SIGMAS)
    ev.params.imgIds = [1, 2]
    ev.evaluate()
    gts = np.stack([np.asarray(a["keypoints"], float).reshape(K, 3) for a in gt["annotations"]])
    sim = joint_similarity(
        gts,
        np.stack([p["keypoints"] for p in preds]),
        [a["area"] for a in gt["annotations"]],
        SIGMAS,
    )
    # image 1: predictions (dt ids 1, 2) against A, B; image 2: C
    ious = ev.ious[(1, 1)]
    order = np.argsort([-d["score"] for d in ev._dts[1, 1]], kind="mergesort")
    dt_ids = [ev._dts[1, 1][i]["id"] for i in order]
    for g, ann in enumerate(ev._gts[1, 1]):
        d = dt_ids.index(ann["id"])  # prediction i was made for annotation i
        assert ious[d, g] == pytest.approx(sim[ann["id"] - 1].mean(), rel=1e-12)
    assert ev.ious[(2, 1)][0, 0] == pytest.approx(sim[2].mean(), rel=1e-12)


def test_crowdpose_14_joints():
    meta = get_keypoint_set_metadata("crowdpose")
    k = len(meta["keypoint_names"])
    assert k == 14
    with open(os.path.join(DATA, "crowdpose", "test_crowdpose.json")) as f:
        gt = json.load(f)
    preds = []
    for ann in gt["annotations"]:
        kpts = np.asarray(ann["keypoints"], float).reshape(k, 3).copy()
        if not (kpts[:, 2] > 0).any():
            continue
        kpts[:, 2] = 1.0
        box = ann["bbox"]
        preds.append(
            {
                "image_id": ann["image_id"],
                "keypoints": kpts,
                "bbox_score": 1.0,
                "area": box[2] * box[3],
                "annotation_id": ann["id"],
            }
        )
    report = occlusion_metrics(
        preds,
        gt,
        keypoint_set="crowdpose",
        sigmas=meta["keypoint_oks_sigmas"],
        keypoint_names=meta["keypoint_names"],
    )
    assert report["people"] == 4
    assert "APE" in report["overall"]  # the CrowdPose protocol (xtcocotools) ran
    for part in ("overall", "visible", "occluded"):
        assert report[part]["AP"] == pytest.approx(100.0)
    assert list(report["per_joint"]["joints"]) == list(meta["keypoint_names"])
    counts = report["per_joint"]["all"]
    assert counts["visible"]["count"] == 30 and counts["occluded"]["count"] == 17
    assert counts["occluded"]["mean_similarity"] == pytest.approx(100.0)
    # without annotation ids: xtcocotools' own matching pairs each person with its prediction
    for p in preds:
        del p["annotation_id"]
    matched = occlusion_metrics(
        preds,
        gt,
        keypoint_set="crowdpose",
        sigmas=meta["keypoint_oks_sigmas"],
        keypoint_names=meta["keypoint_names"],
        buckets=False,
    )["per_joint"]
    assert matched["matching"].startswith("OKS") and matched["people_with_prediction"] == 4
    assert matched["all"] == report["per_joint"]["all"]


def test_bad_predictions_name_the_record():
    gt = _gt()
    preds = _predictions(gt)
    preds[1]["image_id"] = 77
    with pytest.raises(ValueError, match="record 1: image_id 77"):
        _run(gt, preds)
    preds = _predictions(gt)
    preds[2]["annotation_id"] = 1
    with pytest.raises(ValueError, match="record 2: annotation_id 1 is predicted twice"):
        _run(gt, preds)

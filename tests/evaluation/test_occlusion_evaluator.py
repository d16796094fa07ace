"""OcclusionEvaluator with TopDownKeypointEvaluator, the seeded test-time occlusion, and the tool."""

import json
import os

import numpy as np
import pytest
import torch
from detectron2.data import MetadataCatalog
from detectron2.evaluation import DatasetEvaluators

from ljof.data import (
    MSRAHeatmap,
    TopDownDatasetMapper,
    get_topdown_dataset,
    register_keypoint_dataset,
)
from ljof.evaluation import OcclusionEvaluator, TopDownKeypointEvaluator
from ljof.analysis.robustness_curve import curve_point
from ljof.data.block_occlusion import BlockOcclusionMapper, joints_under_blocks

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAME = "ljof_test_occlusion_ochuman"
JSON = os.path.join(DATA, "ochuman", "test_ochuman.json")


def _register():
    return register_keypoint_dataset(NAME, JSON, os.path.join(DATA, "ochuman"), "coco")


def _fake_outputs(samples, offsets):
    """Model outputs at the GT joints of each sample's record (+ its offset), scores 1."""
    with open(JSON) as f:
        anns = {a["id"]: a for a in json.load(f)["annotations"]}
    outputs = []
    for s in samples:
        kpts = np.asarray(anns[s["annotation_id"]]["keypoints"], np.float32).reshape(17, 3).copy()
        kpts[:, :2] += offsets(s)
        kpts[:, 2] = 1.0
        outputs.append(
            {
                "keypoints": torch.from_numpy(kpts),
                "bbox_score": 1.0,
                "bbox_area": 5e4,
                "image_id": s["image_id"],
            }
        )
    return outputs


def test_combines_with_topdown_evaluator():
    name = _register()
    records = get_topdown_dataset(name)
    samples = [{"image_id": r["image_id"], "annotation_id": r["annotation_id"]} for r in records]
    evaluators = DatasetEvaluators(
        [
            TopDownKeypointEvaluator(name, distributed=False),
            OcclusionEvaluator(name, distributed=False),
        ]
    )
    evaluators.reset()
    rng = np.random.RandomState(0)
    evaluators.process(samples, _fake_outputs(samples, lambda s: rng.normal(scale=6, size=(17, 2))))
    results = evaluators.evaluate()
    assert set(results) == {"keypoints", "occlusion"}
    occ = results["occlusion"]
    # same results, same OKS evaluation: the occlusion evaluator's overall AP is the keypoint AP
    assert occ["AP"] == pytest.approx(results["keypoints"]["AP"], abs=1e-9)  # both in percent
    assert 0 < occ["AP_visible"] <= 100 and 0 <= occ["AP_occluded"] <= 100
    assert {"AP_maxiou[0,0.25)", "AP_occfrac[0.5,1]", "AR_visible"} <= set(occ)


def _mapper(name):
    codec = MSRAHeatmap(input_size=(96, 128), heatmap_size=(24, 32))
    return TopDownDatasetMapper(is_train=False, codecs=[codec], metadata=MetadataCatalog.get(name))


def _occluded_samples(name, alpha, seed, order):
    records = get_topdown_dataset(name)
    mapper = BlockOcclusionMapper(
        _mapper(name), metadata=MetadataCatalog.get(name), alpha=alpha, seed=seed
    )
    return {s["annotation_id"]: s for s in (mapper(records[i]) for i in order)}


def test_blocks_are_seeded_and_independent_of_order():
    name = _register()
    n = len(get_topdown_dataset(name))
    np.random.seed(123)
    first = _occluded_samples(name, 0.5, 0, range(n))
    np.random.seed(999)  # the global RNG state must not matter, nor the order
    second = _occluded_samples(name, 0.5, 0, reversed(range(n)))
    state = np.random.get_state()
    other = _occluded_samples(name, 0.5, 1, range(n))
    assert np.array_equal(state[1], np.random.get_state()[1])  # the global RNG is restored
    clean = _occluded_samples(name, 0.0, 0, range(n))
    assert first.keys() == second.keys()
    for ann_id, s in first.items():
        assert torch.equal(s["image"], second[ann_id]["image"])
        assert s["lja_blocks"] == second[ann_id]["lja_blocks"]
        assert np.array_equal(s["occluded_joints"], second[ann_id]["occluded_joints"])
        assert s["lja_blocks"]  # alpha 0.5 covers at least one visible limb joint of everyone here
        assert s["occluded_joints"].any()
        assert not clean[ann_id]["lja_blocks"] and not clean[ann_id]["occluded_joints"].any()
    assert any(first[a]["lja_blocks"] != other[a]["lja_blocks"] for a in first)
    # the covered pixels carry the fill
    s = next(iter(first.values()))
    x0, y0, x1, y1, fill = s["lja_blocks"][0]
    assert (s["image"][:, y0:y1, x0:x1] == fill).all()


def test_alpha_covers_nested_joint_sets():
    name = _register()
    n = len(get_topdown_dataset(name))
    small = _occluded_samples(name, 0.15, 0, range(n))
    large = _occluded_samples(name, 1.0, 0, range(n))
    for ann_id in small:
        assert set(small[ann_id]["lja_blocks"]) <= set(large[ann_id]["lja_blocks"])


def test_joints_under_blocks():
    kpts = np.array([[5.0, 5.0, 2], [5.0, 5.0, 0], [9.6, 5.0, 1], [20.0, 20.0, 2]])
    covered = joints_under_blocks(kpts, [(0, 0, 10, 10, 7)])
    # joint 2 rounds to pixel 10, outside [0, 10); joint 1 is unlabeled
    assert covered.tolist() == [True, False, False, False]


def _curve(name, seed):
    records = get_topdown_dataset(name)
    points = []
    for alpha in (0.0, 0.5, 1.0):
        mapper = BlockOcclusionMapper(
            _mapper(name), metadata=MetadataCatalog.get(name), alpha=alpha, seed=seed
        )
        samples = [mapper(r) for r in records]

        def offsets(s):  # a "model" that fails where the crop is covered
            off = np.zeros((17, 2), np.float32)
            off[s["occluded_joints"]] = 40.0
            return off

        ev = OcclusionEvaluator(name, distributed=False, buckets=False)
        ev.reset()
        ev.process(samples, _fake_outputs(samples, offsets))
        ev.evaluate()
        points.append(curve_point(ev.report, alpha))
    return points


def test_curve_identical_for_the_same_seed():
    name = _register()
    a, b = _curve(name, 0), _curve(name, 0)
    assert a == b
    assert a[0]["occluded_joints"] == 0 and a[0]["AP"] == pytest.approx(100.0)
    assert a[2]["occluded_joints"] > a[1]["occluded_joints"] > 0
    assert a[2]["AP"] < a[0]["AP"]
    # covered joints counted as occluded: the visible-joint AP stays 100
    assert all(p["AP_visible"] == pytest.approx(100.0) for p in a)


def _load_tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "analyze_occlusion", os.path.join(ROOT, "tools", "analyze_occlusion.py")
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_tool_on_prediction_files(tmp_path):
    """--predictions: files in TopDownKeypointEvaluator's keypoint_predictions.json format."""
    name = _register()
    records = get_topdown_dataset(name)
    samples = [{"image_id": r["image_id"], "annotation_id": r["annotation_id"]} for r in records]
    paths = []
    for label, shift in (("exact", 0.0), ("shifted", 15.0)):
        rows = [
            {
                "image_id": o["image_id"],
                "category_id": 1,
                "score": 1.0,
                "bbox_score": 1.0,
                "area": o["bbox_area"],
                "keypoints": o["keypoints"].reshape(-1).tolist(),
            }
            for o in _fake_outputs(samples, lambda s: np.full((17, 2), shift, np.float32))
        ]
        paths.append(str(tmp_path / f"{label}.json"))
        with open(paths[-1], "w") as f:
            json.dump(rows, f)
    out = tmp_path / "out"
    summary = _load_tool().main(
        [
            "--dataset",
            name,
            "--predictions",
            *paths,
            "--labels",
            "exact",
            "shifted",
            "--output",
            str(out),
        ]
    )
    assert summary["exact"]["AP"] == pytest.approx(100.0)
    assert summary["exact"]["AP_occluded"] == pytest.approx(100.0)
    assert summary["shifted"]["AP"] < 100.0
    with open(out / "occlusion_metrics.json") as f:
        saved = json.load(f)
    assert saved["models"]["shifted"]["report"]["per_joint"]["matching"].startswith("OKS")
    assert (out / "per_joint.png").exists() and not (out / "robustness.png").exists()


def test_tool_end_to_end(tmp_path):
    """tools/analyze_occlusion.py on 3 generated images with an untrained tiny HRNet."""
    from detectron2.checkpoint import DetectionCheckpointer
    from detectron2.config import LazyConfig, instantiate

    from ljof.synthetic import generate_split

    root = str(tmp_path / "synth")
    generate_split(root, "occluded", num_images=3, seed=0)
    cfg_file = os.path.join(ROOT, "configs", "main_job", "baseline.py")
    torch.manual_seed(0)
    model = instantiate(LazyConfig.load(cfg_file).model)
    DetectionCheckpointer(model, save_dir=str(tmp_path)).save("tiny")
    tool = _load_tool()
    name = "ljof_test_occlusion_synth"
    out = tmp_path / "out"
    argv = [
        "--config-file",
        cfg_file,
        "--checkpoints",
        str(tmp_path / "tiny.pth"),
        "--labels",
        "tiny",
        "--register",
        f"{name}={root}/annotations/occluded.json:{root}/images/occluded",
        "--dataset",
        name,
        "--output",
        str(out),
        "--alphas",
        "0",
        "1",
        "--threads",
        "1",
    ]
    summary = tool.main(argv)
    assert set(summary["tiny"]) == {"AP", "AP_visible", "AP_occluded", "AP_alpha0", "AP_alpha1"}
    # alpha 0 leaves the GT-box crops unchanged: the same AP as the plain run
    assert summary["tiny"]["AP_alpha0"] == pytest.approx(summary["tiny"]["AP"])
    for f in (
        "occlusion_metrics.json",
        "per_joint.png",
        "robustness.png",
        "tiny/occlusion_table.txt",
    ):
        assert (out / f).stat().st_size > 0
    with open(out / "occlusion_metrics.json") as f:
        saved = json.load(f)
    curve = saved["models"]["tiny"]["robustness"]
    assert [p["alpha"] for p in curve] == [0.0, 1.0]
    assert curve[1]["occluded_joints"] > 0
    assert len(saved["models"]["tiny"]["report"]["per_joint"]["joints"]) == 17

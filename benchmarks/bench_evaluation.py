#!/usr/bin/env python
"""Speed of the whole keypoint evaluation against the official tools' Python code, in one run.

Builds a synthetic COCO-format GT (``--num-images`` images, 0-4 people each) and about
``--instances-per-image`` person predictions per image around it (near-duplicates of each person, as
overlapping detector boxes give, plus false positives), then times:

* ``evaluator_s``: detectron2's ``evaluate()`` of :class:`ljof.evaluation.TopDownKeypointEvaluator` after
  ``process()`` has received the per-instance model outputs (torch tensors, as at test time): gathering
  the predictions, GT json parsing and checks, rescoring, OKS-NMS, OKS AP; ``process()`` runs during
  inference and is not timed. The median of ``--repeats`` runs before each reference run (below);
  ``evaluator_first_s`` is the process's first call (fresh memory: page faults), timed apart;
* ``ljof_s``: :func:`ljof.evaluation.evaluate_keypoint_predictions` from the prediction dicts (what
  ``tools/evaluate_keypoints.py`` does after reading a predictions json): the same plus parsing the dicts
  (median of ``--repeats``);
* ``reference_s``: the reference tool on the results that ljof scored (the same list; median of
  ``--reference-repeats`` runs, and each run's statistics compared):
  pycocotools (``COCO(gt_json)``, ``loadRes``, ``evaluate``, ``accumulate``, ``summarize``), or for the
  CrowdPose row xtcocotools ``keypoints_crowd``.

``speedup`` is the median over the reference runs of ``reference run / median of the evaluate() runs
just before it`` (``speedup_runs``; the runs are interleaved because the speed of this shared machine
drifts by 20-30 % within minutes; target >= 20 on the default 5,000 images / ~100k predictions);
``speedup_first_call = reference_s / evaluator_first_s``, ``speedup_from_dicts = reference_s / ljof_s``,
and ``max_abs_diff`` between the statistics (percent; target 0). ``--backends`` also times OKS AP
engines alone on the same results (the project's, hotcoco, and faster-coco-eval when it is installed),
as measured to choose the engine. ``--stages`` times the steps of ``evaluate_keypoint_predictions`` one
by one (median of ``--repeats``): GT parsing and checks, prediction parsing, rescoring, OKS-NMS,
``apply_protocol`` (rescoring + OKS-NMS), and the OKS AP step.

``from_file`` (COCO row, ``--from-file-rounds`` rounds, default 3): the whole evaluation from a results
file, as a user with a results json runs it: the LJOF-scored results written to a json file (77 MB for
the default set), then each tool parses the GT json and that file, evaluates, accumulates and
summarizes: LJOF (``coco_oks_ap(gt_json, results_json)``), pycocotools, hotcoco, and, when installed
(benchmark-only, ``pip install faster-coco-eval==1.8.0 ultrafast-pycocotools==0.1.14``),
faster-coco-eval and ultrafast-pycocotools; each tool once per round in a rotating order, with Python's
garbage collector on as in a fresh process. It reports each tool's median seconds and its max |diff| to
pycocotools' statistics, and the medians of the per-round ratios ``pycocotools / LJOF`` (target >= 10)
and ``LJOF / hotcoco`` (target <= 2). ``--skip-crowdpose`` runs the COCO row only.

The CrowdPose row does the same on a CrowdPose-format GT (14 keypoints, ``crowdIndex``, no ``area``)
against xtcocotools ``keypoints_crowd`` (``use_area=False``) with its 4-decimal rounding of APE/APM/APH
switched off; on these predictions (no all-zero keypoint scores) it computes crowdposetools' numbers.

Ends with one JSON line of the figures.
"""

import argparse
import contextlib
import copy
import gc
import io
import json
import logging
import os
import statistics
import tempfile
import time
from unittest import mock

import numpy as np

import ljof  # noqa: F401
from detectron2.utils.logger import setup_logger

import torch

from ljof.data.datasets import get_keypoint_set_metadata, register_keypoint_dataset
from ljof.evaluation import (
    COCO_METRIC_NAMES,
    CROWDPOSE_METRIC_NAMES,
    TopDownKeypointEvaluator,
    apply_protocol,
    batched_oks_nms,
    evaluate_keypoint_predictions,
    load_keypoint_gt,
    predictions_to_arrays,
    rescore_by_keypoints,
)
from ljof.evaluation.oks_ap import _coco_stats, _crowdpose_stats, gc_paused

logger = logging.getLogger("ljof.benchmarks.bench_evaluation")


def make_ground_truth(rng: np.random.Generator, num_images: int, num_keypoints: int, crowd=False):
    """Synthetic keypoint GT: (json dict, list of (image_id, (K, 3) keypoints, area)).

    ``crowd=True``: CrowdPose format (``crowdIndex`` per image, no annotation ``area``).
    """
    images, annotations, people = [], [], []
    ann_id = 1
    for image_id in range(1, num_images + 1):
        image = {"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": 640, "height": 480}
        if crowd:
            image["crowdIndex"] = round(float(rng.uniform(0, 1.2)), 2)
        images.append(image)
        for _ in range(rng.integers(0, 5)):
            w, h = rng.uniform(30, 250), rng.uniform(60, 400)
            x0, y0 = rng.uniform(0, 640 - w), rng.uniform(0, 480 - min(h, 479))
            kpts = np.stack(
                [
                    x0 + rng.uniform(0, w, num_keypoints),
                    y0 + rng.uniform(0, h, num_keypoints),
                    rng.choice([0, 1, 2], num_keypoints, p=[0.2, 0.2, 0.6]),
                ],
                axis=1,
            ).round(1)
            kpts[kpts[:, 2] == 0, :2] = 0
            visible = int((kpts[:, 2] > 0).sum())
            ann = {
                "id": ann_id,
                "image_id": image_id,
                "category_id": 1,
                "iscrowd": 0,
                "bbox": [x0, y0, w, h],
                "num_keypoints": visible,
                "keypoints": kpts.reshape(-1).tolist(),
            }
            if not crowd:
                ann["area"] = w * h * 0.7
            annotations.append(ann)
            people.append((image_id, kpts, w * h))
            ann_id += 1
    categories = [{"id": 1, "name": "person", "supercategory": "person"}]
    gt = {"images": images, "annotations": annotations, "categories": categories}
    return gt, people


def make_predictions(rng, people, num_images: int, per_image: int, num_keypoints: int):
    """About ``per_image`` predictions per image: 2-6 jittered copies per person, the rest random."""
    preds = []
    by_image = {}
    for image_id, kpts, area in people:
        by_image.setdefault(image_id, []).append((kpts, area))
    for image_id in range(1, num_images + 1):
        persons = by_image.get(image_id, [])
        count = 0
        for kpts, area in persons:
            # unlabelled joints: one guess per person, shared by its duplicates
            xy = np.where(kpts[:, 2:] > 0, kpts[:, :2], rng.uniform(0, 480, (num_keypoints, 2)))
            for _ in range(rng.integers(2, 7)):
                jitter = rng.normal(0, 0.01 * np.sqrt(area), (num_keypoints, 2))
                preds.append(_pred(rng, image_id, xy + jitter, area * 1.5, rng.uniform(0.5, 1.0)))
                count += 1
        for _ in range(max(per_image - count, 0)):
            w, h = rng.uniform(20, 200), rng.uniform(40, 300)
            xy = np.stack(
                [
                    rng.uniform(0, w, num_keypoints) + rng.uniform(0, 440),
                    rng.uniform(0, h, num_keypoints),
                ],
                axis=1,
            )
            preds.append(_pred(rng, image_id, xy, w * h * 1.5, rng.uniform(0.0, 0.6)))
    return preds


def _pred(rng, image_id, xy, area, bbox_score):
    scores = rng.uniform(0, 1, (len(xy), 1))
    return {
        "image_id": image_id,
        "category_id": 1,
        "keypoints": np.concatenate([xy, scores], axis=1).reshape(-1).tolist(),
        "score": float(bbox_score),
        "area": float(area),
    }


def reference_stats(gt_json: str, results, keypoint_set: str, sigmas):
    """The Python reference tool on ``results``: (seconds, stats in percent with NaN for -1)."""
    results = copy.deepcopy(results)  # loadRes writes into them; not timed
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if keypoint_set == "coco":
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval

            gt = COCO(gt_json)
            ev = COCOeval(gt, gt.loadRes(results), "keypoints")
            ev.params.kpt_oks_sigmas = np.asarray(sigmas)
            names = COCO_METRIC_NAMES
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        else:
            from xtcocotools.coco import COCO
            from xtcocotools.cocoeval import COCOeval

            gt = COCO(gt_json)
            ev = COCOeval(gt, gt.loadRes(results), "keypoints_crowd", np.asarray(sigmas),
                          use_area=False)  # fmt: skip
            names = CROWDPOSE_METRIC_NAMES
            # crowdposetools' E/M/H without the 4-decimal rounding (tests/data/oracle/README.md)
            with mock.patch("xtcocotools.cocoeval.round", lambda v, d: float(v), create=True):
                ev.evaluate()
                ev.accumulate()
                ev.summarize()
    seconds = time.perf_counter() - start
    stats = {n: 100.0 * float(v) if v >= 0 else float("nan") for n, v in zip(names, ev.stats)}
    return seconds, stats


def backend_times(gt_json: str, results, sigmas, reference):
    """OKS AP engines alone (GT load from the path + results load + evaluate), COCO protocol, on the
    same results: seconds and max |diff| (percent) to ``reference``; faster-coco-eval if installed."""
    import hotcoco

    from ljof.evaluation import coco_oks_ap

    def ours():
        stats = coco_oks_ap(gt_json, results, sigmas=sigmas)
        return [stats[n] / 100.0 for n in COCO_METRIC_NAMES]

    def hot():
        gt = hotcoco.COCO(gt_json)
        ev = hotcoco.COCOeval(gt, gt.load_res(results), "keypoints")
        ev.params.kpt_oks_sigmas = list(sigmas)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev.stats

    def faster():
        from faster_coco_eval import COCO, COCOeval_faster

        gt = COCO(gt_json)
        ev = COCOeval_faster(gt, gt.loadRes(copy.deepcopy(results)), "keypoints",
                             kpt_oks_sigmas=list(sigmas))  # fmt: skip
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev.stats

    rows = {}
    for name, run in (("ljof", ours), ("hotcoco", hot), ("faster-coco-eval", faster)):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                start = time.perf_counter()
                stats = run()
                seconds = time.perf_counter() - start
        except ImportError:
            continue
        got = [100.0 * float(v) for v in stats[: len(COCO_METRIC_NAMES)]]
        diff = max(abs(g - reference[n]) for g, n in zip(got, COCO_METRIC_NAMES))
        rows[name] = {"s": round(seconds, 3), "max_abs_diff": diff}
    return rows


def _from_file_tools(gt_json: str, results_json: str, sigmas):
    """name -> a function that runs one tool's whole evaluation from the two files (parse the GT and
    the results file, evaluate, accumulate, summarize) and returns its 10 statistics (fractions);
    tools that are not installed are left out (faster-coco-eval and ultrafast-pycocotools are
    benchmark-only: ``pip install faster-coco-eval==1.8.0 ultrafast-pycocotools==0.1.14``)."""
    import hotcoco

    from ljof.evaluation import coco_oks_ap

    def ljof_run():
        stats = coco_oks_ap(gt_json, results_json, sigmas=sigmas)
        return [stats[n] / 100.0 if stats[n] == stats[n] else -1.0 for n in COCO_METRIC_NAMES]

    def pycocotools_style(module):
        def run():
            coco, cocoeval = (__import__(f"{module}.{m}", fromlist=["x"]) for m in ("coco", "cocoeval"))
            gt = coco.COCO(gt_json)
            ev = cocoeval.COCOeval(gt, gt.loadRes(results_json), "keypoints")
            ev.params.kpt_oks_sigmas = np.asarray(sigmas)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            return ev.stats

        return run

    def hotcoco_run():
        gt = hotcoco.COCO(gt_json)
        ev = hotcoco.COCOeval(gt, gt.load_res(results_json), "keypoints")
        ev.params.kpt_oks_sigmas = list(sigmas)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev.stats

    def faster_run():
        from faster_coco_eval import COCO, COCOeval_faster

        gt = COCO(gt_json)
        ev = COCOeval_faster(gt, gt.loadRes(results_json), "keypoints", kpt_oks_sigmas=list(sigmas))
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev.stats

    tools = {"ljof": ljof_run, "pycocotools": pycocotools_style("pycocotools"),
             "hotcoco": hotcoco_run}  # fmt: skip
    for name, module, run in (
        ("faster-coco-eval", "faster_coco_eval", faster_run),
        ("ultrafast-pycocotools", "ultrafast_pycocotools", pycocotools_style("ultrafast_pycocotools")),
    ):
        try:
            __import__(module)
        except ImportError:
            logger.info(f"{name} is not installed; left out of the from-file comparison")
            continue
        tools[name] = run
    return tools


def from_file_times(gt_json: str, results, sigmas, rounds: int):
    """The whole evaluation from a results file, every tool once per round in a rotating order
    (interleaved: the rounds compare times taken within seconds of each other on a shared machine).

    Returns:
        per tool: median seconds, all runs, max |diff| of its statistics to pycocotools' (AP points);
        ``ratio_pycocotools_over_ljof`` / ``ratio_ljof_over_hotcoco``: medians over the rounds of the
        per-round ratios, and the ratios of each round.
    """
    results_json = os.path.join(os.path.dirname(gt_json), "results.json")
    with open(results_json, "w") as f:
        json.dump(results, f)
    tools = _from_file_tools(gt_json, results_json, sigmas)
    names = list(tools)
    times = {n: [] for n in names}
    stats = {}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            with contextlib.redirect_stdout(io.StringIO()), gc_enabled():
                start = time.perf_counter()
                out = tools[name]()
                times[name].append(time.perf_counter() - start)
            stats[name] = [100.0 * float(v) for v in out[: len(COCO_METRIC_NAMES)]]
    ref = stats["pycocotools"]
    rows = {
        name: {
            "s": round(statistics.median(times[name]), 3),
            "runs_s": [round(t, 3) for t in times[name]],
            "max_abs_diff": max(
                abs(a - b) for a, b in zip(stats[name], ref) if not (a < 0 and b < 0)
            ),
        }
        for name in names
    }
    over_ljof = [p / o for p, o in zip(times["pycocotools"], times["ljof"])]
    over_hot = [o / h for o, h in zip(times["ljof"], times["hotcoco"])]
    rows["ratio_pycocotools_over_ljof"] = round(statistics.median(over_ljof), 2)
    rows["ratio_pycocotools_over_ljof_runs"] = [round(v, 2) for v in over_ljof]
    rows["ratio_ljof_over_hotcoco"] = round(statistics.median(over_hot), 2)
    rows["ratio_ljof_over_hotcoco_runs"] = [round(v, 2) for v in over_hot]
    rows["results_file_mb"] = round(os.path.getsize(results_json) / 2**20, 1)
    return rows


@contextlib.contextmanager
def gc_enabled():
    """Python's garbage collector on, as in a fresh process (every tool runs under the same setting)."""
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was_enabled:
            gc.disable()


def stage_times(gt_json: str, preds, keypoint_set: str, sigmas, repeats: int):
    """Seconds (median of ``repeats``) of each step of ``evaluate_keypoint_predictions`` with the
    protocol's defaults (rescoring, OKS-NMS at 0.9), timed one after the other as it runs them."""
    k = len(sigmas)
    stats_fn = _crowdpose_stats if keypoint_set == "crowdpose" else _coco_stats
    runs = []
    for _ in range(repeats):
        row = {}
        with gc_paused():
            start = time.perf_counter()
            gt = load_keypoint_gt(gt_json, keypoint_set, num_keypoints=k)
            row["gt_parse_and_checks"] = time.perf_counter() - start
            start = time.perf_counter()
            arrays = predictions_to_arrays(preds, k, category_ids=gt.accepted_category_ids)
            row["prediction_parsing"] = time.perf_counter() - start
            start = time.perf_counter()
            scores = rescore_by_keypoints(arrays.keypoints[..., 2], arrays.bbox_scores)
            row["rescoring"] = time.perf_counter() - start
            start = time.perf_counter()
            batched_oks_nms(arrays.image_ids, arrays.keypoints, scores, arrays.areas, 0.9, sigmas)
            row["oks_nms"] = time.perf_counter() - start
            start = time.perf_counter()
            results = apply_protocol(arrays, sigmas)
            row["apply_protocol"] = time.perf_counter() - start
            start = time.perf_counter()
            stats_fn(gt, results, sigmas)
            row["oks_ap"] = time.perf_counter() - start
            del results, gt
        runs.append(row)
    return {name: round(statistics.median(r[name] for r in runs), 3) for name in runs[0]}


def evaluator_run(gt_json: str, preds, keypoint_set: str):
    """A function that feeds every prediction to a fresh ``TopDownKeypointEvaluator`` through
    ``process()`` as per-instance model outputs (untimed) and returns (seconds of ``evaluate()``, its
    metrics)."""
    name = f"bench_evaluation_{keypoint_set}_{os.getpid()}_{abs(hash(gt_json))}"
    register_keypoint_dataset(name, gt_json, os.path.dirname(gt_json), keypoint_set)
    evaluator = TopDownKeypointEvaluator(name, distributed=False)
    k = len(get_keypoint_set_metadata(keypoint_set)["keypoint_names"])
    outputs = [
        {
            # float64, so that the evaluator scores the same numbers as the other paths
            "keypoints": torch.tensor(p["keypoints"], dtype=torch.float64).reshape(k, 3),
            "bbox_score": torch.tensor(p["score"], dtype=torch.float64),
            "bbox_area": torch.tensor(p["area"], dtype=torch.float64),
        }
        for p in preds
    ]
    inputs = [{"image_id": p["image_id"]} for p in preds]

    def run():
        evaluator.reset()
        for begin in range(0, len(inputs), 64):  # batches of 64 person crops
            evaluator.process(inputs[begin : begin + 64], outputs[begin : begin + 64])
        start = time.perf_counter()
        metrics = evaluator.evaluate()["keypoints"]
        return time.perf_counter() - start, metrics

    return run


def bench(
    keypoint_set: str, num_images: int, per_image: int, repeats: int, seed: int, backends, stages,
    reference_repeats: int, from_file_rounds: int = 0,
):  # fmt: skip
    rng = np.random.default_rng(seed)
    meta = get_keypoint_set_metadata(keypoint_set)
    sigmas, k = meta["keypoint_oks_sigmas"], len(meta["keypoint_names"])
    gt, people = make_ground_truth(rng, num_images, k, crowd=keypoint_set == "crowdpose")
    preds = make_predictions(rng, people, num_images, per_image, k)
    logger.info(
        f"{keypoint_set}: {num_images} images, {len(gt['annotations'])} GT people, "
        f"{len(preds)} predictions"
    )
    with tempfile.TemporaryDirectory() as tmp:
        gt_json = os.path.join(tmp, "gt.json")
        with open(gt_json, "w") as f:
            json.dump(gt, f)
        run_evaluator = evaluator_run(gt_json, preds, keypoint_set)
        first_s, from_model = run_evaluator()  # the process's first evaluate(): fresh memory
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            ours = evaluate_keypoint_predictions(preds, gt_json, keypoint_set=keypoint_set)
            times.append(time.perf_counter() - start)
        results = apply_protocol(predictions_to_arrays(preds, k), sigmas).to_coco(1)  # what was scored
        # Interleaved: ``repeats`` evaluate() runs right before each reference run, so that each
        # ratio compares times taken within seconds of each other on this shared machine.
        evaluator_runs, reference_runs, ratios = [], [], []
        for _ in range(reference_repeats):
            before = [run_evaluator()[0] for _ in range(repeats)]
            reference_runs.append(reference_stats(gt_json, results, keypoint_set, sigmas))
            evaluator_runs += before
            ratios.append(reference_runs[-1][0] / statistics.median(before))
        ref_s, ref = statistics.median(r[0] for r in reference_runs), reference_runs[0][1]
        engines = backend_times(gt_json, results, sigmas, ref) if backends else None
        from_file = (
            from_file_times(gt_json, results, sigmas, from_file_rounds)
            if from_file_rounds and keypoint_set == "coco"
            else None
        )
        steps = stage_times(gt_json, preds, keypoint_set, sigmas, repeats) if stages else None
    diffs = [
        abs(got[n] - want[n])
        for got in (ours, from_model)
        for _, want in reference_runs
        for n in got
        if not (np.isnan(got[n]) and np.isnan(want[n]))
    ]
    ljof_s, evaluator_s = statistics.median(times), statistics.median(evaluator_runs)
    row = {
        "num_images": num_images,
        "num_gt": len(gt["annotations"]),
        "num_predictions": len(preds),
        "num_scored": len(results),
        "evaluator_s": round(evaluator_s, 3),
        "evaluator_runs_s": [round(t, 3) for t in evaluator_runs],
        "evaluator_first_s": round(first_s, 3),
        "ljof_s": round(ljof_s, 3),
        "ljof_runs_s": [round(t, 3) for t in times],
        "reference": "pycocotools" if keypoint_set == "coco" else "xtcocotools keypoints_crowd",
        "reference_s": round(ref_s, 3),
        "reference_runs_s": [round(r[0], 3) for r in reference_runs],
        "speedup": round(statistics.median(ratios), 1),
        "speedup_runs": [round(r, 1) for r in ratios],
        "speedup_first_call": round(ref_s / first_s, 1),
        "speedup_from_dicts": round(ref_s / ljof_s, 1),
        "max_abs_diff": max(diffs) if diffs else 0.0,
        "AP": ours["AP"],
    }
    if engines is not None:
        row["engines_alone"] = engines
    if steps is not None:
        row["stages_s"] = steps
    if from_file is not None:
        row["from_file"] = from_file
        logger.info(
            f"{keypoint_set} from a results file ({from_file['results_file_mb']} MB): "
            + ", ".join(f"{n} {v['s']:.3f} s" for n, v in from_file.items() if isinstance(v, dict))
            + f"; pycocotools / LJOF {from_file['ratio_pycocotools_over_ljof']}x, LJOF / hotcoco "
            f"{from_file['ratio_ljof_over_hotcoco']}x (medians of per-round ratios)"
        )  # fmt: skip
    logger.info(
        f"{keypoint_set}: evaluator.evaluate() {evaluator_s:.3f} s (first call {first_s:.3f} s), from "
        f"prediction dicts {ljof_s:.3f} s vs {row['reference']} {ref_s:.3f} s (load + evaluate): "
        f"{row['speedup']}x (runs {row['speedup_runs']}; first call {row['speedup_first_call']}x) / "
        f"{row['speedup_from_dicts']}x, max |diff| {row['max_abs_diff']:.2e}"
    )
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-images", type=int, default=5000)
    parser.add_argument("--crowdpose-images", type=int, default=2000)
    parser.add_argument("--instances-per-image", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5, help="ljof runs (median reported)")
    parser.add_argument(
        "--reference-repeats", type=int, default=3, help="reference tool runs (median reported)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--backends", action="store_true", help="also time the OKS AP engines alone (COCO row)"
    )
    parser.add_argument(
        "--stages", action="store_true", help="also time the steps of the evaluation one by one"
    )
    parser.add_argument(
        "--from-file-rounds",
        type=int,
        default=3,
        help="rounds of the from-file comparison (COCO row; 0: skip), each tool once per round",
    )
    parser.add_argument("--skip-crowdpose", action="store_true", help="only the COCO row")
    args = parser.parse_args()
    setup_logger(name="ljof")
    logging.getLogger("ljof.evaluation").setLevel(logging.WARNING)

    figures = {
        "coco": bench(
            "coco",
            args.num_images,
            args.instances_per_image,
            args.repeats,
            args.seed,
            args.backends,
            args.stages,
            args.reference_repeats,
            args.from_file_rounds,
        ),
        "crowdpose": None if args.skip_crowdpose else bench(
            "crowdpose",
            args.crowdpose_images,
            args.instances_per_image,
            args.repeats,
            args.seed,
            False,
            args.stages,
            args.reference_repeats,
        ),  # fmt: skip
        "target_speedup": 20,
        "target_from_file": "pycocotools / LJOF >= 10, LJOF / hotcoco <= 2",
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

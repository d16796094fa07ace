"""Score the main job's finished runs from the files their training processes wrote, and compare each
variant with the baseline of the same seed (paired bootstrap over test images)."""

import json
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
from detectron2.data import MetadataCatalog

from ljof.synthetic import dataset_name

from .comparison import left_right_swap_rate, load_predictions, paired_differences, split_scores
from .per_joint import pair_confusion_rates
from .training import prediction_file
from .variants import BASELINE, Run

__all__ = [
    "LIMB_END_PAIRS",
    "load_split_gts",
    "run_predictions",
    "prediction_scores",
    "score_predictions",
    "score_runs",
    "compare_runs",
]

LIMB_END_PAIRS = ("wrist", "ankle")  # the joints LJA hides most and whose side is hardest to tell


def load_split_gts(splits: Sequence[str]) -> Dict[str, Tuple[Dict, object]]:
    """split -> (its COCO-format GT dict, its registered metadata); the splits must be registered
    (``ljof.synthetic.register_synthetic_datasets``)."""
    gts = {}
    for split in splits:
        meta = MetadataCatalog.get(dataset_name(split))
        with open(meta.json_file) as f:
            gts[split] = (json.load(f), meta)
    return gts


def run_predictions(output_dir: str, split: str, gts: Mapping[str, Tuple[Dict, object]]):
    """The predictions that the run in ``output_dir`` wrote for ``split`` (COCO keypoint results)."""
    meta = gts[split][1]
    return load_predictions(
        prediction_file(output_dir, dataset_name(split)), len(meta.keypoint_names)
    )


def prediction_scores(
    preds: Sequence[Mapping], gt: Dict, meta, best: Optional[Mapping[int, np.ndarray]] = None
) -> Dict[str, float]:
    """:data:`SPLIT_METRICS <ljof.main_job.comparison.SPLIT_METRICS>`, ``LR_swaps`` (whole-person
    left/right swaps) and ``LR_<pair>`` for the limb end joints (``LR_wrist``, ``LR_ankle``: joints nearer
    the other side's label, :func:`~ljof.main_job.per_joint.pair_confusion_rates`, from ``best`` when
    already computed); all in percent."""
    scores = split_scores(preds, gt, meta)
    scores["LR_swaps"] = 100.0 * left_right_swap_rate(preds, gt, meta)
    pairs = pair_confusion_rates(preds, gt, meta, best=best)
    for pair in LIMB_END_PAIRS:
        scores[f"LR_{pair}"] = 100.0 * pairs[pair]
    return scores


def score_predictions(output_dir: str, split: str, gts: Mapping[str, Tuple[Dict, object]]):
    """(predictions, scores) of the run in ``output_dir`` on ``split``: :func:`run_predictions` and
    their :func:`prediction_scores`."""
    preds = run_predictions(output_dir, split, gts)
    return preds, prediction_scores(preds, *gts[split])


def score_runs(runs: Sequence[Run], output: str, gts: Mapping[str, Tuple[Dict, object]]):
    """split -> run key -> (predictions, scores) of runs in ``run.output_dir(output)``."""
    return {
        split: {run.key: score_predictions(run.output_dir(output), split, gts) for run in runs}
        for split in gts
    }


def compare_runs(runs, scored, gts, *, num_resamples: int, seed: int):
    """split -> run key -> paired differences (:func:`~ljof.main_job.comparison.paired_differences`)
    to the baseline run of the same seed; runs without such a baseline (``--variants ljof``) and the
    baseline itself are left out."""
    out = {}
    for split, by_run in scored.items():
        gt, meta = gts[split]
        out[split] = {}
        for run in runs:
            base = Run(BASELINE, run.seed).key
            if run.variant.name == BASELINE.name or base not in by_run:
                continue
            out[split][run.key] = paired_differences(
                by_run[base][0], by_run[run.key][0], gt, meta, num_resamples=num_resamples,
                seed=seed,
            )  # fmt: skip
    return out

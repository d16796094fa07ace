"""The keypoint count of the model against the keypoint sets of the datasets it trains on or is tested on."""

from typing import Iterable

from detectron2.data import MetadataCatalog
from omegaconf import OmegaConf

from ljof.data.datasets.builtin_meta import KEYPOINT_SETS
from ljof.errors import InputError

__all__ = ["check_keypoint_counts"]


def _set_name(count: int) -> str:
    names = [n for n, fields in KEYPOINT_SETS.items() if len(fields["keypoint_names"]) == count]
    return f"{count} ({'/'.join(names)})" if names else str(count)


def check_keypoint_counts(cfg, dataset_names: Iterable[str]) -> None:
    """Raise :class:`~ljof.errors.InputError` when a dataset's keypoint set has another joint count than
    the model's head (``model.head.num_keypoints``), before any data is read or any step runs.

    Without this check a CrowdPose-14 dataset under a COCO-17 model fails in the first loss (the targets
    have 14 channels, the heatmaps 17) or, with ``--eval-only``, in the evaluator's reshape of the
    predictions.

    Args:
        cfg: a LazyConfig with ``model.head.num_keypoints`` (nothing is checked without it).
        dataset_names: registered dataset names (their metadata's ``keypoint_names``; unregistered or
            metadata-less names are left to the loader, which names them).
    """
    count = OmegaConf.select(cfg, "model.head.num_keypoints", default=None)
    if not isinstance(count, int):
        return
    for name in dict.fromkeys(dataset_names):
        if name not in MetadataCatalog.list():
            continue
        keypoints = MetadataCatalog.get(name).get("keypoint_names", None)
        if keypoints is None or len(keypoints) == count:
            continue
        raise InputError(
            f"dataset '{name}' has {_set_name(len(keypoints))} keypoints, the model "
            f"(model.head.num_keypoints) {_set_name(count)}; use a config of the dataset's keypoint set "
            "(configs/*_crowdpose_* for CrowdPose, *_coco_* for COCO), or register the data with the set "
            "its json has (--register NAME=JSON:IMAGE_ROOT:coco|crowdpose)"
        )

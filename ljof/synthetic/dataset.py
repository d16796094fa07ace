"""Write the generated person-keypoint dataset to disk in COCO format and register it.

Layout under ``root``::

    annotations/{train,val,occluded}.json   COCO person keypoints (pixel-index convention)
    images/{train,val,occluded}/000000.jpg

Every image has its own seed (``[seed, split index, image index]``), so a split is reproducible for a
seed and independent of the others. Annotations: ``keypoints`` (17 × (x, y, v)), ``num_keypoints`` (v > 0),
``bbox`` (the person's full, amodal extent clipped to the image, XYWH), ``area`` (the box area w × h, the
OKS scale, as in OCHuman's COCO-format files), ``silhouette_area`` (pixels of the full figure), ``iscrowd`` 0.
"""

import json
import logging
import multiprocessing
import os
import time
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from ljof.data.datasets.builtin_meta import COCO_CONNECTIONS, COCO_KEYPOINT_NAMES

from .scene import LIMB_JOINT_IDS, SPLIT_STYLES, render_scene

__all__ = [
    "SPLITS",
    "DEFAULT_SIZES",
    "dataset_name",
    "default_root",
    "generate_split",
    "generate_dataset",
    "register_synthetic_datasets",
    "occlusion_stats",
    "is_generated",
]

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "occluded")
DEFAULT_SIZES = {"train": 600, "val": 200, "occluded": 200}
NAME_PREFIX = "ljof_synth"


def dataset_name(split: str) -> str:
    """Registered name of a split, e.g. ``"ljof_synth_occluded"``."""
    if split not in SPLITS:
        raise ValueError(f"unknown synthetic split {split!r}; expected one of {SPLITS}")
    return f"{NAME_PREFIX}_{split}"


def default_root() -> str:
    """``$LJOF_SYNTHETIC_ROOT``, else ``$DETECTRON2_DATASETS/ljof_synthetic`` (default ``./datasets``)."""
    if os.environ.get("LJOF_SYNTHETIC_ROOT"):
        return os.environ["LJOF_SYNTHETIC_ROOT"]
    return os.path.join(os.environ.get("DETECTRON2_DATASETS", "datasets"), "ljof_synthetic")


def _categories():
    index = {n: i + 1 for i, n in enumerate(COCO_KEYPOINT_NAMES)}  # COCO skeleton is 1-based
    return [
        {
            "id": 1,
            "name": "person",
            "supercategory": "person",
            "keypoints": list(COCO_KEYPOINT_NAMES),
            "skeleton": [[index[a], index[b]] for a, b, _ in COCO_CONNECTIONS],
        }
    ]


def occlusion_stats(annotations) -> Dict[str, float]:
    """Occlusion figures of a list of COCO annotations.

    Returns:
        dict with ``covered_limb_joint_fraction`` (v = 1 among labeled limb joints),
        ``people_with_covered_limb_joint`` (fraction of people with at least one), ``people``,
        ``labeled_limb_joints``.
    """
    labeled = covered = people_covered = 0
    for ann in annotations:
        v = np.asarray(ann["keypoints"], np.float32).reshape(-1, 3)[list(LIMB_JOINT_IDS), 2]
        labeled += int((v > 0).sum())
        c = int((v == 1).sum())
        covered += c
        people_covered += int(c > 0)
    n = len(annotations)
    return {
        "people": n,
        "labeled_limb_joints": labeled,
        "covered_limb_joint_fraction": covered / max(labeled, 1),
        "people_with_covered_limb_joint": people_covered / max(n, 1),
    }


def _render_one(job) -> Tuple[Dict, List[Dict]]:
    """Render and write image ``i`` of a split; returns its COCO image entry and annotations."""
    image_dir, seed, split_index, i, height, width, jpeg_quality = job
    rng = np.random.default_rng([seed, split_index, i])
    scene = render_scene(rng, style=SPLIT_STYLES[SPLITS[split_index]], height=height, width=width)
    file_name = f"{i:06d}.jpg"
    path = os.path.join(image_dir, file_name)
    if not cv2.imwrite(path, scene.image, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]):
        raise OSError(f"could not write {path}")
    image_id = i + 1
    anns = []
    for p in range(len(scene.figures)):
        kpts = scene.keypoints[p]
        n_labeled = int((kpts[:, 2] > 0).sum())
        if n_labeled == 0:
            continue
        anns.append(
            {
                "image_id": image_id,
                "category_id": 1,
                "keypoints": [round(float(v), 2) for v in kpts.reshape(-1)],
                "num_keypoints": n_labeled,
                "bbox": [round(float(v), 2) for v in scene.boxes[p]],
                # OKS scale: the box area, as in OCHuman's COCO-format annotation files; the
                # stick figures' silhouettes are much thinner than real people's masks
                "area": round(float(scene.boxes[p][2] * scene.boxes[p][3]), 2),
                "silhouette_area": float(scene.areas[p]),
                "iscrowd": 0,
            }
        )
    image = {"id": image_id, "file_name": file_name, "height": height, "width": width}
    return image, anns


def generate_split(
    root: str,
    split: str,
    *,
    num_images: int,
    seed: int = 0,
    height: int = 240,
    width: int = 320,
    jpeg_quality: int = 95,
    workers: int = 1,
) -> Dict:
    """Render ``num_images`` images of ``split`` and write them with their COCO json under ``root``.

    Args:
        root: dataset folder (created).
        split: one of :data:`SPLITS`; ``"occluded"`` is the OCHuman-like test split.
        num_images: number of images.
        seed: dataset seed.
        height, width: image size (px).
        jpeg_quality: OpenCV JPEG quality.
        workers: processes rendering in parallel (the output does not depend on it).

    Returns:
        the written COCO dict, with an extra ``"stats"`` entry (see :func:`occlusion_stats`).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown synthetic split {split!r}; expected one of {SPLITS}")
    image_dir = os.path.join(root, "images", split)
    os.makedirs(image_dir, exist_ok=True)
    os.makedirs(os.path.join(root, "annotations"), exist_ok=True)
    jobs = [
        (image_dir, seed, SPLITS.index(split), i, height, width, jpeg_quality)
        for i in range(num_images)
    ]
    images, annotations = [], []
    start = time.perf_counter()
    workers = max(1, min(int(workers), num_images))
    # Images are independent (one seed each), so a process pool changes nothing in the output.
    pool = multiprocessing.get_context("spawn").Pool(workers) if workers > 1 else None
    try:
        results = pool.imap(_render_one, jobs, chunksize=8) if pool else map(_render_one, jobs)
        for i, (image, anns) in enumerate(results):
            images.append(image)
            for ann in anns:
                annotations.append(dict(ann, id=len(annotations) + 1))
            if (i + 1) % 200 == 0:
                logger.info(f"synthetic '{split}': {i + 1}/{num_images} images")
    finally:
        if pool:
            pool.close()
            pool.join()
    coco = {
        "info": {"description": f"LJOF synthetic person keypoints, split {split}, seed {seed}"},
        "images": images,
        "annotations": annotations,
        "categories": _categories(),
    }
    with open(os.path.join(root, "annotations", f"{split}.json"), "w") as f:
        json.dump(coco, f)
    stats = occlusion_stats(annotations)
    logger.info(
        f"synthetic '{split}': {num_images} images, {stats['people']} people, "
        f"{stats['covered_limb_joint_fraction']:.1%} of labeled limb joints covered "
        f"({time.perf_counter() - start:.1f} s)"
    )
    return dict(coco, stats=stats)


def generate_dataset(
    root: str, *, sizes: Optional[Dict[str, int]] = None, seed: int = 0, **kwargs
) -> Dict[str, Dict]:
    """Generate every split (``sizes`` defaults to :data:`DEFAULT_SIZES`). ``kwargs`` go to
    :func:`generate_split`. Returns ``{split: occlusion stats}``; also writes ``root/stats.json``."""
    sizes = dict(DEFAULT_SIZES, **(sizes or {}))
    stats = {}
    for split in SPLITS:
        coco = generate_split(root, split, num_images=sizes[split], seed=seed, **kwargs)
        stats[split] = coco["stats"]
    with open(os.path.join(root, "stats.json"), "w") as f:
        json.dump({"seed": seed, "sizes": sizes, "splits": stats}, f, indent=1)
    return stats


def is_generated(root: str) -> bool:
    """True when every split's json and image folder exist under ``root``."""
    return all(
        os.path.isfile(os.path.join(root, "annotations", f"{s}.json"))
        and os.path.isdir(os.path.join(root, "images", s))
        for s in SPLITS
    )


def register_synthetic_datasets(
    root: Optional[str] = None, *, prefix: str = NAME_PREFIX
) -> Dict[str, str]:
    """Register the three splits as ``{prefix}_{train,val,occluded}`` with paths under ``root``
    (default :func:`default_root`). Reads no file.

    The splits are LJOF's own names, so registering them again with another ``root`` re-points them
    (it removes the old catalog entries) instead of failing.

    Returns:
        ``{split: dataset name}``.
    """
    from detectron2.data import DatasetCatalog, MetadataCatalog

    from ljof.data.datasets import register_keypoint_dataset

    root = root or default_root()
    names = {}
    for split in SPLITS:
        name = f"{prefix}_{split}"
        json_file = os.path.join(root, "annotations", f"{split}.json")
        if (
            name in DatasetCatalog.list()
            and MetadataCatalog.get(name).get("json_file") != json_file
        ):
            logger.info(f"re-registering '{name}' under {root}")
            DatasetCatalog.remove(name)
            MetadataCatalog.remove(name)
        names[split] = register_keypoint_dataset(
            name,
            json_file,
            os.path.join(root, "images", split),
            "coco",
            data_hint=f"generate it with: python tools/generate_synthetic_data.py --root {root}",
        )
    return names

"""Register any COCO-format person-keypoint dataset in detectron2's catalogs.

:func:`register_keypoint_dataset` is the one-call registration (the LJOF analogue of detectron2's
``register_coco_instances``); :func:`register_from_spec` parses the ``--register NAME=JSON:IMAGE_ROOT[:SET]``
flag shared by the tools and the train script.

Coordinates: the image-level dicts that ``DatasetCatalog.get(name)`` returns come from detectron2's
``load_coco_json`` and therefore carry its +0.5 offset on keypoint x, y (continuous convention, what
``Visualizer`` and detectron2's mappers expect). LJOF's person records (:mod:`.topdown`) subtract it again;
see ``docs/interfaces.md``.
"""

import json
import logging
import os
from typing import Iterable, List, Optional

from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.datasets import load_coco_json

from ljof.errors import InputError

from .builtin_meta import KEYPOINT_SETS, get_keypoint_set_metadata
from .person_category import LJOF_PERSON_CATEGORY_ID, find_person_category

__all__ = [
    "register_keypoint_dataset",
    "register_from_spec",
    "register_from_specs",
    "add_register_argument",
    "check_dataset_files",
]

logger = logging.getLogger(__name__)

EVALUATOR_TYPE = "topdown_keypoints"

# Annotation fields kept by load_coco_json besides its own (iscrowd, bbox, keypoints, category_id).
_EXTRA_ANNOTATION_KEYS = ["id", "area", "num_keypoints"]


def check_dataset_files(dataset_name: str) -> None:
    """Raise ``FileNotFoundError`` if a file or folder of a registered dataset is missing.

    The message names the missing path and, for the builtin splits, the expected layout under
    ``$DETECTRON2_DATASETS`` and where to download the data (metadata field ``data_hint``).
    """
    meta = MetadataCatalog.get(dataset_name)
    paths = [("annotation file", meta.json_file), ("image folder", meta.image_root)]
    if meta.get("det_file"):
        paths.append(("person detection file", meta.det_file))
    for what, path in paths:
        if not os.path.exists(path):
            hint = meta.get("data_hint")
            raise FileNotFoundError(
                f"dataset '{dataset_name}': {what} '{path}' does not exist."
                + (f"\n{hint}" if hint else "")
            )


def _image_entry_error(json_file: str, image_root: str, field: str) -> InputError:
    """The error for the first image entry of ``json_file`` without ``field`` (file, image id, the size
    read from the image header when the file is there)."""
    with open(json_file) as f:
        images = json.load(f).get("images", [])
    entry = next((im for im in images if field not in im), {})
    where = f"image id {entry.get('id')} (file_name {entry.get('file_name')!r})"
    path = os.path.join(image_root, str(entry.get("file_name", "")))
    size = ""
    if os.path.isfile(path):
        from PIL import Image

        try:
            with Image.open(path) as image:  # reads the header only
                size = f" (this image is width {image.width}, height {image.height})"
        except OSError:
            pass
    return InputError(
        f"{json_file}: {where} has no {field!r}; every COCO image entry needs 'id', 'file_name', "
        f"'width' and 'height'{size}"
    )


def _load_coco_json(json_file: str, image_root: str, scratch: str):
    """detectron2's ``load_coco_json``; an image entry without a field it reads raises InputError."""
    try:
        return load_coco_json(
            json_file,
            image_root,
            dataset_name=scratch,
            extra_annotation_keys=list(_EXTRA_ANNOTATION_KEYS),
        )
    except KeyError as e:  # detectron2 reads img_dict["height"] etc. without a check
        if e.args and e.args[0] in ("id", "file_name", "width", "height"):
            raise _image_entry_error(json_file, image_root, e.args[0]) from None
        raise


def _load_image_dicts(dataset_name: str):
    """detectron2 image dicts of the person category only, with ``category_id`` 0.

    The json's person category may have any id (:func:`.person_category.find_person_category`). The
    metadata's ``thing_dataset_id_to_contiguous_id`` is set to ``{person_id: 0}`` when it differs
    (registration assumed id 1 without reading the file); the change is logged.
    """
    check_dataset_files(dataset_name)
    meta = MetadataCatalog.get(dataset_name)
    # load_coco_json writes the json's categories into the metadata it is given; a scratch entry
    # receives them, so the dataset's own metadata keeps its single "person" class.
    scratch = f"{dataset_name}/__categories__"
    try:
        dicts = _load_coco_json(meta.json_file, meta.image_root, scratch)
        found = MetadataCatalog.get(scratch)
        ids = sorted(found.thing_dataset_id_to_contiguous_id)
        categories = [{"id": i, "name": n} for i, n in zip(ids, found.thing_classes)]
        contiguous = dict(found.thing_dataset_id_to_contiguous_id)
    finally:
        if scratch in MetadataCatalog.list():
            MetadataCatalog.remove(scratch)
    person_id, accepted = find_person_category(categories, meta.json_file)
    # the category ids that mean person in detection files (see load_detection_records)
    meta.person_category_ids = tuple(sorted(accepted))
    person = contiguous[person_id]
    dropped = 0
    for d in dicts:
        annotations = [a for a in d.get("annotations", []) if a["category_id"] == person]
        dropped += len(d.get("annotations", [])) - len(annotations)
        for a in annotations:
            a["category_id"] = 0
        d["annotations"] = annotations
    if dropped:
        logger.info(f"dataset '{dataset_name}': {dropped} annotations of other categories dropped")
    mapping = {person_id: 0}
    if meta.get("thing_dataset_id_to_contiguous_id") != mapping:
        logger.info(
            f"dataset '{dataset_name}': person category id {person_id} in {meta.json_file}; "
            f"thing_dataset_id_to_contiguous_id set to {mapping}"
        )
        # Metadata refuses to overwrite a field; this one was a guess made before the file was read.
        delattr(meta, "thing_dataset_id_to_contiguous_id")
        meta.thing_dataset_id_to_contiguous_id = mapping
    return dicts


def register_keypoint_dataset(
    name: str,
    json_file: str,
    image_root: str,
    keypoint_set: str = "coco",
    det_file: Optional[str] = None,
    det_score_thr: float = 0.0,
    *,
    data_hint: Optional[str] = None,
) -> str:
    """Register a COCO-format person-keypoint dataset. Reads no file (files are checked on use).

    ``DatasetCatalog.get(name)`` then returns detectron2 image dicts (keypoints +0.5, detectron2's
    convention) and :func:`ljof.data.get_topdown_dataset` person records (pixel-index convention).

    Args:
        name: the dataset name, e.g. ``"my_val"``.
        json_file: COCO-format keypoint annotation json (CrowdPose: with ``crowdIndex`` per image for
            the easy/medium/hard split).
        image_root: folder that ``images[*].file_name`` is relative to.
        keypoint_set: ``"coco"`` (COCO-17, also OCHuman) or ``"crowdpose"`` (CrowdPose-14).
        det_file: optional person-detection results json (COCO results format: ``image_id``,
            ``category_id``, ``bbox`` xywh, ``score``); the person records then come from these boxes.
        det_score_thr: detections with ``score < det_score_thr`` are dropped (0 keeps all).
        data_hint: text appended to the missing-file error (expected layout, download source).

    Returns:
        ``name``. Registering the same name twice with the same files is a no-op; with other files it
        raises ``ValueError``.
    """
    if keypoint_set not in KEYPOINT_SETS:
        raise ValueError(
            f"dataset '{name}': unknown keypoint_set {keypoint_set!r}; expected one of "
            f"{sorted(KEYPOINT_SETS)}"
        )
    fields = dict(
        json_file=json_file,
        image_root=image_root,
        evaluator_type=EVALUATOR_TYPE,
        # Person keypoint datasets have the single COCO category "person", usually id 1. Set it now,
        # without reading the json, so that detectron2's COCOEvaluator maps categories correctly even
        # when the dataset was never loaded in this process; loading corrects it (logged) when the
        # json numbers the person category otherwise.
        thing_dataset_id_to_contiguous_id={LJOF_PERSON_CATEGORY_ID: 0},
        **get_keypoint_set_metadata(keypoint_set),
    )
    if det_file is not None:
        fields.update(det_file=det_file, det_score_thr=float(det_score_thr))
    if data_hint is not None:
        fields["data_hint"] = data_hint

    if name in DatasetCatalog.list():
        meta = MetadataCatalog.get(name)
        # (the category mapping is corrected when the json is loaded, so it is not compared)
        unchecked = ("data_hint", "thing_dataset_id_to_contiguous_id")
        same = all(meta.get(k) == v for k, v in fields.items() if k not in unchecked)
        if same and meta.get("det_file") == det_file:
            return name
        raise ValueError(
            f"dataset '{name}' is already registered with other files "
            f"(json_file={meta.get('json_file')!r}, image_root={meta.get('image_root')!r}, "
            f"det_file={meta.get('det_file')!r}); pick another name"
        )
    DatasetCatalog.register(name, lambda: _load_image_dicts(name))
    MetadataCatalog.get(name).set(**fields)
    return name


def register_from_spec(spec: str) -> str:
    """Register a dataset from a ``NAME=JSON:IMAGE_ROOT[:coco|crowdpose]`` string (the ``--register`` flag).

    Example: ``"my_val=data/val.json:data/images:crowdpose"``. The keypoint set defaults to ``coco``.

    Returns:
        the registered name.
    """
    name, eq, rest = spec.partition("=")
    parts = rest.split(":")
    keypoint_set = "coco"
    if len(parts) == 3 and parts[2] in KEYPOINT_SETS:
        keypoint_set = parts.pop()
    if not eq or not name or len(parts) != 2 or not all(parts):
        raise InputError(
            f"bad dataset spec {spec!r}: expected NAME=JSON:IMAGE_ROOT[:coco|crowdpose], "
            "e.g. my_val=annotations/val.json:images/val:coco"
        )
    return register_keypoint_dataset(name, parts[0], parts[1], keypoint_set=keypoint_set)


def register_from_specs(specs: Optional[Iterable[str]]) -> List[str]:
    """Register every ``--register`` spec (see :func:`register_from_spec`); returns the names in order."""
    return [register_from_spec(spec) for spec in specs or []]


def add_register_argument(
    parser, help: str = "register a COCO-format keypoint dataset first (repeatable)"
) -> None:
    """Add the repeatable ``--register NAME=JSON:IMAGE_ROOT[:coco|crowdpose]`` flag that every LJOF tool
    and the train script share (to an ``argparse`` parser or argument group); values land in a list."""
    parser.add_argument(
        "--register",
        action="append",
        default=[],
        metavar="NAME=JSON:IMAGE_ROOT[:coco|crowdpose]",
        help=help,
    )

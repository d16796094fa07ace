"""The ``--config-file`` argument: a LazyConfig file, or a path relative to LJOF's ``configs/`` folder."""

import difflib
import os
from typing import List

from ljof.errors import InputError
from ljof.model_zoo.model_zoo import _CONFIG_ROOT

__all__ = ["list_config_files", "resolve_config_file"]


def list_config_files() -> List[str]:
    """LJOF's configs, relative to ``configs/`` (``ljof.model_zoo``), sorted; ``common/`` parts excluded."""
    found = []
    for folder, dirs, files in os.walk(_CONFIG_ROOT):
        dirs[:] = sorted(d for d in dirs if d not in ("common", "__pycache__"))
        rel = os.path.relpath(folder, _CONFIG_ROOT)
        for f in files:
            if f.endswith(".py") and not f.startswith("_"):
                found.append(os.path.normpath(os.path.join(rel, f)))
    return sorted(found)


def _nearest(path: str) -> str:
    """``configs/<closest>`` by file name (then by relative path), or '' when nothing is close."""
    configs = list_config_files()
    stem = os.path.splitext(os.path.basename(path))[0]
    by_name = {os.path.splitext(os.path.basename(c))[0]: c for c in configs}
    match = difflib.get_close_matches(stem, list(by_name), n=1, cutoff=0.5)
    if match:
        return os.path.join("configs", by_name[match[0]])
    match = difflib.get_close_matches(path, configs, n=1, cutoff=0.5)
    return os.path.join("configs", match[0]) if match else ""


def resolve_config_file(path: str) -> str:
    """The LazyConfig file that ``--config-file path`` means.

    ``path`` is a file (a LJOF ``.py`` config, or the ``config.yaml`` a training saved), or a path
    relative to LJOF's ``configs/`` (``"hrnet_w32_coco_256x192.py"``, as ``ljof.model_zoo``).

    Raises:
        InputError: one line naming ``path``, what is wrong and the nearest LJOF config: no such file,
            a detectron2 model-zoo name (its yacs ``.yaml`` configs are not LJOF's LazyConfigs), or a
            file of another kind.
    """
    if os.path.isfile(path):
        if path.endswith(".py"):
            return path
        if path.endswith((".yaml", ".yml")):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if (
                "_target_" in text
            ):  # a LazyConfig saved by LazyConfig.save (train.output_dir/config.yaml)
                return path
            near = _nearest(path)
            raise InputError(
                f"--config-file {path}: a yacs .yaml config (detectron2's older format); LJOF's configs "
                f"are LazyConfig .py files" + (f", e.g. {near}" if near else " under configs/")
            )
        raise InputError(f"--config-file {path}: not a LazyConfig (.py, or a saved config.yaml)")
    shipped = os.path.join(_CONFIG_ROOT, path)
    if path.endswith(".py") and os.path.isfile(shipped):
        return shipped
    near = _nearest(path)
    kind = (
        " (LJOF's configs are LazyConfig .py files; detectron2 model-zoo .yaml names are not among them)"
        if path.endswith((".yaml", ".yml"))
        else ""
    )
    raise InputError(
        f"--config-file {path} is not a file{kind}; "
        + (f"the nearest LJOF config is {near}" if near else "LJOF's configs are under configs/")
    )

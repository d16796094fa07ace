"""Make PyPI's pb1-detectron2==0.6 sdist installable without its C++ extension.

The sdist carries upstream v0.6's Python sources but not the C++/CUDA sources of ``detectron2._C``, so its
``setup.py`` cannot build. This script edits that ``setup.py`` in place:

* ``ext_modules`` becomes empty (``ljof.compat`` installs a stand-in ``detectron2._C`` that raises a clear
  error if a compiled op is ever called);
* the model-zoo configs that ship under ``detectron2/model_zoo/configs`` are listed as package data, so
  ``detectron2.model_zoo.get_config(...)`` finds them after installation (upstream lists them from a
  top-level ``configs/`` folder that the sdist does not have).

and the package's sources (:func:`patch_sources`), so that detectron2 imports and runs on Pillow >= 10 and
numpy >= 1.24 without ``import ljof`` first (detectron2's stock tools import detectron2 first):

* ``Image.LINEAR`` (removed in Pillow 10; a default argument in ``detectron2/data/transforms/transform.py``,
  so importing ``detectron2.data`` fails) becomes ``Image.BILINEAR``, the same filter (Pillow's
  ``LINEAR`` was an alias of ``BILINEAR``);
* the numpy aliases removed in numpy 1.24 (``np.bool``, ``np.int``, ``np.float``, ``np.complex``,
  ``np.object``, ``np.str``) become the builtins they aliased;
* ``detectron2/_C.py`` (:func:`write_missing_ops_module`) stands in for the compiled extension that is not
  built, since ``detectron2.layers`` imports ``detectron2._C`` at import time: any op called raises one
  line naming it and how to get it.

upstream detectron2 main made the same replacements. ``ljof.compat`` keeps its run-time shims for a
detectron2 installed some other way.

Usage: python dev/patch_detectron2_sdist.py PATH/TO/pb1-detectron2-0.6
"""

import os
import re
import sys

# removed numpy aliases -> the builtins they named; `\b` keeps np.bool_, np.float32, ... untouched
_NUMPY_ALIAS = re.compile(r"\bnp\.(bool|int|float|complex|object|str)\b")


_MISSING_OPS_MODULE = '''"""Stand-in for detectron2's compiled ops, written by LJOF's
dev/patch_detectron2_sdist.py: this detectron2 was installed from the pb1-detectron2 0.6 sdist without
its C++/CUDA extension."""

_HINT = (
    "this detectron2 was installed without its compiled C++/CUDA ops (the pb1-detectron2==0.6 sdist); "
    "install upstream detectron2 with its extensions for rotated boxes, deformable convolution and the "
    "fast COCOeval"
)


def get_compiler_version():
    return "not compiled (pb1-detectron2 sdist without its C++ extension)"


def get_cuda_version():
    return "not compiled"


def has_cuda():
    return False


def __getattr__(name):
    if name.startswith("__") and name.endswith("__"):
        raise AttributeError(name)
    raise RuntimeError(f"detectron2 compiled op {name!r} is not available: {_HINT}")
'''


def write_missing_ops_module(package_dir: str) -> str:
    """Write ``_C.py`` into ``package_dir`` (the ``detectron2`` package folder) unless a compiled
    ``_C`` extension or the stand-in is already there; returns its path ("" when nothing was written)."""
    if any(name.startswith("_C.") for name in os.listdir(package_dir)):
        return ""
    path = os.path.join(package_dir, "_C.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(_MISSING_OPS_MODULE)
    return path


def patch_sources(package_dir: str) -> int:
    """Rewrite the Pillow/numpy names removed upstream in every ``.py`` file under ``package_dir`` (the
    ``detectron2`` package folder), in place.

    Returns:
        the number of files changed (0 on an already patched tree).
    """
    changed = 0
    for dirpath, _, names in os.walk(package_dir):
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            new = _NUMPY_ALIAS.sub(r"\1", text.replace("Image.LINEAR", "Image.BILINEAR"))
            if new != text:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
                changed += 1
    return changed


def patch(src_dir: str) -> None:
    setup_py = os.path.join(src_dir, "setup.py")
    with open(setup_py) as f:
        text = f.read()
    zoo = os.path.join(src_dir, "detectron2", "model_zoo")
    configs = sorted(
        os.path.relpath(os.path.join(dirpath, name), zoo)
        for dirpath, _, names in os.walk(os.path.join(zoo, "configs"))
        for name in names
        if name.endswith((".yaml", ".py"))
    )
    if not configs:
        raise SystemExit(f"{zoo}/configs holds no model-zoo configs; is {src_dir} the v0.6 sdist?")
    replacements = {
        "ext_modules=get_extensions(),": "ext_modules=[],",
        'package_data={"detectron2.model_zoo": get_model_zoo_configs()},': (
            f'package_data={{"detectron2.model_zoo": {configs!r}}},'
        ),
    }
    for old, new in replacements.items():
        if old not in text:
            raise SystemExit(f"{setup_py}: expected line not found: {old}")
        text = text.replace(old, new)
    with open(setup_py, "w") as f:
        f.write(text)
    sources = patch_sources(os.path.join(src_dir, "detectron2"))
    write_missing_ops_module(os.path.join(src_dir, "detectron2"))
    print(
        f"patched {setup_py}: no C++ extension, {len(configs)} model-zoo configs packaged; "
        f"{sources} source files freed of Image.LINEAR and the removed numpy aliases, a stand-in _C.py"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    patch(sys.argv[1])

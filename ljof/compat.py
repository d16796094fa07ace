"""Runtime compatibility shims for detectron2 v0.6 on current numpy / Pillow / torch.

``import ljof`` calls :func:`apply` before anything imports detectron2. Every shim is a no-op where it is
not needed, so the same code runs unchanged on upstream detectron2 main:

* ``PIL.Image.LINEAR`` (removed in Pillow 10; v0.6's transforms use it as a default argument);
* ``np.bool`` / ``np.int`` / ``np.float`` / ``np.complex`` / ``np.object`` / ``np.str`` (removed in numpy
  1.24; v0.6 uses some of them);
* a stand-in ``detectron2._C`` when detectron2 was installed without its compiled ops (the offline route of
  ``dev/setup_env.sh``). Calling any compiled op (rotated boxes, deformable conv, the fast COCOeval) then
  raises :class:`MissingCompiledOpError` naming the op and how to get it, instead of an
  ``AttributeError`` deep inside detectron2. ``torch.ops.detectron2.nms_rotated`` gets the same treatment.

Nothing here imports detectron2.
"""

import importlib.machinery
import importlib.util
import os
import sys
import types
import warnings

__all__ = ["apply", "MissingCompiledOpError", "has_compiled_ops"]

_NUMPY_ALIASES = {
    "bool": bool,
    "int": int,
    "float": float,
    "complex": complex,
    "object": object,
    "str": str,
}

_INSTALL_HINT = (
    "This detectron2 was installed without its compiled C++/CUDA ops (the offline pb1-detectron2==0.6 "
    "route of dev/setup_env.sh). Install upstream detectron2 with its extensions, e.g. "
    "`DETECTRON2_SOURCE='git+https://github.com/facebookresearch/detectron2.git' make setup` "
    "after removing the current one (`pip uninstall pb1-detectron2`)."
)


class MissingCompiledOpError(RuntimeError):
    """A compiled detectron2 op was called, but detectron2 was built without its C++ extension."""


def _patch_pillow() -> None:
    from PIL import Image

    if not hasattr(Image, "LINEAR"):
        Image.LINEAR = Image.BILINEAR


def _patch_numpy() -> None:
    import numpy as np

    for name, value in _NUMPY_ALIASES.items():
        # numpy >= 1.24 raises AttributeError from its module __getattr__ for the removed aliases.
        if name not in np.__dict__:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # numpy 2.x warns before raising for some names
                    getattr(np, name)
            except AttributeError:
                setattr(np, name, value)


class _MissingOpsModule(types.ModuleType):
    """Stands in for ``detectron2._C``: any op lookup raises :class:`MissingCompiledOpError`.

    The three informational functions that detectron2's ``collect_env_info`` (run by ``default_setup``)
    asks the extension for answer that it is missing, so the environment table is still printed.
    """

    @staticmethod
    def get_compiler_version() -> str:
        return "not compiled (detectron2 installed without its C++ extension; see ljof.compat)"

    @staticmethod
    def get_cuda_version() -> str:
        return "not compiled"

    @staticmethod
    def has_cuda() -> bool:
        return False

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        raise MissingCompiledOpError(
            f"detectron2 compiled op '{name}' is not available. {_INSTALL_HINT}"
        )


def has_compiled_ops() -> bool:
    """Whether the installed detectron2 package carries its compiled extension ``detectron2._C``.

    Looks at the files of the package without importing it. Returns True when detectron2 is not
    installed at all (nothing to stand in for).
    """
    spec = importlib.util.find_spec("detectron2")
    if spec is None or not spec.submodule_search_locations:
        return True
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    for location in spec.submodule_search_locations:
        if not os.path.isdir(location):
            continue
        for name in os.listdir(location):
            if name.startswith("_C") and name.endswith(suffixes):
                return True
    return False


def _missing_nms_rotated(boxes, scores, iou_threshold):
    raise MissingCompiledOpError(
        f"detectron2 compiled op 'nms_rotated' is not available. {_INSTALL_HINT}"
    )


_TORCH_LIBRARY = None  # keeps the torch.library registration alive


def _install_missing_ops() -> None:
    global _TORCH_LIBRARY
    if "detectron2._C" not in sys.modules:
        stand_in = _MissingOpsModule(
            "detectron2._C", "Stand-in for detectron2's missing compiled ops."
        )
        stand_in.__file__ = None
        sys.modules["detectron2._C"] = stand_in
    if _TORCH_LIBRARY is None:
        import torch

        if not hasattr(torch.ops.detectron2, "nms_rotated"):
            lib = torch.library.Library("detectron2", "DEF")
            lib.define("nms_rotated(Tensor boxes, Tensor scores, float iou_threshold) -> Tensor")
            lib.impl("nms_rotated", _missing_nms_rotated, "CompositeExplicitAutograd")
            _TORCH_LIBRARY = lib


def apply() -> None:
    """Apply every shim that the current environment needs. Idempotent."""
    _patch_pillow()
    _patch_numpy()
    if not has_compiled_ops():
        _install_missing_ops()

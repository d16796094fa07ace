"""LJOF: occluded human pose estimation with Limb Joint Augmentation and the Dynamic Structure Loss.

``import ljof`` first applies the detectron2 compatibility shims (:mod:`ljof.compat`, before anything
imports detectron2), then registers the builtin datasets in detectron2's catalogs and the models in its
registries.
"""
import warnings as _warnings

from . import compat as _compat

_compat.apply()

with _warnings.catch_warnings():
    # Two deprecations inside our dependencies, printed before every tool's first line and not ours to
    # act on: fvcore.nn (imported by detectron2.layers) scripts its focal losses at import time (torch
    # warns twice that torch.jit.script is deprecated), and detectron2's model_zoo imports
    # pkg_resources (setuptools 81 warns). Only these messages, only during this import.
    _warnings.filterwarnings(
        "ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning
    )
    _warnings.filterwarnings(
        "ignore", message=r"pkg_resources is deprecated as an API", category=UserWarning
    )
    from . import data, engine, evaluation, modeling  # noqa: E402  (data: registers the datasets)

__version__ = "0.1.0"

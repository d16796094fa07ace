"""LJOF: occluded human pose estimation with Limb Joint Augmentation and the Dynamic Structure Loss.

``import ljof`` first applies the detectron2 compatibility shims (:mod:`ljof.compat`, before anything
imports detectron2), then registers the builtin datasets in detectron2's catalogs and the models in its
registries.
"""
from . import compat as _compat

_compat.apply()

from . import data, engine, evaluation, modeling  # noqa: E402  (data: registers the builtin datasets)

__version__ = "0.1.0"

"""LJOF: occluded human pose estimation with Limb Joint Augmentation and the Dynamic Structure Loss.

Importing ``ljof`` first applies the detectron2 compatibility shims (:mod:`ljof.compat`), then registers
the builtin datasets in detectron2's catalogs.
"""

from . import compat as _compat

_compat.apply()

__version__ = "0.1.0"

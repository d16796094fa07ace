"""A generated person-keypoint dataset (COCO format) with exact, rendered occlusion.

Articulated figures with the 17 COCO joints, textured limbs, varied backgrounds, overlapping people and
occluding objects; visibility flags come from a per-pixel owner buffer. Splits ``train`` and ``val``
(light occlusion) and ``occluded`` (OCHuman-like). ``tools/generate_synthetic_data.py`` writes it;
importing this package registers ``ljof_synth_{train,val,occluded}`` under :func:`default_root`.
"""

from .dataset import (
    DEFAULT_SIZES,
    SPLITS,
    dataset_name,
    default_root,
    generate_dataset,
    generate_split,
    is_generated,
    occlusion_stats,
    register_synthetic_datasets,
)
from .scene import LIMB_JOINT_IDS, SPLIT_STYLES, RenderedScene, SplitStyle, render_scene

register_synthetic_datasets()  # reads no file; a missing split is reported when it is used

"""Main job, baseline without half-body crops (``half_body_prob=0``; the rest of ``baseline.py``).

A probe of why seeds part (docs/main_job.md, "Stable long training"): a lower-body crop shows no face or
hair, so on the generated people it cannot tell which leg is the left one, yet its labels say so.
"""

from detectron2.config import LazyCall as L

from ljof.data.augmentations import build_topdown_augmentations

from .baseline import dataloader, lr_multiplier, model, optimizer, train

dataloader.train.mapper.augmentations = L(build_topdown_augmentations)(
    metadata="${..metadata}", half_body_prob=0.0
)

"""Batched inference loader for person crops.

detectron2 v0.6's ``build_detection_test_loader`` yields batches of one (upstream added
``batch_size`` later); top-down inference runs dozens of crops per batch, so this builds the same loader
(``DatasetFromList`` + ``MapDataset`` + ``InferenceSampler``, which splits the samples over processes
exactly once each) with a batch size, on both versions.
"""

import logging

import torch
from detectron2.data import DatasetFromList, MapDataset
from detectron2.data.build import trivial_batch_collator
from detectron2.data.samplers import InferenceSampler

__all__ = ["build_topdown_test_loader"]

logger = logging.getLogger(__name__)


def build_topdown_test_loader(dataset, *, mapper, batch_size: int = 32, num_workers: int = 0):
    """
    Args:
        dataset: list of person records (``ljof.data.get_topdown_dataset``).
        mapper: the test-mode ``TopDownDatasetMapper``.
        batch_size: crops per batch in each process.
        num_workers: data-loader worker processes.

    Returns:
        a ``torch.utils.data.DataLoader`` over lists of mapped samples, each record visited once over
        all processes.
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if isinstance(dataset, list):
        dataset = DatasetFromList(dataset, copy=False)
    dataset = MapDataset(dataset, mapper)
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=InferenceSampler(len(dataset)),
        num_workers=num_workers,
        collate_fn=trivial_batch_collator,  # a list of sample dicts, what detectron2 models take
        drop_last=False,
    )

"""Independent pieces of the evaluation (OKS-NMS blocks, matching chunks) run on a few threads.

numpy releases the GIL inside its loops (ufuncs, gathers, sorts), so the pieces' array work overlaps;
each piece writes only its own elements of shared output arrays. The thread count is torch's intra-op
setting (``torch.get_num_threads()``: ``OMP_NUM_THREADS`` / ``torch.set_num_threads``; 1 per process
under ``torchrun``, which sets ``OMP_NUM_THREADS=1``, but not under detectron2's ``launch``), capped at
:data:`MAX_WORKERS`.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Sequence, TypeVar

import torch

__all__ = ["MAX_WORKERS", "num_workers", "thread_map"]

MAX_WORKERS = 4
T = TypeVar("T")


def num_workers() -> int:
    """Threads the evaluation may use: ``torch.get_num_threads()``, between 1 and :data:`MAX_WORKERS`."""
    return max(1, min(MAX_WORKERS, torch.get_num_threads()))


def thread_map(fn: Callable[..., T], items: Sequence) -> List[T]:
    """``[fn(item) for item in items]``, on up to :func:`num_workers` threads; the first exception
    raised by ``fn`` propagates."""
    workers = min(len(items), num_workers())
    if workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ljof-eval") as pool:
        return list(pool.map(fn, items))

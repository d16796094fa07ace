"""A loss weight that follows a schedule of training progress, read from detectron2's ``EventStorage``.

detectron2 models that depend on the training iteration read it from the trainer's ``EventStorage``
(``GeneralizedRCNN`` decides when to visualise from ``get_event_storage().iter``,
``detectron2/modeling/meta_arch/rcnn.py``). Every detectron2 trainer (``SimpleTrainer``, ``AMPTrainer``,
LJOF's ``CPUAutocastTrainer``) sets ``storage.iter`` to the index of the step it runs before calling the
model, and restores it on ``--resume``, so a weight computed from it needs no hook: detectron2's stock
``tools/lazyconfig_train_net.py`` trains with it exactly as LJOF's own tool does.
"""

import logging
from typing import Callable

from detectron2.utils.events import get_event_storage

__all__ = ["ScheduledWeight"]

logger = logging.getLogger(__name__)


class ScheduledWeight:
    """``schedule(iteration / max_iter)`` at the iteration of the running detectron2 trainer.

    Each call reads ``get_event_storage().iter``, evaluates the schedule and logs the value as the
    scalar ``name`` (no smoothing), so ``metrics.json`` holds the weight of every logged iteration.
    """

    def __init__(self, *, schedule: Callable[[float], float], max_iter: int, name: str):
        """
        Args:
            schedule: ``progress in [0, 1] -> weight``, e.g. ``ljof.engine.LimbLambdaSchedule``.
            max_iter: iterations that make up the whole schedule (the configs interpolate
                ``${train.max_iter}``).
            name: the scalar's name in the ``EventStorage`` (e.g. ``"lambda_limb"``).

        Raises:
            ValueError: ``max_iter`` is not a positive integer, or ``schedule`` is not callable.
        """
        if not callable(schedule):
            raise ValueError(f"{name}: the schedule must be callable, got {schedule!r}")
        if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter <= 0:
            raise ValueError(f"{name}: max_iter must be a positive integer, got {max_iter!r}")
        self.schedule = schedule
        self.max_iter = max_iter
        self.name = name
        self._announced = False

    def value_at(self, iteration: int) -> float:
        """The weight at the step of index ``iteration`` (0-based)."""
        return float(self.schedule(iteration / self.max_iter))

    def __call__(self) -> float:
        """The weight of the step the running trainer is in; logged to its ``EventStorage``.

        Raises:
            RuntimeError: no ``EventStorage`` is active (called outside a detectron2 trainer).
        """
        try:
            storage = get_event_storage()
        except AssertionError:  # detectron2 asserts when no EventStorage is open
            raise RuntimeError(
                f"{self.name} follows {self.schedule!r} of the training iteration, which is read from "
                "detectron2's EventStorage, but none is active: train with a detectron2 trainer, or "
                "wrap the call in `with EventStorage(iteration):`"
            ) from None
        value = self.value_at(storage.iter)
        if not self._announced:
            logger.info(
                "%s: %s over %d iterations (from detectron2's EventStorage), %s(%d) = %.4g",
                self.name,
                self.schedule,
                self.max_iter,
                self.name,
                storage.iter,
                value,
            )
            self._announced = True
        storage.put_scalar(self.name, value, smoothing_hint=False)
        return value

    def __repr__(self) -> str:
        return f"ScheduledWeight({self.name}: {self.schedule!r}, max_iter={self.max_iter})"

"""Training hooks of LJOF: a λ(t) schedule for losses that have only a ``lambda_limb`` attribute.

LJOF's configs do not use it: their ``DynamicStructureLoss`` reads the iteration from detectron2's
``EventStorage`` itself (``lambda_schedule``; docs/training.md, "λ schedule"), which detectron2's stock
``tools/lazyconfig_train_net.py`` also runs. Only LJOF's tool runs ``cfg.train.hooks``, so a λ set by
this hook stays constant under the stock tool.
"""

import logging
from typing import Callable, List, Optional

from detectron2.engine import HookBase
from torch import nn

from .trainer import unwrap_model

__all__ = ["LimbLambdaHook", "find_lambda_modules"]

logger = logging.getLogger(__name__)


def find_lambda_modules(model: nn.Module) -> List[nn.Module]:
    """Every submodule with a ``lambda_limb`` attribute (the structure losses), DDP unwrapped."""
    return [m for m in unwrap_model(model).modules() if hasattr(m, "lambda_limb")]


class LimbLambdaHook(HookBase):
    """Sets λ of the Dynamic Structure Loss before every step and logs it as ``lambda_limb``.

    λ is a pure function of ``trainer.iter / max_iter``, so the hook holds no state: after
    ``--resume`` the checkpointer restores the iteration and λ continues exactly. λ must live in the
    model's loss (main process), not in the mapper, whose copies live in the data-loader workers.
    A loss with its own ``lambda_schedule`` is an error (two schedules would fight over λ).
    """

    def __init__(self, *, schedule: Callable[[float], float], max_iter: Optional[int] = None):
        """
        Args:
            schedule: ``progress in [0, 1] -> λ``, e.g. :class:`ljof.engine.LimbLambdaSchedule`.
            max_iter: iterations that make up the whole schedule; default: the trainer's ``max_iter``.
        """
        self._schedule = schedule
        self._max_iter = max_iter
        self._modules: List[nn.Module] = []

    def _total(self) -> int:
        total = self._max_iter if self._max_iter is not None else self.trainer.max_iter
        if total is None or total <= 0:
            raise ValueError(f"LimbLambdaHook needs a positive max_iter, got {total}")
        return int(total)

    def lambda_at(self, iteration: int) -> float:
        """λ used for the step of index ``iteration`` (0-based)."""
        return float(self._schedule(iteration / self._total()))

    def before_train(self):
        self._modules = find_lambda_modules(self.trainer.model)
        if not self._modules:
            raise RuntimeError(
                "LimbLambdaHook found no module with a `lambda_limb` attribute in the model: the config "
                "lists the hook but the model's head does not use DynamicStructureLoss"
            )
        scheduled = [m for m in self._modules if getattr(m, "lambda_schedule", None) is not None]
        if scheduled:
            raise RuntimeError(
                f"LimbLambdaHook: {type(scheduled[0]).__name__} already follows its own "
                f"lambda_schedule ({scheduled[0].lambda_schedule!r}); remove the hook from train.hooks "
                "or the schedule from the loss"
            )
        logger.info(
            "LimbLambdaHook: %s over %d iterations, λ(start=%d) = %.4g",
            self._schedule,
            self._total(),
            self.trainer.iter,
            self.lambda_at(self.trainer.iter),
        )

    def before_step(self):
        value = self.lambda_at(self.trainer.iter)
        for module in self._modules:
            module.lambda_limb = value
        self.trainer.storage.put_scalar("lambda_limb", value, smoothing_hint=False)

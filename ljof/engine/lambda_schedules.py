"""λ(t) schedules of the Dynamic Structure Loss, as pure functions of training progress.

``progress`` t is the fraction of training done, ``iteration / max_iter`` (= fractional epoch / total
epochs), clamped to [0, 1]. The paper (its Fig. 5, Table 8) compares four schemes; its
exact numbers are not recoverable, so the defaults are this project's: λ_min = 0, λ_max = 1, step
milestone at one third of training, exponential rate 5.
"""

import math
from typing import Callable

__all__ = [
    "LAMBDA_SCHEDULES",
    "LimbLambdaSchedule",
    "constant_lambda",
    "exponential_lambda",
    "linear_lambda",
    "step_lambda",
]


def _clamp(progress: float) -> float:
    progress = float(progress)
    if math.isnan(progress):
        raise ValueError("training progress is NaN")
    return min(max(progress, 0.0), 1.0)


def constant_lambda(progress: float, *, lambda_min: float = 0.0, lambda_max: float = 1.0) -> float:
    """λ_max throughout training (``lambda_min`` is accepted for a uniform signature and unused)."""
    _clamp(progress)
    return float(lambda_max)


def step_lambda(
    progress: float, *, lambda_min: float = 0.0, lambda_max: float = 1.0, milestone: float = 1 / 3
) -> float:
    """λ_min before ``milestone`` (a fraction of training), λ_max from it on."""
    return float(lambda_max if _clamp(progress) >= milestone else lambda_min)


def linear_lambda(progress: float, *, lambda_min: float = 0.0, lambda_max: float = 1.0) -> float:
    """Straight line from λ_min at the start to λ_max at the end."""
    t = _clamp(progress)
    return float(lambda_min + (lambda_max - lambda_min) * t)


def exponential_lambda(
    progress: float, *, lambda_min: float = 0.0, lambda_max: float = 1.0, rate: float = 5.0
) -> float:
    """Exponential approach from λ_min to λ_max: fast at first, flattening out.

    ``λ = λ_min + (λ_max - λ_min) · (1 - exp(-rate·t)) / (1 - exp(-rate))``, normalised so that it
    reaches exactly λ_max at the end of training (t = 1).
    """
    if rate <= 0:
        raise ValueError(f"exponential rate must be positive, got {rate}")
    t = _clamp(progress)
    frac = (1.0 - math.exp(-rate * t)) / (1.0 - math.exp(-rate))
    return float(lambda_min + (lambda_max - lambda_min) * frac)


LAMBDA_SCHEDULES = {
    "constant": constant_lambda,
    "step": step_lambda,
    "linear": linear_lambda,
    "exponential": exponential_lambda,
}


class LimbLambdaSchedule:
    """A picklable, config-friendly λ schedule: ``schedule(progress) -> λ``.

    Example (LazyConfig)::

        L(LimbLambdaSchedule)(kind="step", lambda_min=0.0, lambda_max=1.0, milestone=1 / 3)
    """

    def __init__(
        self,
        *,
        kind: str = "step",
        lambda_min: float = 0.0,
        lambda_max: float = 1.0,
        milestone: float = 1 / 3,
        rate: float = 5.0,
    ):
        """
        Args:
            kind: one of "constant", "step", "linear", "exponential".
            lambda_min, lambda_max: the range of λ.
            milestone: fraction of training where the step schedule switches (step only).
            rate: steepness of the exponential schedule (exponential only).
        """
        if kind not in LAMBDA_SCHEDULES:
            raise ValueError(
                f"unknown λ schedule {kind!r}; expected one of {sorted(LAMBDA_SCHEDULES)}"
            )
        if not 0.0 <= milestone <= 1.0:
            raise ValueError(f"milestone is a fraction of training in [0, 1], got {milestone}")
        self.kind = kind
        self.lambda_min = float(lambda_min)
        self.lambda_max = float(lambda_max)
        self.milestone = float(milestone)
        self.rate = float(rate)
        extra = {"step": {"milestone": self.milestone}, "exponential": {"rate": self.rate}}
        self._kwargs = dict(
            lambda_min=self.lambda_min, lambda_max=self.lambda_max, **extra.get(kind, {})
        )
        self._fn: Callable[..., float] = LAMBDA_SCHEDULES[kind]

    def __call__(self, progress: float) -> float:
        return self._fn(progress, **self._kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self._kwargs.items())
        return f"LimbLambdaSchedule(kind={self.kind!r}, {args})"

"""Engine: training hooks (the λ schedule of the Dynamic Structure Loss) and schedule helpers."""

from .hooks import LimbLambdaHook, find_lambda_modules
from .lambda_schedules import (
    LAMBDA_SCHEDULES,
    LimbLambdaSchedule,
    constant_lambda,
    exponential_lambda,
    linear_lambda,
    step_lambda,
)

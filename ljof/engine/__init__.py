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
from .optim import build_optimizer, vit_layer_decay_param_groups, vit_layer_id
from .schedules import (
    COCO_TRAIN_INSTANCES,
    CROWDPOSE_TRAINVAL_INSTANCES,
    epoch_lr_multiplier,
    epoch_train_settings,
    epochs_to_iters,
    iters_per_epoch,
)
from .launch import launch
from .loaders import build_topdown_test_loader

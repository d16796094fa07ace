"""Engine: training loops by device and precision, hooks (the λ schedule of the Dynamic Structure Loss),
schedule helpers, launch."""

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
from .precision import (
    conv_weight_fraction,
    inference_autocast,
    native_bf16_support,
    resolve_cpu_dtype,
    resolve_memory_format,
    training_precision,
)
from .trainer import (
    CPUAutocastTrainer,
    build_trainer,
    channels_last_inputs,
    prepare_memory_format,
    run_in_float32,
    unwrap_model,
)

"""Main job, baseline: a reduced HRNet (width 16, 738k parameters) trained on the CPU on LJOF's generated
person-keypoint data (``ljof.synthetic``), evaluated with GT boxes on its clean ``val`` and its
``occluded`` split.

Same pieces as the paper configs (``configs/common``: the COCO top-down pipeline, the reduced HRNet of
``common/models/topdown_hrnet_tiny.py`` at width 16, Adam), scaled down to run in minutes: 96x128 crops,
24x32 heatmaps (the model's codec; the data follow it), batch 32, 500 iterations, cosine LR over
``train.max_iter`` (so any ``train.max_iter=...`` override keeps a consistent schedule). Width 8 levels
off near 44 AP on the clean split; width 16 passes 60 within the 500 iterations (the learning curves are
in docs/main_job.md). ``tools/run_main_job.py`` runs it; by hand (after
``python tools/generate_synthetic_data.py``)::

    python tools/lazyconfig_train_net.py --config-file configs/main_job/baseline.py
"""

from detectron2.config import LazyCall as L
from detectron2.solver import WarmupParamScheduler
from fvcore.common.param_scheduler import CosineParamScheduler

import ljof.synthetic  # registers ljof_synth_{train,val,occluded} under $LJOF_SYNTHETIC_ROOT
from ljof.data import MSRAHeatmap

from ..common.data.topdown_coco import dataloader
from ..common.models.topdown_hrnet_tiny import model

model.backbone.update(width=16, stem_channels=32)
from ..common.schedule import optimizer, train

# (w, h) of the crops and of the heatmaps
model.codec = L(MSRAHeatmap)(input_size=(96, 128), heatmap_size=(24, 32), sigma=1.5)

dataloader.train.dataset.names = "ljof_synth_train"
dataloader.train.total_batch_size = 32
dataloader.train.num_workers = 0  # the main job trains two models side by side, one core each
dataloader.test.dataset.names = "ljof_synth_occluded"  # tools/run_main_job.py: val and occluded
dataloader.test.batch_size = 64
dataloader.test.num_workers = 0
dataloader.test_datasets = ["ljof_synth_occluded"]

optimizer.lr = 5e-3
lr_multiplier = L(WarmupParamScheduler)(
    scheduler=L(CosineParamScheduler)(start_value=1.0, end_value=0.02),
    warmup_length=0.05,
    warmup_factor=0.01,
)

train.init_checkpoint = ""  # from scratch
train.device = "cpu"
train.amp.cpu_dtype = "auto"  # bfloat16 autocast where the CPU has it natively, else float32
train.memory_format = "auto"  # channels_last: the HRNet is convolutional (see docs/training.md)
train.max_iter = 500
train.eval_period = 0  # tools/run_main_job.py sets it to max_iter: one evaluation, after training
train.checkpointer = dict(period=100000, max_to_keep=1)  # only model_final.pth
train.log_period = 20
train.output_dir = "./output/main_job/baseline"

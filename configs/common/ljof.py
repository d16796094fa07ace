"""The two training-time parts of LJOF, for both keypoint sets (paper §3.2-3.3; where the paper is
silent, this project's choices, documented in docs/data_pipeline.md and docs/training.md).

* LJA: ``ceil(0.15 · n)`` visible (v == 2) limb joints of the crop each get a block of 0.2 × the person
  box, centred on the joint, filled with one random grey in [0, 255]; targets unchanged. The +LJOF
  configs put it in ``dataloader.train.mapper.lja``.
* DSL: heatmap MSE + λ(t) × limb structure loss (the limb chains come from the keypoint set's metadata),
  as ``model.loss``; λ(t) follows ``model.loss.lambda_schedule`` of ``iteration / train.max_iter``, the
  iteration read from detectron2's ``EventStorage`` by the loss itself, so detectron2's stock
  ``tools/lazyconfig_train_net.py`` trains with it too (step schedule: 0 for the first third of
  training, 1 after; the paper's best scheme, its Table 8).

Both read the limb joints from the metadata of the training dataset (``dataloader.train.dataset.names``)
and K from the head, so one object serves COCO-17 and CrowdPose-14: a CrowdPose leaf names CrowdPose only
through ``common/crowdpose.py``. Import them under private names (``from .common.ljof import dsl as
_dsl``) so they do not become top-level keys of the importing config.
"""

from detectron2.config import LazyCall as L
from detectron2.data import MetadataCatalog

from ljof.data import LimbJointAugmentation
from ljof.data.lja import limb_joint_ids_from_metadata
from ljof.engine import LimbLambdaSchedule
from ljof.modeling import DynamicStructureLoss
from ljof.modeling.losses import limb_chains_from_metadata

# the metadata (keypoint names, limb chains) of the dataset the model trains on
_train_meta = L(MetadataCatalog.get)(name="${dataloader.train.dataset.names}")

lja = L(LimbJointAugmentation)(
    limb_joint_ids=L(limb_joint_ids_from_metadata)(metadata=_train_meta),
    alpha=0.15,  # paper §4.2
    beta=0.20,
    visibility="visible",  # v == 2: labelled and visible (our choice; docs/data_pipeline.md)
    size_reference="box",
    fill_range=(0, 255),
    prob=1.0,
)
dsl = L(DynamicStructureLoss)(
    limb_chains=L(limb_chains_from_metadata)(metadata=_train_meta),
    num_keypoints="${model.head.num_keypoints}",
    lambda_schedule=L(LimbLambdaSchedule)(
        kind="step", lambda_min=0.0, lambda_max=1.0, milestone=1 / 3
    ),
    max_iter="${train.max_iter}",  # the schedule spans the whole training run
    use_target_weight=True,
)

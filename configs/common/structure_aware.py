"""The structure-aware loss of Ke et al. (ECCV 2018) as the LJOF paper's Table 9 runs it: heatmap MSE + λ ×
the summed-group term over each joint's skeleton neighbourhood (``ljof.modeling.StructureAwareLoss``; the
groups come from the training dataset's ``keypoint_connection_rules``, K from the head, so one object
serves COCO-17 and CrowdPose-14). λ_max = 1 (the paper gives no other value; the DSL's scale, see
docs/training.md).

* ``sa_constant``: λ = 1 from the first iteration (Table 9 row "[22]", Ke et al.'s fixed weight);
* ``sa_step``: λ = 0 for the first third of training, 1 after (Table 9 row "[22]" with the "step" dynamic
  weights), scheduled by the loss from detectron2's ``EventStorage`` like ``common/ljof.py``'s DSL.

Import these under private names (``from ..common.structure_aware import sa_step as _sa``).
"""

from detectron2.config import LazyCall as L
from detectron2.data import MetadataCatalog

from ljof.engine import LimbLambdaSchedule
from ljof.modeling import StructureAwareLoss, skeleton_edges_from_metadata

# the metadata (keypoint names, skeleton) of the dataset the model trains on
_train_meta = L(MetadataCatalog.get)(name="${dataloader.train.dataset.names}")

sa_constant = L(StructureAwareLoss)(
    skeleton_edges=L(skeleton_edges_from_metadata)(metadata=_train_meta),
    num_keypoints="${model.head.num_keypoints}",
    lambda_limb=1.0,
    use_target_weight=True,
)
sa_step = L(StructureAwareLoss)(
    skeleton_edges=L(skeleton_edges_from_metadata)(metadata=_train_meta),
    num_keypoints="${model.head.num_keypoints}",
    lambda_schedule=L(LimbLambdaSchedule)(
        kind="step", lambda_min=0.0, lambda_max=1.0, milestone=1 / 3
    ),
    max_iter="${train.max_iter}",  # the schedule spans the whole training run
    use_target_weight=True,
)

"""The structure-aware loss of Ke et al. (ECCV 2018) for both keypoint sets, as the LJOF paper's Table 9
runs it: heatmap MSE + λ × the summed-group term over each joint's skeleton neighbourhood
(``ljof.modeling.StructureAwareLoss``; the groups come from the keypoint set's ``keypoint_connection_rules``),
with λ set before every step by ``LimbLambdaHook``, like the DSL's. λ_max = 1 (the paper gives no other
value; the DSL's scale, see docs/training.md).

* ``constant_lambda_hook``: λ = 1 from the first iteration (Table 9 row "[22]", Ke et al.'s fixed weight);
* ``step_lambda_hook``: λ = 0 for the first third of training, 1 after (Table 9 row "[22]" with the
  "step" dynamic weights; the same hook as ``common/ljof.py``'s).

Import these under private names (``from ..common.structure_aware import sa_coco as _sa``).
"""

from detectron2.config import LazyCall as L

from ljof.data import get_keypoint_set_metadata
from ljof.engine import LimbLambdaHook, LimbLambdaSchedule
from ljof.modeling import StructureAwareLoss, skeleton_edges_from_metadata


def _sa(keypoint_set):
    meta = get_keypoint_set_metadata(keypoint_set)  # built-in constants; reads no file
    return L(StructureAwareLoss)(
        skeleton_edges=skeleton_edges_from_metadata(meta),
        num_keypoints=len(meta["keypoint_names"]),
        lambda_limb=0.0,  # set by the hook before every step
        use_target_weight=True,
    )


sa_coco = _sa("coco")
sa_crowdpose = _sa("crowdpose")
constant_lambda_hook = L(LimbLambdaHook)(
    schedule=L(LimbLambdaSchedule)(kind="constant", lambda_max=1.0)
)
step_lambda_hook = L(LimbLambdaHook)(
    schedule=L(LimbLambdaSchedule)(kind="step", lambda_min=0.0, lambda_max=1.0, milestone=1 / 3)
)

"""Detector + pose for the demo and for evaluation with detected people: detectron2's COCO Faster R-CNN
R50-FPN (3x, model zoo) finds the people, HRNet-W32 256x192 (``configs/common/models/topdown_hrnet.py``)
estimates their keypoints.

Weights: the detector's from detectron2's model zoo, the pose model's from MMPose's COCO HRNet-W32
(converted on load by ``ljof.checkpoint.PoseCheckpointer``); put ``train.pose_init_checkpoint`` on your own
LJOF checkpoint (e.g. ``output/ljof_hrnet_w32_coco_256x192/model_final.pth``) to run LJOF.

    python demo/demo.py --config-file demo/configs/faster_rcnn_R50_FPN_hrnet_w32.py \
        --input images/*.jpg --output out/
"""

from detectron2 import model_zoo
from detectron2.config import LazyCall as L

from ljof.modeling import DetectorPoseModel
from ljof.predictor import build_detector

from ...configs.common.models.topdown_hrnet import model as _pose

_DETECTOR = "COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml"

model = L(DetectorPoseModel)(
    detector=L(build_detector)(config_file=_DETECTOR),
    pose_model=_pose,
    person_class_id=0,  # "person" in COCO's thing_classes
    score_threshold=0.5,
    max_persons=100,
)
# the detector's test resize (its yaml's INPUT.MIN_SIZE_TEST / MAX_SIZE_TEST), applied by the predictor
predictor = dict(min_size_test=800, max_size_test=1333)

train = dict(
    init_checkpoint="",  # a checkpoint of the whole DetectorPoseModel, loaded last
    detector_init_checkpoint=model_zoo.get_checkpoint_url(_DETECTOR),
    pose_init_checkpoint=(
        "https://download.openmmlab.com/mmpose/top_down/hrnet/"
        "hrnet_w32_coco_256x192-c78dce93_20200708.pth"
    ),
    device="cpu",
)

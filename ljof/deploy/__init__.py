"""Deployment: the pose network as an ONNX graph, and an ONNX Runtime pose model for inference.

* :func:`export_onnx`: a :class:`~ljof.modeling.TopDownPoseEstimator` (backbone + head, normalisation and
  optionally the flip test in the graph) as ONNX bytes taking the mapper's uint8 crops.
* :class:`OnnxPoseModel`: ONNX Runtime behind the interface of ``TopDownPoseEstimator`` at inference
  (``DetectorPoseModel``, ``DetectorPosePredictor`` and the demo take it unchanged).
* :func:`compare_backends`: heatmap and keypoint parity of the two on the same crops.

``onnx`` and ``onnxruntime`` are optional (``pip install ljof[deploy]``); they are imported when used.
"""

from .export import PoseHeatmapNet, export_onnx
from .metadata import codec_from_metadata, pose_metadata
from .ort_model import OnnxPoseModel
from .parity import compare_backends, fixture_crops

__all__ = [
    "PoseHeatmapNet",
    "export_onnx",
    "OnnxPoseModel",
    "compare_backends",
    "fixture_crops",
    "pose_metadata",
    "codec_from_metadata",
]

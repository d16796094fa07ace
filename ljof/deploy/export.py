"""The pose network as an ONNX graph on uint8 crops, with torch's exporter.

Exporter: ``torch.onnx.export(..., dynamo=False)``, the TorchScript-based one. With torch 2.14 it needs
no package beyond ``onnx``; the default ``torch.export``-based exporter also needs ``onnxscript`` and took
137 s for an HRNet-W8 here against 12 s (docs/deploy.md).
"""

import io
import json
import logging
import warnings

import torch
from torch import nn

from .metadata import METADATA_KEY, pose_metadata

__all__ = ["PoseHeatmapNet", "export_onnx", "INPUT_NAME", "OUTPUT_NAME", "DEFAULT_OPSET"]

logger = logging.getLogger(__name__)

INPUT_NAME = "crops"
OUTPUT_NAME = "heatmaps"
DEFAULT_OPSET = 17  # LayerNormalization is one op from 17 on


class PoseHeatmapNet(nn.Module):
    """A ``TopDownPoseEstimator``'s network as one tensor function, for export.

    Input: ``(B, 3, H, W)`` uint8 crops in the model's ``input_format`` (the test mapper's ``image``),
    ``(W, H) = codec.input_size``. Output: ``(B, K, h, w)`` float32, the head's last output (SRPose: the
    finest), flip-averaged when ``flip_test``: exactly ``model.predict_heatmaps(model.normalize(x),
    flip_test)[-1]``, so the graph holds the channel swap and ``(x - mean) / std``.
    """

    def __init__(self, model: nn.Module, *, flip_test: bool):
        super().__init__()
        self.model = model
        self.flip_test = bool(flip_test)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.model.predict_heatmaps(self.model.normalize(crops), flip_test=self.flip_test)[-1]


def export_onnx(model: nn.Module, *, flip_test: bool, opset: int = DEFAULT_OPSET) -> bytes:
    """Export a ``TopDownPoseEstimator`` (in eval mode on the CPU for the export) to ONNX.

    The batch dimension is dynamic; crop size and keypoint count are fixed. The model's metadata
    (:func:`ljof.deploy.pose_metadata`) is stored in ``metadata_props["ljof"]``.

    Args:
        model: the pose model with its weights loaded.
        flip_test: put the flip-test pass in the graph (two network passes per crop).
        opset: ONNX opset.

    Returns:
        the serialised ``onnx.ModelProto``.

    Raises:
        ImportError: ``onnx`` is not installed (``pip install ljof[deploy]``).
    """
    try:
        import onnx
    except ImportError as e:
        raise ImportError("export_onnx needs onnx: pip install 'ljof[deploy]'") from e

    w, h = model.codec.input_size
    was_training = model.training
    device = model.device
    net = PoseHeatmapNet(model.cpu().eval(), flip_test=flip_test).eval()
    dummy = torch.zeros((2, 3, h, w), dtype=torch.uint8)
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # the TorchScript exporter's deprecation notice; the choice is explained in the module doc
            warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
            # shape checks on the fixed crop size become constants in the trace, as intended
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            torch.onnx.export(
                net,
                (dummy,),
                buffer,
                dynamo=False,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
                opset_version=opset,
                do_constant_folding=True,
            )
    finally:
        model.to(device).train(was_training)
    proto = onnx.load_from_string(buffer.getvalue())
    entry = proto.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(pose_metadata(model, flip_test=flip_test))
    proto.producer_name = "ljof"
    onnx.checker.check_model(proto)
    return proto.SerializeToString()

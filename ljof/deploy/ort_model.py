"""An ONNX Runtime pose model with the inference interface of ``TopDownPoseEstimator``."""

import logging
import os
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from torch import nn

from ljof.modeling.meta_arch.topdown import postprocess_heatmaps, stack_crops

from .export import INPUT_NAME, OUTPUT_NAME
from .metadata import METADATA_KEY, codec_from_metadata, parse_metadata

__all__ = ["OnnxPoseModel", "GRAPH_OPTIMIZATION_LEVELS"]

logger = logging.getLogger(__name__)

# names of onnxruntime.GraphOptimizationLevel members
GRAPH_OPTIMIZATION_LEVELS = {
    "disable": "ORT_DISABLE_ALL",
    "basic": "ORT_ENABLE_BASIC",
    "extended": "ORT_ENABLE_EXTENDED",
    "all": "ORT_ENABLE_ALL",
}


def _import_ort():
    try:
        import onnxruntime
    except ImportError as e:
        raise ImportError("OnnxPoseModel needs onnxruntime: pip install 'ljof[deploy]'") from e
    return onnxruntime


class OnnxPoseModel(nn.Module):
    """A pose graph from :func:`ljof.deploy.export_onnx` run by ONNX Runtime, usable wherever a
    ``TopDownPoseEstimator`` runs inference (``DetectorPoseModel(pose_model=...)``, the predictor, the
    demo): same attributes (``codec``, ``input_format``, ``keypoint_flip_indices``, ``device``), and
    ``model(batched_inputs)`` returns the same per-instance dicts, decoded by the same code
    (:func:`ljof.modeling.meta_arch.topdown.postprocess_heatmaps`). Inference only; no parameters.

    Args:
        onnx_model: path of the ``.onnx`` file, or its bytes.
        intra_op_num_threads: ONNX Runtime's intra-op threads (0: its default, one per core).
        graph_optimization_level: ``"disable"``, ``"basic"``, ``"extended"`` or ``"all"``
            (``onnxruntime.GraphOptimizationLevel``).
        providers: ONNX Runtime execution providers (default: the CPU one).
        rescore_keypoint_thr: overrides the exported model's (see ``TopDownPoseEstimator``).

    Raises:
        ImportError: onnxruntime is missing.
        ValueError: the graph lacks LJOF's metadata or it disagrees with the graph's shapes.
    """

    _NO_OVERRIDE = object()

    def __init__(
        self,
        onnx_model: Union[str, os.PathLike, bytes],
        *,
        intra_op_num_threads: int = 0,
        graph_optimization_level: str = "all",
        providers: Optional[Sequence[str]] = None,
        rescore_keypoint_thr=_NO_OVERRIDE,
    ):
        super().__init__()
        ort = _import_ort()
        if graph_optimization_level not in GRAPH_OPTIMIZATION_LEVELS:
            raise ValueError(
                f"graph_optimization_level={graph_optimization_level!r}, expected one of "
                f"{sorted(GRAPH_OPTIMIZATION_LEVELS)}"
            )
        source = "<bytes>" if isinstance(onnx_model, bytes) else os.fspath(onnx_model)
        if not isinstance(onnx_model, bytes) and not os.path.isfile(source):
            raise FileNotFoundError(f"OnnxPoseModel: no ONNX file {source!r}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(intra_op_num_threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = getattr(
            ort.GraphOptimizationLevel, GRAPH_OPTIMIZATION_LEVELS[graph_optimization_level]
        )
        self.graph_optimization_level = graph_optimization_level
        self.session = ort.InferenceSession(
            onnx_model if isinstance(onnx_model, bytes) else source,
            sess_options=options,
            providers=list(providers) if providers else ["CPUExecutionProvider"],
        )
        custom = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in custom:
            raise ValueError(
                f"{source}: no {METADATA_KEY!r} metadata; export the graph with "
                "tools/export_model.py (ljof.deploy.export_onnx)"
            )
        meta = parse_metadata(custom[METADATA_KEY], source)
        self.metadata = meta
        self.codec = codec_from_metadata(meta["codec"], source)
        self.keypoint_flip_indices = [int(i) for i in meta["keypoint_flip_indices"]]
        self.input_format = str(meta["input_format"])
        self._flip_test = bool(meta["flip_test"])
        self.rescore_keypoint_thr = (
            meta.get("rescore_keypoint_thr")
            if rescore_keypoint_thr is self._NO_OVERRIDE
            else rescore_keypoint_thr
        )
        self._check_graph(source)

    def _check_graph(self, source: str) -> None:
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if [i.name for i in inputs] != [INPUT_NAME] or outputs[0].name != OUTPUT_NAME:
            raise ValueError(
                f"{source}: graph inputs {[i.name for i in inputs]} / outputs "
                f"{[o.name for o in outputs]}, expected [{INPUT_NAME!r}] / [{OUTPUT_NAME!r}]"
            )
        w, h = self.codec.input_size
        if list(inputs[0].shape[1:]) != [3, h, w] or inputs[0].type != "tensor(uint8)":
            raise ValueError(
                f"{source}: graph input {inputs[0].type} {inputs[0].shape}, but the codec "
                f"{self.codec!r} needs uint8 (batch, 3, {h}, {w})"
            )
        hw, hh = self.codec.heatmap_size
        want = [len(self.keypoint_flip_indices), hh, hw]
        if list(outputs[0].shape[1:]) != want:
            raise ValueError(
                f"{source}: graph output {outputs[0].shape}, but the metadata says (batch, {want})"
            )

    @property
    def flip_test(self) -> bool:
        """Whether the graph averages with the flipped crop (fixed at export)."""
        return self._flip_test

    @property
    def device(self) -> torch.device:
        """Where the crops and the heatmaps live (the host; ONNX Runtime copies to its provider)."""
        return torch.device("cpu")

    def run(self, crops: np.ndarray) -> np.ndarray:
        """``(B, 3, H, W)`` uint8 crops -> ``(B, K, h, w)`` float32 heatmaps."""
        return self.session.run([OUTPUT_NAME], {INPUT_NAME: np.ascontiguousarray(crops)})[0]

    def forward(self, batched_inputs: List[Dict]) -> List[Dict]:
        """Inference on test-mode mapper samples, as ``TopDownPoseEstimator.forward`` in eval mode.

        Raises:
            ValueError: crops that are not uint8 or not the graph's size (named by input).
        """
        if self.training:
            raise RuntimeError("OnnxPoseModel is inference-only (call .eval())")
        crops = stack_crops(batched_inputs)
        w, h = self.codec.input_size
        if crops.dtype != torch.uint8 or tuple(crops.shape[1:]) != (3, h, w):
            raise ValueError(
                f"OnnxPoseModel: crops are {crops.dtype} {tuple(crops.shape[1:])}, the graph takes "
                f"uint8 (3, {h}, {w}) (the test-mode TopDownDatasetMapper's 'image'); first input "
                f"image_id={batched_inputs[0].get('image_id')}"
            )
        heatmaps = torch.from_numpy(self.run(crops.cpu().numpy()))
        return postprocess_heatmaps(
            batched_inputs, heatmaps, codec=self.codec, rescore_keypoint_thr=self.rescore_keypoint_thr
        )

"""What an exported pose graph needs besides its weights, stored as JSON in the ONNX model's
``metadata_props`` (key ``"ljof"``), so that an ``.onnx`` file alone rebuilds the inference path:
codec (class and constructor arguments), flip indices, input format, flip test, rescoring threshold.
"""

import inspect
import json
from typing import Dict

from ljof.data import codecs as _codecs

__all__ = ["METADATA_KEY", "pose_metadata", "codec_from_metadata", "parse_metadata"]

METADATA_KEY = "ljof"
_VERSION = 1


def _codec_spec(codec) -> Dict:
    """``{"type": class name, "args": constructor keyword arguments read back from the codec}``."""
    cls = type(codec)
    if getattr(_codecs, cls.__name__, None) is not cls:
        raise ValueError(
            f"pose_metadata: codec {codec!r} is not one of ljof.data.codecs; an exported graph can "
            f"only name those"
        )
    args = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if param.kind is param.KEYWORD_ONLY and hasattr(codec, name):
            value = getattr(codec, name)
            args[name] = list(value) if isinstance(value, tuple) else value
    return {"type": cls.__name__, "args": args}


def pose_metadata(model, *, flip_test: bool) -> Dict:
    """The metadata of an export of ``model`` (a ``TopDownPoseEstimator``).

    Returns:
        a JSON-serialisable dict: ``version``, ``codec``, ``keypoint_flip_indices``, ``input_format``,
        ``flip_test`` (whether the graph averages with the flipped crop), ``shift_heatmap``,
        ``rescore_keypoint_thr``.
    """
    return {
        "version": _VERSION,
        "codec": _codec_spec(model.codec),
        "keypoint_flip_indices": [int(i) for i in model.keypoint_flip_indices],
        "input_format": model.input_format,
        "flip_test": bool(flip_test),
        "shift_heatmap": bool(model.shift_heatmap),
        "rescore_keypoint_thr": model.rescore_keypoint_thr,
    }


def parse_metadata(text: str, source: str) -> Dict:
    """The metadata dict from its JSON text; ``source`` names the file in errors.

    Raises:
        ValueError: not JSON, another version, or a key missing.
    """
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{source}: metadata {METADATA_KEY!r} is not JSON: {e}") from e
    if not isinstance(meta, dict) or meta.get("version") != _VERSION:
        raise ValueError(
            f"{source}: metadata {METADATA_KEY!r} has version "
            f"{meta.get('version') if isinstance(meta, dict) else None}, expected {_VERSION}"
        )
    for key in ("codec", "keypoint_flip_indices", "input_format", "flip_test"):
        if key not in meta:
            raise ValueError(f"{source}: metadata {METADATA_KEY!r} lacks {key!r}")
    return meta


def codec_from_metadata(spec: Dict, source: str = "<metadata>"):
    """Rebuild a codec of ``ljof.data.codecs`` from ``{"type", "args"}``.

    Raises:
        ValueError: the type is not a codec class of ``ljof.data.codecs`` or its arguments are refused.
    """
    name = spec.get("type") if isinstance(spec, dict) else None
    cls = getattr(_codecs, str(name), None)
    if not (isinstance(cls, type) and issubclass(cls, _codecs.HeatmapCodec)):
        raise ValueError(f"{source}: codec type {name!r} is not a codec of ljof.data.codecs")
    try:
        return cls(**dict(spec.get("args", {})))
    except (TypeError, ValueError) as e:
        raise ValueError(f"{source}: cannot build codec {name} from {spec.get('args')}: {e}") from e

"""Parity of an exported pose graph with its PyTorch model on the same test crops."""

from typing import Dict, List, Optional

import numpy as np
import torch

from ljof.modeling.meta_arch.topdown import postprocess_heatmaps, stack_crops

__all__ = ["fixture_crops", "compare_backends", "HEATMAP_TOLERANCE", "KEYPOINT_TOLERANCE_PX"]

HEATMAP_TOLERANCE = 1e-4  # max abs heatmap difference accepted (heatmap units, peak ~1 when trained)
# UDP / DARK refine the maximum with a Taylor step, continuous in the heatmap values: two float32 backends
# land ~1e-5 px apart; MSRA decoding (maximum + quarter-pixel step) is exact.
KEYPOINT_TOLERANCE_PX = 1e-3


def fixture_crops(dataset_name: str, codec, max_crops: Optional[int] = None) -> List[Dict]:
    """Test-mode samples of a registered keypoint dataset's person records, cut by
    ``TopDownDatasetMapper(False, metadata=MetadataCatalog.get(dataset_name), codecs=[codec])``."""
    from detectron2.data import MetadataCatalog

    from ljof.data import TopDownDatasetMapper, get_topdown_dataset

    records = get_topdown_dataset(dataset_name)
    if not records:
        raise ValueError(f"dataset {dataset_name!r} has no person record")
    mapper = TopDownDatasetMapper(False, metadata=MetadataCatalog.get(dataset_name), codecs=[codec])
    return [mapper(r) for r in records[:max_crops]]


def compare_backends(
    torch_model,
    onnx_model,
    batched_inputs: List[Dict],
    *,
    tolerance: float = HEATMAP_TOLERANCE,
    keypoint_tolerance_px: float = KEYPOINT_TOLERANCE_PX,
) -> Dict:
    """Run both on the same crops and compare heatmaps and decoded keypoints.

    The PyTorch side is ``torch_model.predict_heatmaps(torch_model.normalize(crops),
    flip_test=onnx_model.flip_test)[-1]``; both heatmaps go through the same
    :func:`postprocess_heatmaps`. The ONNX side also runs on the first crop alone (the batch dimension
    is dynamic), which must match its row of the batch.

    Returns:
        ``crops``, ``flip_test``, ``heatmap_max_abs_diff``, ``heatmap_max_abs`` (scale of the maps),
        ``heatmap_max_rel_diff`` (the difference over that scale),
        ``batch1_max_abs_diff``, ``maxima_identical`` (the integer heatmap maximum of every keypoint,
        which decoding refines), ``keypoints_identical`` (x, y in image px, bit for bit),
        ``keypoint_max_abs_diff_px``, ``score_max_abs_diff``, ``tolerance``,
        ``keypoint_tolerance_px``, ``passed``: heatmap and batch-1 differences below ``tolerance``,
        identical maxima, and keypoints identical when the codec's decoding is discrete (MSRA), within
        ``keypoint_tolerance_px`` when it refines continuously (UDP, DARK: Taylor step).
    """
    crops = stack_crops(batched_inputs)
    with torch.no_grad():
        images = torch_model.normalize(crops.to(torch_model.device))
        ref = torch_model.predict_heatmaps(images, flip_test=onnx_model.flip_test)[-1].float().cpu()
    out = torch.from_numpy(onnx_model.run(crops.numpy()))
    single = torch.from_numpy(onnx_model.run(crops[:1].numpy()))
    if out.shape != ref.shape:
        raise ValueError(f"ONNX heatmaps {tuple(out.shape)} vs PyTorch {tuple(ref.shape)}")
    res_ref = postprocess_heatmaps(batched_inputs, ref, codec=torch_model.codec)
    res_out = postprocess_heatmaps(batched_inputs, out, codec=onnx_model.codec)
    kp_ref = torch.stack([r["keypoints"] for r in res_ref])
    kp_out = torch.stack([r["keypoints"] for r in res_out])
    hm_diff = float((out - ref).abs().max())
    b1_diff = float((single[0] - out[0]).abs().max())
    identical = bool(torch.equal(kp_ref[..., :2], kp_out[..., :2]))
    kp_diff = float(np.abs((kp_out - kp_ref)[..., :2].numpy()).max())
    maxima = bool(torch.equal(ref.flatten(2).argmax(-1), out.flatten(2).argmax(-1)))
    continuous = bool(getattr(onnx_model.codec, "use_udp", False)) or bool(
        getattr(onnx_model.codec, "unbiased", False)
    )
    keypoints_ok = identical or (continuous and kp_diff <= keypoint_tolerance_px)
    return {
        "crops": len(batched_inputs),
        "flip_test": bool(onnx_model.flip_test),
        "heatmap_max_abs_diff": hm_diff,
        "heatmap_max_abs": float(ref.abs().max()),
        "heatmap_max_rel_diff": hm_diff / max(float(ref.abs().max()), 1e-12),
        "batch1_max_abs_diff": b1_diff,
        "maxima_identical": maxima,
        "keypoints_identical": identical,
        "keypoint_max_abs_diff_px": kp_diff,
        "score_max_abs_diff": float((kp_out - kp_ref)[..., 2].abs().max()),
        "tolerance": tolerance,
        "keypoint_tolerance_px": keypoint_tolerance_px,
        "passed": hm_diff < tolerance and b1_diff < tolerance and maxima and keypoints_ok,
    }

"""Group the per-instance results of a top-down model into one detectron2 ``Instances`` per image."""

from typing import Dict, List

from detectron2.structures import Instances

__all__ = ["merge_instances_by_image"]


def merge_instances_by_image(inputs: List[Dict], outputs: List[Dict]) -> List[Dict]:
    """Concatenate the one-row ``Instances`` of every person of the same image.

    Args:
        inputs: the mapper samples given to the model (uses ``image_id``, ``height``, ``width`` and
            ``file_name`` when present).
        outputs: the model's per-instance result dicts (``outputs[i]["instances"]``).

    Returns:
        One dict per image, in order of first appearance:
        ``{"image_id", "height", "width", "file_name", "instances": Instances (N, ...)}``. The list can be
        passed as both ``inputs`` and ``outputs`` of detectron2's ``COCOEvaluator.process``.
    """
    if len(inputs) != len(outputs):
        raise ValueError(
            f"merge_instances_by_image: {len(inputs)} inputs but {len(outputs)} outputs"
        )
    groups: Dict[int, Dict] = {}
    for inp, out in zip(inputs, outputs):
        image_id = inp["image_id"]
        if image_id not in groups:
            groups[image_id] = {
                "image_id": image_id,
                "height": inp.get("height"),
                "width": inp.get("width"),
                "file_name": inp.get("file_name"),
                "parts": [],
            }
        groups[image_id]["parts"].append(out["instances"])
    merged = []
    for g in groups.values():
        parts = g.pop("parts")
        g["instances"] = parts[0] if len(parts) == 1 else Instances.cat(parts)
        merged.append(g)
    return merged

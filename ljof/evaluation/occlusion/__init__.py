"""Occlusion analysis of the OKS evaluation: AP by joint visibility, per-joint localisation, AP by
occlusion level (:mod:`.metrics`), on GT subsets (:mod:`.gt`) and joint matches (:mod:`.joints`), as a
detectron2 ``DatasetEvaluator`` (:mod:`.evaluator`)."""

from .evaluator import OcclusionEvaluator, flatten_report
from .metrics import occlusion_metrics, prepare_occlusion_inputs

__all__ = ["OcclusionEvaluator", "flatten_report", "occlusion_metrics", "prepare_occlusion_inputs"]

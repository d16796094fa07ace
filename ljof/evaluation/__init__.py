"""Evaluation: OKS, OKS-NMS and the top-down keypoint evaluator (COCO / OCHuman / CrowdPose)."""

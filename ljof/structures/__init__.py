"""Small data conventions shared by every layer of LJOF (imports only numpy)."""

from .keypoint_scores import rescore_by_keypoints

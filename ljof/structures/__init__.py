"""Small data conventions shared by every layer of LJOF (imports only numpy)."""

from .keypoint_scores import rescore_by_keypoints
from .pixel_convention import D2_KEYPOINT_OFFSET, pixel_index_scale_matrix

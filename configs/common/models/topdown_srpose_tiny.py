"""The SRPose-style model on the reduced HRNet of ``topdown_hrnet_tiny.py`` (CPU tests): 471,300
parameters with 17 keypoints.
"""

from .topdown_hrnet_tiny import model as _tiny
from .topdown_srpose import model

model.backbone.update(_tiny.backbone, multiscale_output=True)

"""Loading published weights: key conversion, checked loading, and a detectron2 checkpointer."""

from .checkpointer import PoseCheckpointer
from .convert import FORMATS, convert_state_dict, detect_format, resize_pos_embed, unwrap_checkpoint
from .load import check_shapes, load_checkpoint_file

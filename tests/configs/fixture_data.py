"""Fixture registrations shared by the config and training-script tests."""

from tests.common import register_fixture


def point_config_at_fixtures(cfg, *, batch_size: int = 2):
    """Replace every dataset of a loaded config by fixture registrations of its keypoint set."""
    keypoint_set = "crowdpose" if "crowdpose" in str(cfg.dataloader.train.dataset.names) else "coco"
    train = register_fixture(keypoint_set)
    with_dets = keypoint_set == "crowdpose"
    test = register_fixture(
        keypoint_set, detections=with_dets, det_score_thr=0.3 if with_dets else 0.0
    )
    cfg.dataloader.train.dataset.names = train
    cfg.dataloader.train.total_batch_size = batch_size
    cfg.dataloader.train.num_workers = 0
    cfg.dataloader.test.dataset.names = test
    cfg.dataloader.test.batch_size = batch_size
    cfg.dataloader.test.num_workers = 0
    cfg.dataloader.test_datasets = [test]
    return keypoint_set


def shrink_model(cfg):
    """Reduce the config's network to a CPU-sized one of the same family and output resolutions.

    The backbone becomes the family's reduced one (``configs/common/models/*_tiny.py``; the head's input
    follows it by interpolation), and the head's deconvolutions get that config's width.
    """
    from ljof.model_zoo import get_config
    from ljof.modeling import HRNet, ResNetTrunk, VisionTransformer

    tiny = {
        HRNet: "common/models/topdown_hrnet_tiny.py",
        ResNetTrunk: "common/models/topdown_simplebaseline_tiny.py",
        VisionTransformer: "common/models/topdown_vitpose_tiny.py",
    }
    backbone, head = cfg.model.backbone, cfg.model.head
    if backbone._target_ not in tiny:
        raise ValueError(f"no reduced variant for {backbone._target_}")
    small = get_config(tiny[backbone._target_]).model
    # the reduced sizes; keep what fixes the outputs (HRNet branches, ViT input size)
    for key in ("_target_", "multiscale_output", "img_size"):
        small.backbone.pop(key, None)
    backbone.update(small.backbone)
    if "deconv_out_channels" in head:
        head.deconv_out_channels = [small.head.deconv_out_channels[0]] * len(
            head.deconv_out_channels
        )
    return cfg

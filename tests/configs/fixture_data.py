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
    cfg.dataloader.evaluator.dataset_name = test
    cfg.dataloader.test_datasets = [test]
    return keypoint_set


def shrink_model(cfg):
    """Reduce the config's network to a CPU-sized one of the same family and output resolutions."""
    from ljof.modeling import HRNet, ResNetTrunk, SRPoseHead, VisionTransformer

    backbone, head = cfg.model.backbone, cfg.model.head
    if backbone._target_ is HRNet:
        width = 8
        backbone.update(
            width=width,
            num_modules=(1, 1, 1),
            num_blocks=(1, 1, 1),
            stage1_num_blocks=1,
            stem_channels=16,
        )
        if head._target_ is SRPoseHead:
            for i, name in enumerate(("hr1", "hr2", "hr3", "hr4")):
                head.input_shape[name].channels = width * 2**i
            head.channels = 8
        else:
            head.input_shape.channels = width
    elif backbone._target_ is ResNetTrunk:
        backbone.depth = 18
        head.input_shape.channels = 512
        head.deconv_out_channels = (16, 16, 16)
    elif backbone._target_ is VisionTransformer:
        backbone.update(embed_dim=32, depth=2, num_heads=2)
        head.input_shape.channels = 32
        head.deconv_out_channels = (16, 16)
    else:
        raise ValueError(f"no reduced variant for {backbone._target_}")
    return cfg

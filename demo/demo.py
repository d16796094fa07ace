#!/usr/bin/env python
"""Detector + LJOF pose model on images or a video, drawn with detectron2's ``Visualizer``.

Flags follow detectron2's ``demo/demo.py``:

    python demo/demo.py --config-file demo/configs/faster_rcnn_R50_FPN_hrnet_w32.py \
        --input img1.jpg 'more/*.jpg' --output out/ [--coco-results out/results.json]
    python demo/demo.py --config-file ... --video-input clip.mp4 --output out/clip.mp4
    python demo/demo.py --config-file ... --input a.jpg --output out/ \
        --opts train.pose_init_checkpoint=output/ljof/model_final.pth model.max_persons=20

``--config-file`` is a LazyConfig whose ``model`` is a ``ljof.modeling.DetectorPoseModel`` (weights from
``train.detector_init_checkpoint``, ``train.pose_init_checkpoint``, ``train.init_checkpoint``).
``--pose-onnx model.onnx`` runs the pose model with ONNX Runtime instead (a graph written by
``tools/export_model.py``; same crops, decoding and ``Instances``; the detector stays detectron2's).
Skeletons follow the keypoint metadata's ``keypoint_connection_rules`` (COCO-17 by default).
"""

import ljof  # noqa: F401  (first: compat shims before detectron2)

import argparse  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import tqdm  # noqa: E402
from detectron2.config import LazyConfig  # noqa: E402
from detectron2.data import MetadataCatalog  # noqa: E402
from detectron2.evaluation.coco_evaluation import instances_to_coco_json  # noqa: E402
from detectron2.structures import Instances  # noqa: E402
from detectron2.utils.logger import setup_logger  # noqa: E402
from detectron2.utils.video_visualizer import VideoVisualizer  # noqa: E402
from detectron2.utils.visualizer import ColorMode, Visualizer  # noqa: E402

from ljof.data import get_keypoint_set_metadata  # noqa: E402
from ljof.data.datasets.person_category import LJOF_PERSON_CATEGORY_ID  # noqa: E402
from ljof.predictor import DetectorPosePredictor, build_detector_pose_model  # noqa: E402

logger = logging.getLogger("ljof.demo")


def get_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--config-file", required=True, metavar="FILE", help="LazyConfig of the model")
    p.add_argument("--input", nargs="+", help="image files or glob patterns ('dir/*.jpg')")
    p.add_argument("--video-input", help="a video file")
    p.add_argument(
        "--output",
        help="folder for the drawn images (or a file name for one image), or the output video file; "
        "without it nothing is drawn",
    )
    p.add_argument(
        "--confidence-threshold",
        type=float,
        default=0.5,
        help="minimum person detection score (sets model.score_threshold; %(default)s)",
    )
    p.add_argument(
        "--keypoint-set",
        default="coco",
        help="keypoint set of the pose model, for names and skeleton (coco | crowdpose)",
    )
    p.add_argument("--coco-results", help="also write the predictions as COCO results json here")
    p.add_argument(
        "--pose-onnx",
        metavar="FILE",
        help="run the pose model from this ONNX graph (tools/export_model.py) with ONNX Runtime "
        "instead of the config's PyTorch pose model (needs ljof[deploy])",
    )
    p.add_argument(
        "--opts", nargs=argparse.REMAINDER, default=[], help="config overrides key=value"
    )
    return p


def _metadata(keypoint_set: str):
    name = f"__ljof_demo_{keypoint_set}"
    meta = MetadataCatalog.get(name)
    if not meta.get("keypoint_names", None):
        meta.set(**get_keypoint_set_metadata(keypoint_set))
    return meta


def _expand(patterns):
    files = []
    for pattern in patterns:
        found = sorted(glob.glob(os.path.expanduser(pattern)))
        if not found:
            raise FileNotFoundError(f"--input {pattern!r} matches no file")
        files += found
    return files


def _coco_entries(instances, image_id: int):
    """COCO keypoint results of one image, as ``COCOEvaluator`` writes them: detectron2's
    ``instances_to_coco_json`` (boxes XYWH, keypoints back to pixel indices), category person."""
    # instances_to_coco_json shifts pred_keypoints in place: give it a copy, the caller still draws them
    copy = Instances(instances.image_size, **instances.get_fields())
    copy.pred_keypoints = instances.pred_keypoints.clone()
    entries = instances_to_coco_json(copy, image_id)
    for entry in entries:  # the models' class 0 is COCO's person category
        entry["category_id"] = LJOF_PERSON_CATEGORY_ID
    return entries


def run_images(predictor, files, args, meta):
    results = []
    for i, path in enumerate(tqdm.tqdm(files, disable=not args.output)):
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise RuntimeError(f"cannot read image {path!r}")
        start = time.perf_counter()
        instances = predictor(image, image_id=i).to("cpu")
        logger.info(f"{path}: {len(instances)} people in {time.perf_counter() - start:.2f}s")
        results += [dict(r, file_name=path) for r in _coco_entries(instances, i)]
        if args.output:
            vis = Visualizer(image[:, :, ::-1], metadata=meta, instance_mode=ColorMode.IMAGE)
            drawn = vis.draw_instance_predictions(instances).get_image()[:, :, ::-1]
            if os.path.isdir(args.output) or len(files) > 1:
                os.makedirs(args.output, exist_ok=True)
                base = os.path.splitext(os.path.basename(path))[0] + ".png"
                out = os.path.join(args.output, base)
            else:
                out = args.output
            if not cv2.imwrite(out, drawn):
                raise RuntimeError(f"cannot write {out!r}")
    return results, len(files)


def run_video(predictor, args, meta):
    video = cv2.VideoCapture(args.video_input)
    if not video.isOpened():
        raise RuntimeError(f"cannot open video {args.video_input!r}")
    width = int(video.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(video.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = video.get(cv2.CAP_PROP_FPS) or 25.0
    frames = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    writer = None
    if args.output:
        out = args.output
        if os.path.isdir(out):
            out = os.path.join(
                out, os.path.splitext(os.path.basename(args.video_input))[0] + ".mp4"
            )
        writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height), True)
        if not writer.isOpened():
            raise RuntimeError(f"cannot write video {out!r}")
    visualizer = VideoVisualizer(meta, ColorMode.IMAGE)
    results, i = [], -1
    for i in tqdm.tqdm(range(frames), desc="video frames"):
        ok, frame = video.read()
        if not ok:
            break
        instances = predictor(frame, image_id=i).to("cpu")
        results += _coco_entries(instances, i)
        if writer is not None:
            drawn = visualizer.draw_instance_predictions(frame[:, :, ::-1], instances)
            writer.write(drawn.get_image()[:, :, ::-1])
    video.release()
    if writer is not None:
        writer.release()
    return results, i + 1


def main(argv=None) -> int:
    args = get_parser().parse_args(argv)
    setup_logger(name="ljof", abbrev_name="ljof")
    logging.getLogger("ljof").setLevel(logging.INFO)
    if bool(args.input) == bool(args.video_input):
        raise SystemExit("give exactly one of --input and --video-input")
    cfg = LazyConfig.load(args.config_file)
    cfg = LazyConfig.apply_overrides(cfg, list(args.opts))
    cfg.model.score_threshold = args.confidence_threshold
    if args.pose_onnx:
        from detectron2.config import LazyCall as L

        from ljof.deploy import OnnxPoseModel

        cfg.model.pose_model = L(OnnxPoseModel)(onnx_model=args.pose_onnx)
        if "train" in cfg:
            cfg.train.pose_init_checkpoint = ""  # the graph holds the pose weights
        logger.info(f"pose model: ONNX Runtime on {args.pose_onnx}")
    device = cfg.get("train", {}).get("device", None)
    model = build_detector_pose_model(cfg, device=device)
    predictor = DetectorPosePredictor(model, **cfg.get("predictor", {}))
    meta = _metadata(args.keypoint_set)
    if args.input:
        results, count = run_images(predictor, _expand(args.input), args, meta)
    else:
        results, count = run_video(predictor, args, meta)
    if args.coco_results:
        os.makedirs(os.path.dirname(os.path.abspath(args.coco_results)), exist_ok=True)
        with open(args.coco_results, "w") as f:
            json.dump(results, f)
        logger.info(f"{len(results)} COCO-format results written to {args.coco_results}")
    print(json.dumps({"inputs": count, "people": len(results)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

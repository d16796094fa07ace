#!/usr/bin/env python
"""Train or evaluate an LJOF top-down pose model from a LazyConfig file.

Same flags and behaviour as detectron2's ``tools/lazyconfig_train_net.py`` (written here), plus:

* ``import ljof`` first (compat shims, dataset registration);
* the hooks listed in ``cfg.train.hooks`` run after ``LRScheduler`` and before
  ``PeriodicCheckpointer`` (LJOF's configs list none: the λ schedule of the Dynamic Structure Loss lives
  in the loss, so detectron2's stock tool trains them too; docs/training.md);
* every ``train.eval_period`` iterations each dataset of ``dataloader.test_datasets`` (default: the
  evaluator's dataset) is evaluated, and the best checkpoint by the first one's AP is kept
  (``model_best.pth``);
* ``--register NAME=JSON:IMAGE_ROOT[:coco|crowdpose]`` (repeatable) registers a COCO-format keypoint
  dataset and puts it in place of the config's datasets: with one, it is trained on and evaluated; with
  several, the first is trained on and the others are evaluated (with ``--eval-only`` all are evaluated);
* ``--num-gpus N`` without CUDA starts N CPU processes (gloo);
* on a CPU device ``train.amp.cpu_dtype`` (``auto``, ``bfloat16``, ``float32``) trains under bfloat16
  autocast where the CPU has bf16 in hardware, losses in float32 (``train.amp.enabled`` is CUDA's
  switch: detectron2's ``AMPTrainer``, off in the configs); ``train.memory_format`` (``auto``,
  ``channels_last``, ``contiguous``) puts convolutional models and their batches in channels_last on
  the CPU; evaluation runs in float32 unless ``train.amp.eval_dtype="bfloat16"``
  (``ljof.engine.trainer``, ``ljof.engine.precision``).

Examples::

    python tools/lazyconfig_train_net.py --config-file configs/ljof_hrnet.py
    python tools/lazyconfig_train_net.py --config-file configs/ljof_hrnet.py --eval-only \\
        train.init_checkpoint=output/model_final.pth
    python tools/lazyconfig_train_net.py --config-file configs/ljof_hrnet.py \\
        --register mine=ann/train.json:images --register mine_val=ann/val.json:images \\
        train.max_iter=1000 dataloader.train.total_batch_size=16 train.device=cpu
"""

import ljof  # noqa: F401  (first: compat shims before detectron2, dataset registration)

import logging  # noqa: E402
import os  # noqa: E402

from detectron2.config import LazyConfig, instantiate  # noqa: E402
from detectron2.engine import (  # noqa: E402
    create_ddp_model,
    default_argument_parser,
    default_setup,
    default_writers,
    hooks,
)
from detectron2.evaluation import inference_on_dataset, print_csv_format  # noqa: E402
from detectron2.utils import comm  # noqa: E402
from detectron2.utils.logger import setup_logger  # noqa: E402

from ljof.checkpoint import PoseCheckpointer  # noqa: E402
from ljof.config import (  # noqa: E402
    apply_overrides,
    check_eval_checkpoint,
    check_keypoint_counts,
    resolve_config_file,
)
from ljof.data.datasets import add_register_argument, register_from_specs  # noqa: E402
from ljof.engine import (  # noqa: E402
    build_trainer,
    inference_autocast,
    launch,
    prepare_memory_format,
)
from ljof.errors import InputError  # noqa: E402

logger = logging.getLogger("ljof")


def test_dataset_names(cfg):
    """Datasets evaluated by :func:`do_test`, in order (the first one picks the best checkpoint)."""
    names = cfg.dataloader.get("test_datasets", None)
    if not names:
        names = [cfg.dataloader.evaluator.dataset_name]
    return [names] if isinstance(names, str) else list(names)


def apply_registered_datasets(cfg, names, eval_only):
    """Put the ``--register``-ed dataset names in place of the config's (see the module docstring)."""
    if not names:
        return cfg
    if eval_only:
        tests = names
    else:
        cfg.dataloader.train.dataset.names = names[0]
        tests = names[1:] or names[:1]
    cfg.dataloader.test_datasets = list(tests)
    cfg.dataloader.test.dataset.names = tests[0]  # the evaluator's dataset_name interpolates it
    logger.info(
        "datasets from --register: train=%s test=%s", names[0] if not eval_only else "-", tests
    )
    return cfg


def do_test(cfg, model):
    """Evaluate ``model`` on every test dataset; returns ``{name: {"keypoints": {...}}}``."""
    results = {}
    for name in test_dataset_names(cfg):
        cfg.dataloader.test.dataset.names = name  # the evaluator's dataset_name interpolates it
        cfg.dataloader.evaluator.output_dir = os.path.join(cfg.train.output_dir, "inference", name)
        with inference_autocast(cfg.train):  # float32 unless train.amp.eval_dtype="bfloat16"
            ret = inference_on_dataset(
                model, instantiate(cfg.dataloader.test), instantiate(cfg.dataloader.evaluator)
            )
        if comm.is_main_process():
            logger.info("Evaluation results on %s:", name)
            print_csv_format(ret)
        results[name] = ret
    return results


def _ddp_kwargs(cfg):
    kwargs = dict(cfg.train.get("ddp", {}))
    if not str(cfg.train.device).startswith("cuda"):
        kwargs["device_ids"] = None  # CPU DDP (gloo): no device ids
    return kwargs


def do_train(args, cfg):
    """
    Args:
        cfg: a LazyConfig with ``model``, ``dataloader`` (``train``, ``test``, ``evaluator``),
            ``optimizer``, ``lr_multiplier`` and ``train`` (``output_dir``, ``init_checkpoint``,
            ``max_iter``, ``amp``, ``ddp``, ``checkpointer``, ``eval_period``, ``log_period``,
            ``device``, optional ``hooks``, ``memory_format``).
    """
    model = instantiate(cfg.model)
    logger.info("Model:\n%s", model)
    model.to(cfg.train.device)
    prepare_memory_format(model, cfg.train)  # train.memory_format (channels_last on CPU convnets)

    cfg.optimizer.params.model = model
    optim = instantiate(cfg.optimizer)
    train_loader = instantiate(cfg.dataloader.train)

    model = create_ddp_model(model, **_ddp_kwargs(cfg))
    # CUDA: AMPTrainer if train.amp.enabled; CPU: bfloat16 autocast per train.amp.cpu_dtype (ljof.engine)
    trainer = build_trainer(cfg.train, model, train_loader, optim)
    # PoseCheckpointer = DetectionCheckpointer that also converts published pose/ImageNet weights (and,
    # as fvcore's Checkpointer, saves and loads the module inside DDP)
    checkpointer = PoseCheckpointer(model, cfg.train.output_dir, trainer=trainer)

    eval_period = int(cfg.train.get("eval_period", 0) or 0)
    extra_hooks = [instantiate(h) for h in cfg.train.get("hooks", None) or []]
    main = comm.is_main_process()
    trainer.register_hooks(
        [
            hooks.IterationTimer(),
            hooks.LRScheduler(scheduler=instantiate(cfg.lr_multiplier)),
            *extra_hooks,
            hooks.PeriodicCheckpointer(checkpointer, **cfg.train.checkpointer) if main else None,
            hooks.EvalHook(eval_period, lambda: do_test(cfg, model)) if eval_period > 0 else None,
            hooks.BestCheckpointer(
                eval_period,
                checkpointer,
                f"{test_dataset_names(cfg)[0]}/keypoints/AP",
                mode="max",
            )
            if main and eval_period > 0
            else None,
            hooks.PeriodicWriter(
                default_writers(cfg.train.output_dir, cfg.train.max_iter),
                period=cfg.train.log_period,
            )
            if main
            else None,
        ]
    )

    checkpointer.resume_or_load(cfg.train.init_checkpoint, resume=args.resume)
    if args.resume and checkpointer.has_checkpoint():
        # the checkpoint stores the last finished iteration; continue with the next one
        start_iter = trainer.iter + 1
    else:
        start_iter = 0
    trainer.train(start_iter, cfg.train.max_iter)


def _dataset_names(cfg, eval_only):
    names = [] if eval_only else [cfg.dataloader.train.dataset.names]
    names += [cfg.dataloader.test.dataset.names, *test_dataset_names(cfg)]
    return [n for group in names for n in ([group] if isinstance(group, str) else group)]


def load_config(args):
    """The config of ``args`` with its overrides and ``--register``-ed datasets, checked before anything
    runs; ``args.config_file`` becomes the resolved file (``ljof.config``).

    Raises:
        InputError: a missing or foreign config file, an override of a key the config lacks,
            ``--eval-only`` without the checkpoint to evaluate, a dataset whose keypoint count is not the
            model's.
    """
    args.config_file = resolve_config_file(args.config_file)
    cfg = LazyConfig.load(args.config_file)
    if args.eval_only:
        check_eval_checkpoint(cfg, args.opts, config_file=args.config_file)
    cfg = apply_overrides(cfg, args.opts)
    registered = register_from_specs(args.register)
    cfg = apply_registered_datasets(cfg, registered, args.eval_only)
    check_keypoint_counts(cfg, _dataset_names(cfg, args.eval_only))
    return cfg


def main(args):
    cfg = load_config(args)
    default_setup(cfg, args)
    # detectron2's default_setup configures its own loggers; ljof's (precision, λ) go to the same places
    setup_logger(cfg.train.output_dir, distributed_rank=comm.get_rank(), name="ljof")

    if args.eval_only:
        model = instantiate(cfg.model)
        model.to(cfg.train.device)
        prepare_memory_format(model, cfg.train)
        model = create_ddp_model(model, **_ddp_kwargs(cfg))
        PoseCheckpointer(model).load(cfg.train.init_checkpoint)
        return do_test(cfg, model)
    do_train(args, cfg)


def build_parser():
    parser = default_argument_parser()
    add_register_argument(
        parser,
        help="register a COCO-format keypoint dataset and use it instead of the config's (repeatable)",
    )
    return parser


if __name__ == "__main__":
    parser = build_parser()
    args = parser.parse_args()
    try:
        load_config(args)  # a mistake in the command line stops here, before any process starts
        launch(
            main,
            args.num_gpus,
            num_machines=args.num_machines,
            machine_rank=args.machine_rank,
            dist_url=args.dist_url,
            args=(args,),
        )
    except InputError as e:  # one line, no traceback, exit status 2 (as argparse)
        parser.exit(2, f"{parser.prog}: error: {e}\n")

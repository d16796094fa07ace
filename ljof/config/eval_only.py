"""``--eval-only``: the checkpoint under evaluation is named on the command line, never the config's own
``train.init_checkpoint`` (the ImageNet/MAE weights a training starts from, which evaluation does not need).
"""

from typing import Iterable

from ljof.errors import InputError

from .overrides import parse_overrides

__all__ = ["check_eval_checkpoint"]

KEY = "train.init_checkpoint"


def check_eval_checkpoint(
    cfg, overrides: Iterable[str], *, config_file: str = "the config"
) -> None:
    """Raise :class:`~ljof.errors.InputError` when ``--eval-only`` would evaluate the config's own
    initialization weights: no override sets ``train.init_checkpoint`` and the config's value is not empty.

    Without this, ``--eval-only`` of a paper config downloads the ImageNet weights (offline: a long
    ``URLError``) and evaluates a model whose head was never trained.

    Args:
        cfg: the LazyConfig as loaded, before the overrides.
        overrides: the command line's ``key=value`` overrides.
        config_file: the config's path, for the message.
    """
    given = any(o.key_or_group == KEY for o in parse_overrides(overrides))
    init = cfg.train.get("init_checkpoint", "") if "train" in cfg else ""
    if given or not init:
        return
    raise InputError(
        f"--eval-only evaluates {KEY}, and {config_file} sets it to {init}, the weights a training "
        f"starts from; name the checkpoint to evaluate: {KEY}=output/model_final.pth"
    )

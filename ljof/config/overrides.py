"""``key=value`` command-line overrides that must name an existing config key.

detectron2's ``LazyConfig.apply_overrides`` creates any key it is given, so ``train.max_itr=2`` (a typo of
``train.max_iter``) is accepted and silently changes nothing. Here every override is parsed with Hydra's
override grammar (the one detectron2 uses) and refused unless

* its key exists in the config, or
* its parent is a ``LazyCall`` node and the key is a named parameter of the node's target (e.g.
  ``dataloader.train.mapper.reduced_decoding=true`` where the config leaves the default), or
* it is spelled as an addition, Hydra's ``+key=value`` (the key must be new) or ``++key=value``.

The value ``None`` is the string ``'None'`` in that grammar; it is refused where the key holds no string,
since ``null`` is the spelling of Python's ``None``. The error names the key and the closest existing one
(``difflib``).
"""

import difflib
import inspect
from typing import Iterable, List, Optional

from detectron2.config import LazyConfig
from detectron2.utils.registry import locate
from omegaconf import DictConfig, ListConfig, OmegaConf

from ljof.errors import InputError

__all__ = ["apply_overrides", "check_overrides", "parse_overrides"]

_MISSING = object()


def parse_overrides(overrides: Iterable[str]):
    """Hydra ``Override`` objects of ``key=value`` strings; a line Hydra cannot parse raises InputError."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create()
    parsed = []
    for line in overrides:
        try:
            parsed.extend(parser.parse_overrides([line]))
        except OverrideParseException as e:
            reason = str(e).splitlines()[-2] if len(str(e).splitlines()) > 1 else str(e)
            raise InputError(
                f"cannot parse the override {line!r} ({reason.strip()}); the spelling is key=value, "
                "e.g. train.max_iter=1000"
            ) from None
    return parsed


def _child(node, part: str):
    """The raw child node or ``_MISSING``. OmegaConf's ``_get_node`` reads a key without resolving
    ``${...}`` interpolations (``OmegaConf.select`` would resolve them, and fail on a relative one)."""
    if isinstance(node, DictConfig):
        return node._get_node(part) if part in node.keys() else _MISSING
    if isinstance(node, ListConfig) and part.lstrip("-").isdigit():
        index = int(part)
        return node._get_node(index) if -len(node) <= index < len(node) else _MISSING
    return _MISSING


def _lookup(cfg, key: str):
    """``(value_node, parent, missing_part)``: the node at ``key``, else its deepest existing parent."""
    node = cfg
    parts = key.split(".")
    for i, part in enumerate(parts):
        child = _child(node, part)
        if child is _MISSING:
            return _MISSING, node, ".".join(parts[: i + 1])
        node = child
    return node, None, None


def _target_parameters(node) -> Optional[List[str]]:
    """Named parameters of a LazyCall node's ``_target_`` (None: not a LazyCall or not inspectable)."""
    if not isinstance(node, DictConfig) or "_target_" not in node.keys():
        return None
    target = node._get_node("_target_")._value()
    try:
        target = locate(target) if isinstance(target, str) else target
        params = inspect.signature(target).parameters.values()
    except Exception:  # noqa: BLE001 - a target we cannot inspect accepts no extra key
        return None
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in params if p.kind in kinds]


def _all_keys(node, prefix: str = "") -> List[str]:
    keys = []
    if isinstance(node, DictConfig):
        items = [(str(k), node._get_node(k)) for k in node.keys()]
    elif isinstance(node, ListConfig):
        items = [(str(i), node._get_node(i)) for i in range(len(node))]
    else:
        return keys
    for name, child in items:
        if name == "_target_":
            continue
        path = f"{prefix}{name}"
        keys.append(path)
        keys.extend(_all_keys(child, path + "."))
    return keys


def _closest(cfg, key: str) -> Optional[str]:
    matches = difflib.get_close_matches(key, _all_keys(cfg), n=1, cutoff=0.6)
    return matches[0] if matches else None


def check_overrides(cfg, overrides: Iterable[str]) -> None:
    """Raise :class:`~ljof.errors.InputError` for the first override that is not allowed (module docstring).

    Args:
        cfg: the LazyConfig (``omegaconf.DictConfig``) the overrides are meant for.
        overrides: ``key=value`` strings in Hydra's override grammar (the tools' trailing arguments).
    """
    for o in parse_overrides(overrides):
        key, line = o.key_or_group, o.input_line
        if o.is_delete():
            raise InputError(f"{line!r}: deleting a config key is not supported; set it to null")
        node, parent, missing = _lookup(cfg, key)
        if o.is_add():
            if node is not _MISSING:
                raise InputError(
                    f"{line!r}: the config already has {key}; to change it write {line[1:]!r}"
                )
            continue
        if o.is_force_add():
            continue
        if node is _MISSING:
            if missing == key and key.rsplit(".", 1)[-1] in (_target_parameters(parent) or []):
                continue  # a named argument of the LazyCall target that the config leaves at its default
            near = _closest(cfg, key)
            hint = f"did you mean {near}? " if near else ""
            raise InputError(
                f"{line!r}: the config has no key {missing}; {hint}"
                f"(to add a new key, write +{line})"
            )
        value = o.value()
        current = None if OmegaConf.is_config(node) else node._value()
        if value == "None" and not isinstance(current, str):
            raise InputError(
                f"{line!r}: 'None' is read as the string 'None'; write {key}=null for Python's None"
            )


def apply_overrides(cfg, overrides: Iterable[str]):
    """:func:`check_overrides`, then detectron2's ``LazyConfig.apply_overrides``; returns ``cfg``."""
    overrides = list(overrides)
    check_overrides(cfg, overrides)
    return LazyConfig.apply_overrides(cfg, overrides)

"""Load tools/lazyconfig_train_net.py (a script, not a package module) and run it in-process."""

import importlib.util
import json
import os

from tests.common import ROOT

_TOOL = None


def train_net_module():
    """The training script as a module (imported once)."""
    global _TOOL
    if _TOOL is None:
        path = os.path.join(str(ROOT), "tools", "lazyconfig_train_net.py")
        spec = importlib.util.spec_from_file_location("ljof_lazyconfig_train_net", path)
        _TOOL = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_TOOL)
    return _TOOL


def config_path(name: str) -> str:
    return os.path.join(str(ROOT), "configs", name)


def read_metrics(output_dir: str):
    """metrics.json lines (one dict per logged iteration), by iteration."""
    rows = {}
    with open(os.path.join(output_dir, "metrics.json")) as f:
        for line in f:
            row = json.loads(line)
            if "iteration" in row:
                rows.setdefault(row["iteration"], {}).update(row)
    return rows

"""detectron2's own ``tools/lazyconfig_train_net.py``, as the installed detectron2 ships it.

detectron2's ``setup.py`` installs its ``tools/`` folder as the top-level package ``tools`` (v0.6 and
main). It is found through the installed distribution's file list, not by ``import tools``: this
repository's ``tools/`` folder (scripts, no ``__init__.py``) could shadow it in ``sys.modules``.
"""

import importlib.metadata
import importlib.util
import os

_STOCK = None


def stock_train_net_module():
    """detectron2's unmodified ``tools/lazyconfig_train_net.py`` as a module (imported once).

    Raises:
        RuntimeError: no installed distribution provides detectron2's ``tools`` package.
    """
    global _STOCK
    if _STOCK is not None:
        return _STOCK
    providers = importlib.metadata.packages_distributions().get("tools", [])
    for name in providers:
        if "detectron2" not in name:
            continue
        path = os.fspath(
            importlib.metadata.distribution(name).locate_file("tools/lazyconfig_train_net.py")
        )
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location(
                "detectron2_stock_lazyconfig_train_net", path
            )
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _STOCK = module
            return module
    raise RuntimeError(
        f"no installed detectron2 distribution ships tools/lazyconfig_train_net.py (providers of the "
        f"top-level package `tools`: {providers}); install detectron2 from its sources (make setup)"
    )

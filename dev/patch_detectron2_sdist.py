"""Make PyPI's pb1-detectron2==0.6 sdist installable without its C++ extension.

The sdist carries upstream v0.6's Python sources but not the C++/CUDA sources of ``detectron2._C``, so its
``setup.py`` cannot build. This script edits that ``setup.py`` in place:

* ``ext_modules`` becomes empty (``ljof.compat`` installs a stand-in ``detectron2._C`` that raises a clear
  error if a compiled op is ever called);
* the model-zoo configs that ship under ``detectron2/model_zoo/configs`` are listed as package data, so
  ``detectron2.model_zoo.get_config(...)`` finds them after installation (upstream lists them from a
  top-level ``configs/`` folder that the sdist does not have).

Usage: python dev/patch_detectron2_sdist.py PATH/TO/pb1-detectron2-0.6
"""

import os
import sys


def patch(src_dir: str) -> None:
    setup_py = os.path.join(src_dir, "setup.py")
    with open(setup_py) as f:
        text = f.read()
    zoo = os.path.join(src_dir, "detectron2", "model_zoo")
    configs = sorted(
        os.path.relpath(os.path.join(dirpath, name), zoo)
        for dirpath, _, names in os.walk(os.path.join(zoo, "configs"))
        for name in names
        if name.endswith((".yaml", ".py"))
    )
    if not configs:
        raise SystemExit(f"{zoo}/configs holds no model-zoo configs; is {src_dir} the v0.6 sdist?")
    replacements = {
        "ext_modules=get_extensions(),": "ext_modules=[],",
        'package_data={"detectron2.model_zoo": get_model_zoo_configs()},': (
            f'package_data={{"detectron2.model_zoo": {configs!r}}},'
        ),
    }
    for old, new in replacements.items():
        if old not in text:
            raise SystemExit(f"{setup_py}: expected line not found: {old}")
        text = text.replace(old, new)
    with open(setup_py, "w") as f:
        f.write(text)
    print(f"patched {setup_py}: no C++ extension, {len(configs)} model-zoo configs packaged")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    patch(sys.argv[1])

"""Helpers shared by the tests: where the real fixtures are, and fresh dataset names."""

import itertools
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# CI and developers keep ../shared beside the repository; LJOF_FIXTURES overrides it.
FIXTURES = Path(os.environ.get("LJOF_FIXTURES", ROOT.parent / "shared" / "fixtures"))

_counter = itertools.count()


def fixture_path(*parts: str) -> str:
    """Absolute path of a file under the shared fixtures; fails loudly if it is missing."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"fixture {path} is missing: the tests expect ../shared/fixtures beside {ROOT}"
        )
    return str(path)


def unique_name(prefix: str) -> str:
    """A dataset name not used before in this process (MetadataCatalog refuses changed values)."""
    return f"{prefix}_{os.getpid()}_{next(_counter)}"

"""pytest configuration: ``import ljof`` first, so that its detectron2 shims apply before any
test module imports detectron2."""

import ljof  # noqa: F401

"""The exception for a mistake in what a user gave: a file, a record, a config key, a flag."""

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad user input. The message is one line: what (file, record, key), what is wrong, how to fix it.

    The tools print it as ``<tool>: error: <message>`` without a traceback and exit with status 2, as
    ``argparse`` does for a bad flag (``tools/lazyconfig_train_net.py``).
    """

"""tools/generate_synthetic_data.py: a negative size or count is argparse's one-line error (exit status 2),
never a numpy traceback or a silently accepted negative count."""

import contextlib
import importlib.util
import io
import os
import unittest

from tests.common import ROOT


def _tool():
    path = os.path.join(str(ROOT), "tools", "generate_synthetic_data.py")
    spec = importlib.util.spec_from_file_location("ljof_generate_synthetic_data", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


class TestGenerateToolArguments(unittest.TestCase):
    def test_bad_numbers_are_argparse_errors(self):
        tool = _tool()
        cases = {
            ("--height", "-5"): "argument --height: -5 is below the minimum 1",
            ("--width", "0"): "argument --width: 0 is below the minimum 1",
            ("--train", "-3"): "argument --train: -3 is below the minimum 0",
            ("--occluded", "2.5"): "argument --occluded: '2.5' is not an integer",
            ("--workers", "0"): "argument --workers: 0 is below the minimum 1",
            ("--seed", "-1"): "argument --seed: -1 is below the minimum 0",
        }
        for argv, message in cases.items():
            stderr = io.StringIO()
            with self.subTest(argv=argv), contextlib.redirect_stderr(stderr):
                with self.assertRaises(SystemExit) as cm:
                    tool.main([*argv, "--root", os.devnull])
                self.assertEqual(cm.exception.code, 2)
                last = stderr.getvalue().splitlines()[-1]  # "<prog>: error: ..." (prog: argv[0])
                self.assertTrue(last.endswith(f": error: {message}"), last)

    def test_zero_images_and_the_smallest_image_pass_the_parser(self):
        parse = _tool().int_at_least
        self.assertEqual(parse(0)("0"), 0)
        self.assertEqual(parse(1)("1"), 1)


if __name__ == "__main__":
    unittest.main()

"""dev/lock.py: the lock file's check names each difference in one line; the committed lock is well formed
and covers what the tests import."""

import os
import subprocess
import sys
import tempfile
import unittest

from tests.common import ROOT

LOCK_TOOL = os.path.join(str(ROOT), "dev", "lock.py")
COMMITTED_LOCK = os.path.join(str(ROOT), "dev", "requirements.lock")


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, LOCK_TOOL, *args], capture_output=True, text=True, env=env, check=False
    )


class TestLockTool(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ljof_lock_")
        self.lock = os.path.join(self.dir, "requirements.lock")
        self.assertEqual(_run("write", self.lock).returncode, 0)

    def _edit(self, old, new):
        with open(self.lock) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(self.lock, "w") as f:
            f.write(text.replace(old, new))

    def test_written_lock_checks_clean(self):
        result = _run("check", self.lock)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("error", result.stderr)

    def test_other_version_and_missing_package_one_line_each(self):
        import numpy

        self._edit(f"numpy=={numpy.__version__}\n", "numpy==0.0.1\nnot-a-real-dist==1.0\n")
        result = _run("check", self.lock)
        self.assertEqual(result.returncode, 1)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        self.assertEqual(
            errors,
            [
                f"error: not-a-real-dist==1.0 is locked in {self.lock} but not installed",
                f"error: numpy {numpy.__version__} is installed, {self.lock} locks 0.0.1",
            ],
        )

    def test_unlocked_extra_is_a_warning(self):
        import numpy

        self._edit(f"numpy=={numpy.__version__}\n", "")
        result = _run("check", self.lock)
        self.assertEqual(result.returncode, 0)
        self.assertIn("warning: installed but not in", result.stderr)
        self.assertIn("numpy", result.stderr)

    def test_other_platform_is_refused_in_one_line(self):
        self._edit("# platform: ", "# platform: win32-ARM64 cpython-2.7 was ")
        result = _run("check", self.lock)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)
        self.assertIn("LJOF_UNLOCKED=1 make setup", result.stderr)

    def test_malformed_line_names_file_and_line(self):
        with open(self.lock, "a") as f:
            f.write("torch>=2\n")
        result = _run("check", self.lock)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"{self.lock}:", result.stderr)
        self.assertIn("expected 'name==version'", result.stderr)


class TestCommittedLock(unittest.TestCase):
    def test_pins_what_the_project_needs_exactly(self):
        pins = {}
        with open(COMMITTED_LOCK) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    name, sep, version = line.strip().partition("==")
                    self.assertEqual(sep, "==", line)
                    pins[name] = version
        for name in (
            "torch",
            "torchvision",
            "numpy",
            "opencv-python-headless",
            "pb1-detectron2",
            "pycocotools",
            "xtcocotools",
            "hotcoco",
            "fvcore",
            "setuptools",
            "pytest",
            "ruff",
        ):
            self.assertIn(name, pins)
        # the crop oracle's OpenCV (dev/constraints.txt, tests/data/test_reference_crops.py)
        self.assertEqual(pins["opencv-python-headless"], "5.0.0.93")
        self.assertNotIn("ljof", pins)


if __name__ == "__main__":
    unittest.main()

"""dev/patch_detectron2_sdist.py: the v0.6 sources it patches import and run on Pillow >= 10 and
numpy >= 1.24 without ``import ljof`` first (as detectron2's stock tools import it)."""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

from tests.common import ROOT


def _patcher():
    path = os.path.join(str(ROOT), "dev", "patch_detectron2_sdist.py")
    spec = importlib.util.spec_from_file_location("ljof_patch_detectron2_sdist", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestPatchSources(unittest.TestCase):
    def test_replacements_on_a_tiny_tree(self):
        tmp = tempfile.mkdtemp(prefix="ljof_patch_")
        os.makedirs(os.path.join(tmp, "data"))
        source = textwrap.dedent(
            """\
            def f(interp=Image.LINEAR):
                a = np.zeros(3).astype(np.bool)
                b = np.array([1], dtype=np.int), np.float(2), np.str, np.object, np.complex
                c = np.bool_, np.float32, np.int64, np.str_, my.np.intp
            """
        )
        with open(os.path.join(tmp, "data", "transform.py"), "w") as f:
            f.write(source)
        with open(os.path.join(tmp, "README.txt"), "w") as f:
            f.write("np.bool Image.LINEAR")  # not a .py file: untouched
        patch_sources = _patcher().patch_sources
        self.assertEqual(patch_sources(tmp), 1)
        with open(os.path.join(tmp, "data", "transform.py")) as f:
            self.assertEqual(
                f.read(),
                textwrap.dedent(
                    """\
                    def f(interp=Image.BILINEAR):
                        a = np.zeros(3).astype(bool)
                        b = np.array([1], dtype=int), float(2), str, object, complex
                        c = np.bool_, np.float32, np.int64, np.str_, my.np.intp
                    """
                ),
            )
        with open(os.path.join(tmp, "README.txt")) as f:
            self.assertEqual(f.read(), "np.bool Image.LINEAR")
        self.assertEqual(patch_sources(tmp), 0)  # idempotent

    def test_installed_detectron2_imports_without_ljof_once_patched(self):
        """A copy of the installed detectron2 package, patched, imports in a fresh interpreter that
        never imports ljof; its Image.LINEAR default and a numpy alias call site then work, and a
        compiled op (there are none in the sdist) raises one line naming it."""
        spec = importlib.util.find_spec("detectron2")
        package = spec.submodule_search_locations[0]
        tmp = tempfile.mkdtemp(prefix="ljof_patch_d2_")
        shutil.copytree(package, os.path.join(tmp, "detectron2"))
        patcher = _patcher()
        patcher.patch_sources(os.path.join(tmp, "detectron2"))
        patcher.write_missing_ops_module(os.path.join(tmp, "detectron2"))
        code = textwrap.dedent(
            """\
            import sys
            import detectron2.data, detectron2.engine, detectron2.modeling, detectron2.evaluation
            from detectron2.data.transforms import ExtentTransform
            from detectron2.structures.masks import polygons_to_bitmask
            assert detectron2.__file__.startswith(sys.argv[1]), detectron2.__file__
            assert not any(m == "ljof" or m.startswith("ljof.") for m in sys.modules)
            ExtentTransform(src_rect=(0, 0, 4, 4), output_size=(2, 2))
            assert polygons_to_bitmask([], 2, 3).dtype == bool
            from detectron2 import _C
            try:
                _C.deform_conv_forward
            except RuntimeError as e:
                assert "'deform_conv_forward' is not available" in str(e), e
            else:
                raise AssertionError("a missing compiled op must raise")
            print("ok")
            """
        )
        env = dict(os.environ, PYTHONPATH=tmp)
        result = subprocess.run(
            [sys.executable, "-c", code, tmp], cwd=tmp, env=env, capture_output=True, text=True
        )
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        self.assertEqual(result.stdout.strip().splitlines()[-1], "ok")


if __name__ == "__main__":
    unittest.main()

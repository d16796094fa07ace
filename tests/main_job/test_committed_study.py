"""The committed study results (results/main_job_*) rebuild to the committed report: every figure of
docs/main_job.md's study section comes from these JSON files through ``--report-only``."""

import os
import shutil
import tempfile
import unittest

from ljof.main_job.study_report import write_study_report

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDERS = (
    "main_job_study",
    "main_job_probe_half_body",
    "main_job_probe_lja",
    "main_job_probe_loss",
    "main_job_study_jw",
)


class TestCommittedStudy(unittest.TestCase):
    def test_reports_rebuild_from_the_json(self):
        for name in FOLDERS:
            folder = os.path.join(ROOT, "results", name)
            with self.subTest(folder=name), tempfile.TemporaryDirectory() as tmp:
                copy = os.path.join(tmp, name)
                shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("study.*"))
                write_study_report(copy)
                with (
                    open(os.path.join(folder, "study.md")) as f,
                    open(os.path.join(copy, "study.md")) as g,
                ):
                    self.assertEqual(f.read(), g.read())


if __name__ == "__main__":
    unittest.main()

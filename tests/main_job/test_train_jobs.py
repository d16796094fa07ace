"""ljof.main_job.training.train_jobs: a failure after a run trained (scoring it, keeping its result) does
not stop the runs still training; it is raised, naming the run, once they are done."""

import os
import sys
import tempfile
import unittest

from ljof.main_job.training import TrainingJob, train_jobs
from ljof.main_job.variants import BASELINE, Run


class _Settings:
    """Stands in for TrainingSettings: the process sleeps ``seconds`` and writes a file."""

    def __init__(self, seconds: float):
        self.seconds, self.root = seconds, os.getcwd()

    def command(self, run, output_dir):
        code = (
            f"import time; time.sleep({self.seconds}); "
            f"open({os.path.join(output_dir, 'done')!r}, 'w').write('ok')"
        )
        return [sys.executable, "-c", code]

    def environment(self):
        return dict(os.environ)


class TestTrainJobs(unittest.TestCase):
    def test_a_failed_on_done_lets_the_others_finish(self):
        with tempfile.TemporaryDirectory() as tmp:
            jobs = [
                TrainingJob(Run(BASELINE, s), os.path.join(tmp, f"s{s}"), _Settings(t), key=f"s{s}")
                for s, t in ((0, 0.1), (1, 3.0))
            ]
            kept = []

            def on_done(job, seconds):
                if job.key == "s0":
                    raise ValueError("cannot score s0")
                kept.append(job.key)

            with self.assertRaisesRegex(RuntimeError, r"1 of 2 runs .*s0 \(ValueError: cannot score s0\)"):
                train_jobs(jobs, parallel=2, echo=lambda line: None, on_done=on_done)
            self.assertEqual(kept, ["s1"])  # s1 was still training when s0's on_done failed
            self.assertTrue(os.path.exists(os.path.join(tmp, "s1", "done")))


if __name__ == "__main__":
    unittest.main()

"""The evaluation's thread helper and the OKS-NMS block split: order kept, errors propagate, the
thread count follows torch, blocks cover every group once within the slot and work limits."""

import threading
import unittest
from unittest import mock

import numpy as np
import torch

from ljof.evaluation import oks, threads


class TestThreadMap(unittest.TestCase):
    def test_results_in_item_order_on_several_threads(self):
        seen = set()

        def square(x):
            seen.add(threading.get_ident())
            return x * x

        with mock.patch.object(threads, "num_workers", return_value=3):
            self.assertEqual(threads.thread_map(square, range(40)), [x * x for x in range(40)])
        self.assertGreaterEqual(len(seen), 1)
        self.assertNotIn(threading.get_ident(), seen)  # ran on the pool, not here

    def test_one_worker_runs_inline(self):
        with mock.patch.object(threads, "num_workers", return_value=1):
            idents = threads.thread_map(lambda _: threading.get_ident(), range(3))
        self.assertEqual(set(idents), {threading.get_ident()})

    def test_error_propagates(self):
        def fail(x):
            if x == 5:
                raise ValueError("item 5")
            return x

        with mock.patch.object(threads, "num_workers", return_value=2):
            with self.assertRaisesRegex(ValueError, "item 5"):
                threads.thread_map(fail, range(10))

    def test_workers_follow_torch_threads(self):
        before = torch.get_num_threads()
        try:
            torch.set_num_threads(1)
            self.assertEqual(threads.num_workers(), 1)
            torch.set_num_threads(64)
            self.assertEqual(threads.num_workers(), threads.MAX_WORKERS)
        finally:
            torch.set_num_threads(before)


class TestNmsBlocks(unittest.TestCase):
    def check(self, sizes, workers):
        ranges = oks._blocks(np.asarray(sizes), workers)
        covered = sorted(i for start, end in ranges for i in range(start, end))
        self.assertEqual(covered, list(range(len(sizes))))  # every group exactly once
        work = np.asarray(sizes, dtype=np.float64) ** 2
        for start, end in ranges:
            if end - start > 1:  # a block of one group may exceed the limits alone
                self.assertLessEqual((end - start) * sizes[end - 1], oks._BLOCK_SLOTS)
                self.assertLessEqual(work[start:end].sum(), work.sum() / workers * (1 + 1e-9))
        return ranges

    def test_equal_groups_split_among_workers(self):
        for workers in (1, 2, 3):
            with self.subTest(workers=workers):
                self.assertEqual(len(self.check([20] * 60, workers)), workers)

    def test_slot_limit_and_a_group_larger_than_a_block(self):
        sizes = sorted([2] * 5000 + [30] * 3000 + [oks._BLOCK_SLOTS + 7])
        ranges = self.check(sizes, 2)
        self.assertIn((len(sizes) - 1, len(sizes)), ranges)  # the huge group alone
        self.assertGreater(len(ranges), 2)

    def test_largest_work_first(self):
        sizes = sorted([3] * 100 + [25] * 40)
        ranges = self.check(sizes, 2)
        works = [sum(s * s for s in sizes[a:b]) for a, b in ranges]
        self.assertEqual(works, sorted(works, reverse=True))


if __name__ == "__main__":
    unittest.main()

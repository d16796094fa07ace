"""λ(t) schedules: values at chosen points of training."""

import math
import unittest

from ljof.engine import (
    LimbLambdaSchedule,
    constant_lambda,
    exponential_lambda,
    linear_lambda,
    step_lambda,
)


class TestLambdaSchedules(unittest.TestCase):
    def test_constant(self):
        for t in (0.0, 0.3, 1.0):
            self.assertEqual(constant_lambda(t), 1.0)
            self.assertEqual(constant_lambda(t, lambda_max=0.4), 0.4)

    def test_step_defaults_switch_at_one_third(self):
        self.assertEqual(step_lambda(0.0), 0.0)
        self.assertEqual(step_lambda(0.333), 0.0)
        self.assertEqual(step_lambda(1 / 3), 1.0)
        self.assertEqual(step_lambda(0.9), 1.0)
        self.assertEqual(step_lambda(0.5, lambda_min=0.1, lambda_max=0.6, milestone=0.6), 0.1)
        self.assertEqual(step_lambda(0.6, lambda_min=0.1, lambda_max=0.6, milestone=0.6), 0.6)

    def test_linear(self):
        self.assertEqual(linear_lambda(0.0), 0.0)
        self.assertAlmostEqual(linear_lambda(0.25), 0.25)
        self.assertAlmostEqual(linear_lambda(0.5, lambda_min=0.2, lambda_max=1.0), 0.6)
        self.assertEqual(linear_lambda(1.0), 1.0)
        self.assertEqual(linear_lambda(1.7), 1.0)  # clamped past the end
        self.assertEqual(linear_lambda(-0.5), 0.0)

    def test_exponential(self):
        self.assertEqual(exponential_lambda(0.0), 0.0)
        self.assertAlmostEqual(exponential_lambda(1.0), 1.0)
        expected = (1 - math.exp(-5 * 0.2)) / (1 - math.exp(-5))  # 0.6364...
        self.assertAlmostEqual(exponential_lambda(0.2), expected)
        self.assertAlmostEqual(exponential_lambda(0.2), 0.63640, places=4)
        # concave: above the straight line in between
        self.assertGreater(exponential_lambda(0.5), linear_lambda(0.5))

    def test_schedule_object(self):
        sched = LimbLambdaSchedule(kind="step", lambda_min=0.2, lambda_max=0.8, milestone=0.5)
        self.assertEqual([sched(t) for t in (0.0, 0.49, 0.5, 1.0)], [0.2, 0.2, 0.8, 0.8])
        self.assertAlmostEqual(LimbLambdaSchedule(kind="linear")(0.3), 0.3)
        self.assertAlmostEqual(LimbLambdaSchedule(kind="exponential", rate=1.0)(1.0), 1.0)
        self.assertIn("step", repr(sched))
        with self.assertRaisesRegex(ValueError, "unknown"):
            LimbLambdaSchedule(kind="cosine")
        with self.assertRaisesRegex(ValueError, "milestone"):
            LimbLambdaSchedule(kind="step", milestone=2.0)


if __name__ == "__main__":
    unittest.main()

"""Occlusion reports: the tables and plots of :mod:`ljof.evaluation.occlusion`'s results (they read only
:mod:`ljof.data`'s keypoint metadata, so the occlusion evaluator can log them). Import the modules directly
(``ljof.reports.occlusion_report``, ``ljof.reports.occlusion_plots``)."""

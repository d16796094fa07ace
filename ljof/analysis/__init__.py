"""Occlusion analysis that runs inference on top of :mod:`ljof.evaluation`: the robustness-curve driver
(``ljof.analysis.robustness_curve``). Tables and plots are in :mod:`ljof.reports`."""

"""Occlusion analysis built on :mod:`ljof.evaluation`: report tables, plots and the robustness-curve
driver (which runs inference). Import the modules directly (``ljof.analysis.occlusion_report``, ...)."""

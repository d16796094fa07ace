"""The main job (``tools/run_main_job.py``, ``make demo``): variants and runs, training them side by side,
scores with paired bootstrap intervals and seed statistics, tables and figures."""

"""The main job (``tools/run_main_job.py``, ``make demo``) and the training-length study.

* :mod:`.variants`: the models (a config of ``configs/main_job/`` plus overrides) and runs (+ a seed);
* :mod:`.training`: the one way a run is trained (a process of ``tools/lazyconfig_train_net.py``,
  several side by side), its results as files;
* :mod:`.comparison`, :mod:`.scoring`: scores, paired bootstrap differences, seed statistics;
* :mod:`.job`: the default (demo) and ablation pipeline; :mod:`.demo`: the demo's robustness curve and
  figures; :mod:`.report`, :mod:`.figures`: its tables and figures;
* :mod:`.study`, :mod:`.study_job`, :mod:`.study_report`: the resumable training-length study and its
  report rebuilt from per-run JSON files.
"""

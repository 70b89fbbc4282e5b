"""Calibration: every verdict's error rates, CI coverage and power, measured on worlds with known truth.

``python -m helpers.calibrate --worlds N --groups G --months M --seed S [--jobs J]`` draws N
random worlds (``helpers.synth.parameters.random_world``), runs every study's ``estimate`` and ``verdicts``
on each and compares each verdict with the world's truth (``truth.json``'s ``claims``);
``--like DATA_DIR`` draws worlds shaped like an analyst's dataset instead. Modules:
``run`` (one world), ``harness`` (many, in parallel), ``score`` (rates), ``worlds`` (which
worlds), ``page`` (the HTML page).
"""

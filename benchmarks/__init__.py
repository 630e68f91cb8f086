"""Measurement scripts, run from the repository root as modules
(``python -m benchmarks.cpu_latency``); not part of the installed package.
What they share lives in :mod:`benchmarks.common`."""

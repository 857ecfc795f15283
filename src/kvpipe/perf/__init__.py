"""Perf: the analytic, vectorized steady-state model."""

from kvpipe.perf.inputs import PerfInputs, inputs_from_system
from kvpipe.perf.result import EnergyBreakdown, Limit, PerfResult
from kvpipe.perf.spatial import evaluate, evaluate_system

__all__ = ["EnergyBreakdown", "Limit", "PerfInputs", "PerfResult", "evaluate", "evaluate_system", "inputs_from_system"]

"""Sim: an event-driven serving simulator of the deep spatial pipeline (docs/sim.md).

    from kvpipe.sim import SimConfig, open_loop, LogNormal, simulate
    reqs = open_loop(rate_per_s=20, duration_s=60, prompt=LogNormal(1024, 1.0),
                     output=LogNormal(256, 1.0), seed=1)
    result = simulate(system, reqs, SimConfig(), seed=1)
    result.metrics.ttft_s.p99, result.metrics.tokens_per_s, result.to_json()

Pure: no file I/O, no printing. Traces are parsed from text (:mod:`kvpipe.sim.traces`); the
timeline is returned as a dict (:mod:`kvpipe.sim.timeline`).
"""

from kvpipe.sim.arrivals import ClosedLoop, gamma_times, open_loop, poisson_times
from kvpipe.sim.config import Admission, Mode, SimConfig
from kvpipe.sim.engine import Simulation, simulate
from kvpipe.sim.errors import SimulationError
from kvpipe.sim.lengths import Fixed, LengthDist, LogNormal, Uniform
from kvpipe.sim.metrics import LatencyStats, SimMetrics, TimeSeries, Utilization
from kvpipe.sim.records import RequestRecords, TimelineLog
from kvpipe.sim.requests import Requests
from kvpipe.sim.result import SimResult
from kvpipe.sim.timeline import chrome_trace
from kvpipe.sim.traces import TraceError, parse_azure_csv, parse_jsonl, parse_trace

__all__ = [
    "Admission", "ClosedLoop", "Fixed", "LatencyStats", "LengthDist", "LogNormal", "Mode", "RequestRecords",
    "Requests", "SimConfig", "SimMetrics", "SimResult", "Simulation", "SimulationError", "TimeSeries",
    "TimelineLog", "TraceError", "Uniform", "Utilization", "chrome_trace", "gamma_times", "open_loop",
    "parse_azure_csv", "parse_jsonl", "parse_trace", "poisson_times", "simulate",
]

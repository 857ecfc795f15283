"""Chrome-trace / Perfetto JSON of a simulated run (edge code: returns a dict, writes nothing).

Open the written file in https://ui.perfetto.dev or chrome://tracing. Processes:

* ``chip groups``: one track per chip group (reference mode: a span per pass of a unit through
  the group's processing and link servers) or per group class (fast mode: utilization
  counters per step);
* ``requests``: one track per request with its ``queued``, ``prefill`` and ``decode`` spans;
* ``KV memory``: a counter of KV bytes held in the fullest group.

Times are microseconds, as the format wants.
"""

from __future__ import annotations

from typing import Any

from kvpipe.sim.result import SimResult

_PID_GROUPS, _PID_REQUESTS, _PID_KV = 1, 2, 3


def _meta(pid: int, name: str, tid: int | None = None, thread: str | None = None) -> dict[str, Any]:
    if tid is None:
        return {"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": name}}
    return {"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": thread}}


def chrome_trace(result: SimResult) -> dict[str, Any]:
    """The run's timeline as a Chrome-trace JSON object (``{"traceEvents": [...]}``)."""
    log = result.timeline
    if log is None:
        raise ValueError("the run recorded no timeline: simulate with SimConfig(record_timeline=True)")
    us = 1e6
    ev: list[dict[str, Any]] = [_meta(_PID_GROUPS, "chip groups"), _meta(_PID_REQUESTS, "requests"), _meta(_PID_KV, "KV memory")]
    names = _class_names(result.group_classes)
    if log.passes:
        stages = sorted({p[0] for p in log.passes})
        for s in stages:
            ev.append(_meta(_PID_GROUPS, "", s, f"group {s}"))
        for stage, c, unit, t0, t1, what in log.passes:
            ev.append({"ph": "X", "name": f"unit {unit} {what}", "cat": what, "pid": _PID_GROUPS, "tid": stage,
                       "ts": t0 * us, "dur": max(t1 - t0, 0.0) * us, "args": {"unit": unit, "class": names[c]}})
    for t, proc, link in log.utilization:
        for c, name in enumerate(names):
            ev.append({"ph": "C", "name": f"{name} utilization", "pid": _PID_GROUPS, "tid": 0, "ts": t * us,
                       "args": {"processing": proc[c], "links": link[c]}})
    open_: dict[int, tuple[str, float]] = {}
    seen: set[int] = set()
    for r, phase, t in log.request_marks:
        if r not in seen:
            seen.add(r)
            ev.append(_meta(_PID_REQUESTS, "", r, f"request {r}"))
        if r in open_:
            name, t0 = open_.pop(r)
            ev.append({"ph": "X", "name": name, "cat": "request", "pid": _PID_REQUESTS, "tid": r,
                       "ts": t0 * us, "dur": max(t - t0, 0.0) * us})
        if phase is not None:
            open_[r] = (phase, t)
    for t, held in log.kv:
        ev.append({"ph": "C", "name": "KV bytes held (fullest group)", "pid": _PID_KV, "tid": 0, "ts": t * us,
                   "args": {"bytes": max(held) if held else 0.0}})
    return {
        "traceEvents": ev,
        "displayTimeUnit": "ms",
        "otherData": {"system": result.system_name, "mode": result.mode, "dropped_passes": log.dropped_passes},
    }


def _class_names(counts: tuple[int, ...]) -> list[str]:
    return [f"class {i} (x{n})" for i, n in enumerate(counts)]

"""Request traces: the Azure LLM inference trace CSV layout and a JSONL form.

Both parsers take the text (or its lines) and return :class:`~kvpipe.sim.requests.Requests`;
they read no files. Every error names the 1-based line of the input it is about.

* Azure CSV: a header naming ``TIMESTAMP``, ``ContextTokens`` and ``GeneratedTokens`` (any
  order, other columns ignored), then one request per row. ``TIMESTAMP`` is either seconds
  or a date-time such as ``2023-11-16 18:15:46.6805900``; either way arrival times are the
  seconds after the first row (absolute times such as Unix seconds would leave too little
  floating-point resolution for the simulator's clock).
* JSONL: one object per line, ``{"arrival_s": .., "prompt_tokens": .., "output_tokens": ..}``.

Blank lines are skipped. Rows must be sorted by time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime

import numpy as np

from kvpipe.sim.requests import Requests
from kvpipe.workload.arch import MAX_CONTEXT_TOKENS

AZURE_COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")
JSONL_KEYS = ("arrival_s", "prompt_tokens", "output_tokens")
MAX_TOKENS = MAX_CONTEXT_TOKENS  # a request's prompt or output: kvpipe's context bound


class TraceError(ValueError):
    """A malformed trace; ``line`` is the 1-based line number of the offending input."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def _lines(text: str | Iterable[str]) -> Iterable[tuple[int, str]]:
    src = text.splitlines() if isinstance(text, str) else text
    for i, raw in enumerate(src, start=1):
        yield i, raw.rstrip("\r\n")


def _tokens(value: object, what: str, line: int) -> int:
    if isinstance(value, bool):
        raise TraceError(line, f"{what} must be an integer >= 1, got {value!r}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TraceError(line, f"{what} must be an integer >= 1, got {value!r}") from None
    if math.isnan(x):
        raise TraceError(line, f"{what} is NaN")
    if not math.isfinite(x) or x != round(x) or x < 1:
        raise TraceError(line, f"{what} must be an integer >= 1, got {value!r}")
    if x > MAX_TOKENS:
        raise TraceError(line, f"{what} must be at most {MAX_TOKENS:,} tokens, got {value!r}")
    return int(x)


def _time(x: float, what: str, line: int, previous: float | None) -> float:
    if math.isnan(x):
        raise TraceError(line, f"{what} is NaN")
    if not math.isfinite(x):
        raise TraceError(line, f"{what} must be finite, got {x!r}")
    if x < 0:
        raise TraceError(line, f"{what} is negative ({x!r})")
    if previous is not None and x < previous:
        raise TraceError(line, f"rows are not sorted by time: {what} {x!r} comes after {previous!r}")
    return x


def _seconds_field(field: str, line: int) -> tuple[float, bool]:
    value, is_dt = _seconds(field, line)
    if not is_dt:
        value = _time(value, "TIMESTAMP", line, None)  # NaN, infinite or negative seconds
    return value, is_dt


def _seconds(field: str, line: int) -> tuple[float, bool]:
    """A TIMESTAMP as (value, is_datetime)."""
    try:
        return float(field), False
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(field.strip())
    except ValueError:
        raise TraceError(line, f"TIMESTAMP must be seconds or a date-time, got {field!r}") from None
    return dt.timestamp() if dt.tzinfo else (dt - datetime(1970, 1, 1)).total_seconds(), True


def parse_azure_csv(text: str | Iterable[str]) -> Requests:
    """Parse the Azure LLM inference trace layout (``TIMESTAMP,ContextTokens,GeneratedTokens``)."""
    header: list[str] | None = None
    idx: dict[str, int] = {}
    times: list[float] = []
    prompts: list[int] = []
    outputs: list[int] = []
    origin: float | None = None
    kind: bool | None = None
    prev: float | None = None
    for line, raw in _lines(text):
        if not raw.strip():
            continue
        fields = [f.strip() for f in raw.split(",")]
        if header is None:
            header = fields
            lower = {h.lower(): i for i, h in enumerate(header)}
            missing = [c for c in AZURE_COLUMNS if c.lower() not in lower]
            if missing:
                raise TraceError(
                    line, f"missing column(s) {', '.join(missing)}; the header must name {','.join(AZURE_COLUMNS)}"
                )
            idx = {c: lower[c.lower()] for c in AZURE_COLUMNS}
            continue
        if len(fields) != len(header):
            raise TraceError(line, f"expected {len(header)} fields like the header, got {len(fields)}")
        value, is_dt = _seconds_field(fields[idx["TIMESTAMP"]], line)
        if kind is None:
            kind = is_dt
            origin = value  # times are seconds after the first row
        elif kind != is_dt:
            raise TraceError(line, "TIMESTAMP mixes seconds and date-times")
        assert origin is not None
        if prev is not None and value < prev:
            raise TraceError(line, f"rows are not sorted by time: TIMESTAMP {fields[idx['TIMESTAMP']]!r} comes earlier "
                             "than the row before")
        prev = value
        times.append(value - origin)
        prompts.append(_tokens(fields[idx["ContextTokens"]], "ContextTokens", line))
        outputs.append(_tokens(fields[idx["GeneratedTokens"]], "GeneratedTokens", line))
    if header is None:
        raise TraceError(1, f"empty trace: expected a header naming {','.join(AZURE_COLUMNS)}")
    return Requests(np.array(times, dtype=np.float64), np.array(prompts, dtype=np.int64), np.array(outputs, dtype=np.int64))


def parse_jsonl(text: str | Iterable[str]) -> Requests:
    """Parse one ``{"arrival_s", "prompt_tokens", "output_tokens"}`` object per line."""
    times: list[float] = []
    prompts: list[int] = []
    outputs: list[int] = []
    prev: float | None = None
    for line, raw in _lines(text):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            raise TraceError(line, f"not valid JSON ({e.msg})") from None
        except RecursionError:
            raise TraceError(line, "JSON nested too deeply (expected one flat object)") from None
        if not isinstance(obj, dict):
            raise TraceError(line, "expected a JSON object")
        missing = [k for k in JSONL_KEYS if k not in obj]
        if missing:
            raise TraceError(line, f"missing key(s) {', '.join(missing)}")
        a = obj["arrival_s"]
        if isinstance(a, bool) or not isinstance(a, (int, float)):
            raise TraceError(line, f"arrival_s must be a number, got {a!r}")
        t = _time(float(a), "arrival_s", line, prev)
        prev = t
        times.append(t)
        prompts.append(_tokens(obj["prompt_tokens"], "prompt_tokens", line))
        outputs.append(_tokens(obj["output_tokens"], "output_tokens", line))
    return Requests(np.array(times, dtype=np.float64), np.array(prompts, dtype=np.int64), np.array(outputs, dtype=np.int64))


def parse_trace(text: str | Iterable[str], fmt: str) -> Requests:
    """``fmt`` is ``"csv"`` (Azure layout) or ``"jsonl"``."""
    if fmt == "csv":
        return parse_azure_csv(text)
    if fmt == "jsonl":
        return parse_jsonl(text)
    raise ValueError(f"unknown trace format {fmt!r} (csv or jsonl)")

"""Fuzzing the user's inputs: system YAMLs drawn over the schema (valid values, values out of
range, junk) and request-trace lines. Whatever comes in, a command either succeeds with
finite, non-negative figures or exits with status 2 and a message naming the field: never a
traceback. The CLI runs in-process (``main(argv)``) to keep a few hundred examples fast.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kvpipe import catalog
from kvpipe.cli.main import main
from kvpipe.config.schema import FIELDS, NON_NUMERIC, PER_PRECISION

# an error line: indented, then a field path (chip.sram, workload.context, model.config,
# kv_memory.tech.bandwidth, x[3]) or a flag (--trace), then a colon
FIELD_LINE = re.compile(r"^\s+(--[a-z-]+|[A-Za-z_][\w\-]*(\.[\w\-]+|\[\d+\])*):", re.MULTILINE)
CORE_KEYS = ("time_per_token_s", "tokens_per_s_per_user", "tokens_per_s", "joules_per_token", "power_w", "latency_s")
# Derandomized in the suite (the same few hundred examples every run, so a failure is
# reproducible); KVPIPE_FUZZ_EXAMPLES=N explores N fresh random examples per test instead.
_FRESH = int(os.environ.get("KVPIPE_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=_FRESH or 200, derandomize=not _FRESH, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# --- values -------------------------------------------------------------------------------------

EXTREME = st.sampled_from([0, -1, 1e-300, 1e308, -1e308, float("inf"), float("-inf"), float("nan"), 10**40, True])
JUNK = st.one_of(st.text(max_size=12), st.none(), st.lists(st.integers(), max_size=3), st.dictionaries(
    st.text(max_size=4), st.integers(), max_size=2))
UNITS = ("B", "GB", "GiB", "MB", "TB/s", "GB/s", "PB/s", "pJ/bit", "fJ/bit", "W", "mW", "kW", "ns", "us", "s",
         "mm^2", "mm", "TFLOP/s", "pJ/FLOP", "%", "parsecs", "")


@st.composite
def _scaled(draw: Any) -> Any:
    """A number spread over 40 decades, plain (SI) or with a unit of some kind."""
    x = draw(st.floats(min_value=-2, max_value=1)) * 10 ** draw(st.integers(min_value=-22, max_value=24))
    if draw(st.booleans()):
        return x
    return f"{x:g} {draw(st.sampled_from(UNITS))}".strip()


QUANTITY = st.one_of(_scaled(), EXTREME, JUNK)  # anything at all where a quantity goes
PRECISION = st.sampled_from(["fp32", "bf16", "fp16", "fp8", "int8", "fp4", "int4", "fp7"])


def _mostly(good: Any, bad: Any, weight: int = 8) -> Any:
    """``good`` about ``weight`` times as often as ``bad``: most documents get far enough to be
    evaluated, so that the figures of odd but valid systems are checked too."""
    return st.sampled_from([good] * weight + [bad]).flatmap(lambda strategy: strategy)


def _whole(low: int, high: int) -> Any:
    return _mostly(st.integers(low, high), st.one_of(st.integers(-(10**12), 10**12), EXTREME, JUNK))


def _scaled_from(value: float) -> Any:
    """A catalog figure scaled by 10^-9 .. 10^9: valid, but far from any real part at the ends."""
    return st.integers(-9, 9).map(lambda k: value * 10.0**k)


FRACTIONS = ("hbm_bw_fraction", "flop_fraction")  # a GPU's efficiency factors, in (0, 1]


def _overrides(kind: str, base: str) -> Any:
    part = catalog.entry(kind, base).part
    fields = {}
    for key, attr in FIELDS[kind].items():
        if key in NON_NUMERIC:
            continue
        value = getattr(part, attr)
        if key in FRACTIONS:
            good = st.floats(0.01, 1.0)
        elif key in PER_PRECISION:
            p = next(iter(value))
            good = st.fixed_dictionaries({p.value: _scaled_from(value[p])})
        else:
            good = _scaled_from(value)
        fields[key] = _mostly(good, QUANTITY, 4)
    return st.fixed_dictionaries({"base": st.just(base)}, optional=fields)


def _part(kind: str) -> Any:
    names = catalog.names(kind)
    good = st.one_of(st.sampled_from(names), st.sampled_from(names).flatmap(lambda b: _overrides(kind, b)))
    inline = st.fixed_dictionaries({}, optional={f: QUANTITY for f in FIELDS[kind] if f not in NON_NUMERIC})
    return _mostly(good, st.one_of(inline, st.just({"base": "nope"}), JUNK), 6)


SYSTEMS = st.fixed_dictionaries(
    {
        "model": _mostly(st.sampled_from(catalog.names("model")), JUNK),
        "kv_memory": _mostly(st.fixed_dictionaries({"tech": _part("memory"), "units_per_group": _mostly(
            st.integers(1, 64), QUANTITY)}), JUNK),
    },
    optional={
        "precisions": st.dictionaries(_mostly(st.sampled_from(["weights", "kv", "activations"]), st.just("grads")),
                                      _mostly(PRECISION, JUNK), max_size=3),
        "chip": _part("chip"),
        "link": _part("link"),
        "mapping": st.fixed_dictionaries({}, optional={
            "usable_sram_fraction": _mostly(st.floats(0.01, 1.0), st.one_of(st.floats(-1, 2), st.just("80 %"), EXTREME)),
            "layers_per_group": _whole(1, 8), "comm_stages_per_layer": _whole(1, 20), "max_chips": _whole(1, 10**6),
            "balance_compute": _mostly(st.booleans(), JUNK)}),
        "workload": st.fixed_dictionaries({}, optional={
            "users": _whole(1, 5000), "context": _whole(1, 200_000), "micro_batch": _whole(1, 64),
            "beyond_model_context": st.booleans()}),
    },
)
GPU_SYSTEMS = st.fixed_dictionaries(
    {"model": _mostly(st.sampled_from(catalog.names("model")), JUNK), "gpu": _part("gpu")},
    optional={
        "precisions": st.dictionaries(st.sampled_from(["weights", "kv", "activations"]), _mostly(PRECISION, JUNK), max_size=3),
        "link": _part("link"),
        "parallelism": st.fixed_dictionaries({}, optional={
            "tensor": _whole(1, 16), "pipeline": _whole(1, 8),
            "usable_hbm_fraction": _mostly(st.floats(0.01, 1.0), st.one_of(st.floats(-1, 2), EXTREME))}),
        "workload": st.fixed_dictionaries({}, optional={
            "batch": _whole(1, 5000), "context": _whole(1, 200_000), "beyond_model_context": st.booleans()}),
    },
)
DOCUMENTS = _mostly(SYSTEMS, GPU_SYSTEMS, 3).flatmap(
    lambda doc: _mostly(st.just(doc), st.builds(lambda junk: {**doc, "extra": junk}, JUNK)))


# --- checks -------------------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))  # any exception (a traceback for the user) fails the test
    out, err = capsys.readouterr()
    assert code in (0, 2), (code, err)
    event(f"exit {code}")
    if code == 2:
        assert FIELD_LINE.search(err), f"no field named in: {err!r}"
    return code, out, err


def _figures(x: Any) -> list[float]:
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return []
    if isinstance(x, (int, float)):
        return [float(x)]
    items = x.values() if isinstance(x, dict) else x
    return [v for item in items for v in _figures(item)]


@FUZZ
@given(doc=DOCUMENTS)
def test_any_system_file_evaluates_finitely_or_is_refused_naming_the_field(capsys, tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("fuzz") / "system.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    code, out, _ = _run(capsys, "evaluate", str(path), "--json")
    if code == 0:
        result = json.loads(out)
        for key in CORE_KEYS:
            assert result[key] is not None, f"{key} is not finite"  # json_number turns inf/NaN into null
        assert all(math.isfinite(v) and v >= 0 for v in _figures(result))


SIM = ("--arrival-rate", "50", "--duration", "0.2 s", "--prompt", "32", "--output", "4", "--json")


@settings(FUZZ, max_examples=_FRESH or 60)
@given(doc=SYSTEMS)
def test_any_spatial_system_sizes_memory_and_simulates_finitely_or_is_refused(capsys, tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("fuzz") / "system.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    for argv in (("memory", "requirements", str(path), "--json"), ("simulate", str(path), *SIM)):
        code, out, _ = _run(capsys, *argv)
        if code == 0:
            assert all(math.isfinite(v) and v >= 0 for v in _figures(json.loads(out)))


# --- traces -------------------------------------------------------------------------------------

TOKENS = _mostly(st.integers(1, 4096), st.one_of(st.integers(-5, 10**40), st.sampled_from(["1e3", "nan", "inf", "2.5", "", "x"])))
TIMES = _mostly(st.floats(0, 30), st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
    ["2023-11-16 18:15:46.6805900", "yesterday", "", "-1"])))


@st.composite
def _csv_trace(draw: Any) -> str:
    rows = draw(st.lists(st.tuples(TIMES, TOKENS, TOKENS), max_size=6))
    if draw(_mostly(st.just(True), st.just(False))):
        rows.sort(key=lambda r: r[0] if isinstance(r[0], float) and not math.isnan(r[0]) else 0.0)
    header = draw(_mostly(st.sampled_from(["TIMESTAMP,ContextTokens,GeneratedTokens", "GeneratedTokens,TIMESTAMP,ContextTokens"]),
                          st.sampled_from(["TIMESTAMP,ContextTokens", "time,prompt,output"])))
    cols = header.split(",")
    lines = [header]
    for t, p, o in rows:
        value = {"TIMESTAMP": t, "ContextTokens": p, "GeneratedTokens": o}
        lines.append(",".join(str(value.get(c, "1")) for c in cols))
    if draw(_mostly(st.just(False), st.just(True))):
        lines.append(draw(st.text(max_size=20)).replace("\r", ""))
    return "\n".join(lines) + "\n"


@st.composite
def _jsonl_trace(draw: Any) -> str:
    good = st.fixed_dictionaries({"arrival_s": TIMES, "prompt_tokens": TOKENS, "output_tokens": TOKENS})
    bad = st.fixed_dictionaries({}, optional={"arrival_s": TIMES, "prompt_tokens": TOKENS, "output_tokens": TOKENS, "x": JUNK})
    objs = draw(st.lists(_mostly(good, bad), max_size=6))
    if draw(_mostly(st.just(True), st.just(False))):
        objs.sort(key=lambda o: o.get("arrival_s") if isinstance(o.get("arrival_s"), float) and o["arrival_s"] >= 0 else 0.0)
    lines = [json.dumps(o) for o in objs]
    if draw(_mostly(st.just(False), st.just(True))):
        lines.append(draw(st.sampled_from(["[" * 5000, "{", "[]", "3", draw(st.text(max_size=20))])))
    return "\n".join(line.replace("\n", " ") for line in lines) + "\n"


@FUZZ
@given(trace=st.one_of(_csv_trace().map(lambda t: ("csv", t)), _jsonl_trace().map(lambda t: ("jsonl", t))))
def test_any_trace_simulates_finitely_or_is_refused_naming_the_line(capsys, tmp_path_factory, trace):
    fmt, text = trace
    path = tmp_path_factory.mktemp("fuzz") / f"trace.{fmt}"
    path.write_text(text)
    code, out, _ = _run(capsys, "simulate", "seed", "--trace", str(path), "--trace-format", fmt, "--json")
    if code == 0:
        result = json.loads(out)
        assert all(math.isfinite(v) and v >= 0 for v in _figures(result))


def test_the_field_pattern_accepts_field_paths_and_flags_and_nothing_else():
    assert FIELD_LINE.search("kvpipe evaluate: error:\n1 error in x.yaml:\n  chip.sram: must be > 0")
    assert FIELD_LINE.search("  --trace: t.csv:3: ContextTokens is NaN")
    assert FIELD_LINE.search("  kv_memory.tech.capacity: expected a byte size")
    assert not FIELD_LINE.search("Traceback (most recent call last):\n  File \"x.py\", line 1")
    assert not FIELD_LINE.search("kvpipe evaluate: error:\n  something went wrong")


"""Write ``conv_sample.csv``: a small synthetic request trace in the Azure LLM inference trace
layout (``TIMESTAMP,ContextTokens,GeneratedTokens``), for the examples in docs/sim.md.

It is generated, not recorded: 300 Poisson arrivals at 5 requests/s (about a minute) with
lognormal prompts (median 1,024 tokens, sigma 1, at most 8,192) and outputs (median 256,
sigma 1, at most 2,048), seed 7, time-stamped from an arbitrary start as date-times with
seven decimals, as the Azure trace writes them.

    .venv/bin/python examples/traces/make_conv_sample.py   # rewrites conv_sample.csv beside it
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from kvpipe.sim import LogNormal, open_loop

START = datetime(2026, 1, 5, 9, 0, 0)
N_REQUESTS = 300


def sample_trace_text() -> str:
    reqs = open_loop(5.0, 120.0, LogNormal(1024, 1.0, high=8192), LogNormal(256, 1.0, high=2048), seed=7)
    rows = ["TIMESTAMP,ContextTokens,GeneratedTokens"]
    for t, p, o in list(zip(reqs.arrival_s.tolist(), reqs.prompt_tokens.tolist(), reqs.output_tokens.tolist()))[:N_REQUESTS]:
        stamp = START + timedelta(microseconds=round(t * 1e6))
        rows.append(f"{stamp:%Y-%m-%d %H:%M:%S.%f}0,{p},{o}")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    out = Path(__file__).with_name("conv_sample.csv")
    out.write_text(sample_trace_text(), encoding="utf-8")
    print(f"wrote {out}")

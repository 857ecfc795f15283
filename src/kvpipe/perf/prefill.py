"""Prefill: a prompt flowing through the pipeline in chunks (the analytic entry point).

Decode (``perf/spatial.py``) moves one token per user per pass. Prefill moves a *chunk* of
``C`` prompt tokens per pass: each group computes ``C x`` the linear FLOPs plus the attention
of every chunk token over the positions before it (so attention grows with position), reads
its SRAM weights once for the whole chunk (and each expert the chunk's tokens hit once, P2
with ``b = C``), reads the KV of the earlier prompt from its DRAM once and writes the chunk's
``C`` tokens of KV, and hands ``C`` tokens of activations on. Formulas F1..F7 of docs/sim.md.

A prompt of ``P`` tokens takes ``ceil(P / C)`` chunks, which stream through the pipeline
back to back: chunk ``i + 1`` enters a group as soon as the group has finished chunk ``i`` and
chunk ``i + 1`` has arrived (a permutation flow shop). The prompt's last token leaves the
pipeline, and its first output token appears, after the F6 latency: the longest path that
follows the first chunk down to some group, processes every chunk there, and follows the
last chunk from there on. Alone on the pipeline that is the time to first token.

Every figure is a numpy array over design points, like :func:`kvpipe.perf.evaluate`; the
per-group times come from the perf model's own P7..P10 (``_group_times``) evaluated at the
chunk's mean attended context, which is exact because those terms are affine in context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from kvpipe.mapping.placement import Placement
from kvpipe.perf.comm import group_comm_latency_s
from kvpipe.perf.inputs import FloatArray, PerfInputs
from kvpipe.perf.service import PassEnergy
from kvpipe.perf.spatial import _BITS, _arrays, _group_times
from kvpipe.system import System


def attended_context(start: ArrayLike, tokens: ArrayLike, window: float) -> FloatArray:
    """(F1) sum over positions ``j`` in ``[start, start + tokens)`` of ``min(j, window)``.

    A token at position ``j`` attends to the ``j`` tokens before it, the decode convention of
    P1 (a token decoded at context ``c`` attends to ``c`` tokens).
    """
    s = np.asarray(start, dtype=np.float64)
    n = np.asarray(tokens, dtype=np.float64)

    def cum(x: FloatArray) -> FloatArray:  # sum_{j < x} min(j, w)
        if np.isinf(window):
            return x * (x - 1.0) / 2.0
        return np.where(x <= window, x * (x - 1.0) / 2.0, window * (window - 1.0) / 2.0 + (x - window) * window)

    return cum(s + n) - cum(s)


def attended_context_scalar(start: float, tokens: float, window: float) -> float:
    """(F1) :func:`attended_context` for Python floats (the simulator's per-unit path)."""

    def cum(x: float) -> float:
        return x * (x - 1.0) / 2.0 if x <= window else window * (window - 1.0) / 2.0 + (x - window) * window

    return cum(start + tokens) - cum(start)


Times = Sequence[FloatArray | float]  # one entry per group class: a float or design-point array


def pipelined_latency(
    counts: Sequence[float], p_first: Times, p_sum: Times, p_last: Times, d_first: Times, d_last: Times
) -> FloatArray:
    """(F6) Latency of a chunk train through the groups, one entry per group class in pipeline
    order (``counts`` identical groups each). Per class: processing of the first chunk, of all
    chunks, of the last chunk, and transfer (link + hops) after the first and the last chunk.

    ``max`` over the group ``g*`` where the train is processed whole of
    ``sum_{g < g*} (p_first + d_first) + p_sum(g*) + d_last(g*) + sum_{g > g*} (p_last + d_last)``;
    within a class of identical groups only its first and last group can attain the maximum.
    With one chunk this is ``sum_g (p + d)``, P4's latency. Works on floats or arrays.
    """
    G = len(counts)
    a = [p_first[c] + d_first[c] for c in range(G)]
    z = [p_last[c] + d_last[c] for c in range(G)]
    best: FloatArray | None = None
    prefix: FloatArray | float = 0.0
    for c in range(G):
        suffix: FloatArray | float = 0.0
        for c2 in range(c + 1, G):
            suffix = suffix + counts[c2] * z[c2]
        k = counts[c]
        core = p_sum[c] + d_last[c]
        first = prefix + core + (k - 1) * z[c] + suffix
        last = prefix + (k - 1) * a[c] + core + suffix
        cand = np.maximum(first, last)
        best = cand if best is None else np.maximum(best, cand)
        prefix = prefix + k * a[c]
    assert best is not None, "at least one group class"
    return best


@dataclass(frozen=True)
class PrefillResult:
    prompt_tokens: FloatArray
    chunk_tokens: FloatArray
    chunks: FloatArray  # ceil(P / C)
    first_chunk_latency_s: FloatArray  # P4-like latency of the first chunk alone
    latency_s: FloatArray  # (F6) the whole prompt, chunks streaming: the time to first token alone
    group_busy_s: FloatArray  # processing time of the busiest group over all chunks
    flops: FloatArray  # whole model, whole prompt
    kv_write_bytes: FloatArray  # whole model, whole prompt (P tokens of KV)
    kv_read_bytes: FloatArray  # whole model: earlier chunks' KV read by later chunks
    energy: PassEnergy  # dynamic joules of the whole prompt, summed over its chunks (F7)

    @property
    def joules(self) -> FloatArray:
        return self.energy.total()


def evaluate_prefill(
    placement: Placement, inputs: PerfInputs, prompt_tokens: ArrayLike, chunk_tokens: ArrayLike | None = None
) -> PrefillResult:
    """Prefill of ``prompt_tokens`` in chunks of ``chunk_tokens`` (``None``: one chunk).

    ``prompt_tokens`` and ``chunk_tokens`` broadcast with the fields of ``inputs``.
    """
    a = _arrays(inputs)
    P = np.asarray(prompt_tokens, dtype=np.float64)
    C = P if chunk_tokens is None else np.asarray(chunk_tokens, dtype=np.float64)
    if np.any(P < 1) or np.any(C < 1):
        raise ValueError("prompt and chunk must be at least one token")
    shape = np.broadcast_shapes(P.shape, C.shape, *(v.shape for v in a.values()))
    P = np.broadcast_to(P, shape)
    C = np.broadcast_to(C, shape)
    chunks = np.ceil(P / C)
    zeros = np.zeros(shape)
    G = len(placement.classes)
    p_first, p_sum, p_last = [zeros] * G, [zeros] * G, [zeros] * G
    l_first, l_last = [zeros] * G, [zeros] * G
    first = zeros
    flops = zeros
    kv_w = zeros
    kv_r = zeros
    e = {k: zeros for k in ("weight_reads", "compute", "kv_read", "kv_write", "links")}
    for k in range(int(chunks.max())):
        start = k * C
        n = np.clip(P - start, 0.0, C)  # tokens of chunk k (0 past the prompt's end)
        live = n > 0
        is_last = k == chunks - 1
        n1 = np.where(live, n, 1.0)
        # (F1) attended context per window (mean per chunk token) and (F4) KV tokens read
        attn_ctx = [attended_context(start, n1, w) / n1 for w in placement.windows]
        read_ctx = [np.minimum(start, w) / n1 for w in placement.windows]
        latency = zeros
        for c, g in enumerate(placement.classes):
            t_comp, t_sram, _, t_link, _, sram_bytes, attn = _group_times(g, placement, a, attn_ctx, n1)
            _, _, t_kv, _, read, _, _ = _group_times(g, placement, a, read_ctx, n1)
            comp = n1 * t_comp  # (F2) C x linear + attention over the chunk's positions
            kv = n1 * t_kv  # (F4) the earlier prompt's KV read once, C tokens written
            proc = np.maximum(np.maximum(comp, t_sram), kv)  # (F3) t_sram: weights once per chunk
            # (F5) the chunk's transfers, then its communication stages (C5, the chunk's message)
            link = n1 * t_link + group_comm_latency_s(g, placement, a, inputs.collective, inputs.boundaries, n1)
            latency = latency + g.count * (proc + link)
            if k == 0:
                p_first[c], l_first[c] = proc, link
            p_sum[c] = p_sum[c] + np.where(live, proc, 0.0)
            p_last[c] = np.where(is_last, proc, p_last[c])
            l_last[c] = np.where(is_last, link, l_last[c])
            # (F7) energy of the chunk: E2..E4 with the chunk's work
            e["weight_reads"] = e["weight_reads"] + np.where(live, g.count * sram_bytes * _BITS * a["sram_read_j_per_bit"], 0.0)
            e["compute"] = e["compute"] + np.where(
                live, g.count * n1 * (g.linear_flops * a["linear_j_per_flop"] + attn * a["attn_j_per_flop"]), 0.0
            )
            e["kv_read"] = e["kv_read"] + np.where(live, g.count * n1 * read * _BITS * a["kv_read_j_per_bit"], 0.0)
            e["kv_write"] = e["kv_write"] + np.where(
                live, g.count * n1 * g.kv_write_bytes * _BITS * a["kv_write_j_per_bit"], 0.0
            )
            e["links"] = e["links"] + np.where(live, g.count * n1 * g.link_bytes * _BITS * a["link_j_per_bit"], 0.0)
            flops = flops + np.where(live, g.count * n1 * (g.linear_flops + attn), 0.0)
            kv_w = kv_w + np.where(live, g.count * n1 * g.kv_write_bytes, 0.0)
            kv_r = kv_r + np.where(live, g.count * n1 * read, 0.0)
        if k == 0:
            first = latency
    counts = [float(g.count) for g in placement.classes]
    latency = pipelined_latency(counts, p_first, p_sum, p_last, l_first, l_last)
    return PrefillResult(
        prompt_tokens=P,
        chunk_tokens=C,
        chunks=chunks,
        first_chunk_latency_s=first,
        latency_s=np.asarray(latency) + zeros,
        group_busy_s=np.max(np.stack(p_sum), axis=0),
        flops=flops,
        kv_write_bytes=kv_w,
        kv_read_bytes=kv_r,
        energy=PassEnergy(**e),
    )


def evaluate_prefill_system(
    system: System, prompt_tokens: ArrayLike, chunk_tokens: ArrayLike | None = None
) -> PrefillResult:
    """Place the system's model and evaluate the prefill of ``prompt_tokens`` on it."""
    from kvpipe.mapping.placement import place
    from kvpipe.perf.inputs import inputs_from_system

    placement = place(system.model, system.precisions, system.chip, system.mapping)
    return evaluate_prefill(placement, inputs_from_system(system), prompt_tokens, chunk_tokens)

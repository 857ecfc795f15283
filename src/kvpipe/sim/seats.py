"""User slots ("seats") in the pipeline and the work each one puts into a pass.

The pipeline has ``U`` seats (users in flight) grouped into ``M = ceil(U / b)`` micro-batch
*units* of ``b`` seats. A unit circulates through every chip group; one circulation is a
*cycle* (docs/sim.md, S2). A residency (admission to finish or preemption) is a fixed plan:

* with prefill, cycle 0 carries the whole prompt as a train of ``ceil(P / C)`` chunks that
  stream through the groups (F1..F6); its end yields the first output token;
* then one decode token per cycle, reading ``kv0, kv0 + 1, ...`` KV tokens.

So a seat's state is a few integers plus its progress ``k`` (cycles done since it joined).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from kvpipe.perf.prefill import attended_context, pipelined_latency
from kvpipe.perf.service import ServiceTable, pass_energy_total, pass_times
from kvpipe.sim.requests import FloatArray, IntArray


class Seats:
    """Plans of the requests occupying the seats (arrays indexed by seat)."""

    def __init__(self, n_seats: int, micro_batch: int, windows: tuple[float, ...], chunk_tokens: int | None) -> None:
        self.n = n_seats
        self.b = micro_batch
        self.units = math.ceil(n_seats / micro_batch)
        self.unit = np.arange(n_seats, dtype=np.int64) // micro_batch
        self.windows = np.asarray(windows, dtype=np.float64)
        self.chunk = chunk_tokens
        self.req = np.full(n_seats, -1, dtype=np.int64)
        self.p_eff = np.zeros(n_seats, dtype=np.int64)  # prompt tokens prefilled in this residency
        self.pre = np.zeros(n_seats, dtype=np.int64)  # prefill cycles: 1 (the chunk train) or 0
        self.kv0 = np.zeros(n_seats, dtype=np.float64)  # KV tokens the first decode cycle reads
        self.dec = np.zeros(n_seats, dtype=np.int64)  # decode cycles of this residency
        self.first_k = np.full(n_seats, -1, dtype=np.int64)  # progress of the first output token (-1: out)
        self.fixed = np.zeros(n_seats, dtype=np.float64)  # fixed decode context (0: growing)
        self.gen0 = np.zeros(n_seats, dtype=np.int64)  # tokens the request had before this residency
        self.order = np.zeros(n_seats, dtype=np.int64)  # admission sequence number (preemption victim)

    @property
    def total(self) -> IntArray:
        """Progress at which the residency ends (the request finishes)."""
        return self.pre + self.dec

    def occupy(
        self, seat: int, req: int, prompt: int, output: int, gen: int, prefill: bool, fixed: int | None, order: int
    ) -> None:
        """Plan the residency of request ``req`` that has produced ``gen`` tokens so far."""
        if prefill:
            p_eff = prompt + gen  # after a preemption: recompute the prompt and the tokens produced
            pre = 1
            dec = output - gen - 1  # the prefill pass yields one token
            kv0 = float(p_eff)
        else:  # the prompt's KV is already present (prefix cache, disaggregated prefill)
            p_eff = 0
            pre = 0
            dec = output - gen
            kv0 = float(prompt + gen)
        self.req[seat] = req
        self.p_eff[seat] = p_eff
        self.pre[seat] = pre
        self.kv0[seat] = kv0
        self.dec[seat] = dec
        self.first_k[seat] = 1 if gen == 0 else -1
        self.fixed[seat] = float(fixed or 0)
        self.gen0[seat] = gen
        self.order[seat] = order

    def vacate(self, seat: int) -> None:
        self.req[seat] = -1

    def first_token_out(self, seat: int) -> None:
        """The seat's request has its first output token (no milestone left for it)."""
        self.first_k[seat] = -1

    def generated(self, seat: int, k: float) -> int:
        """Output tokens of the request once the seat has made ``k`` cycles of progress."""
        return int(self.gen0[seat]) + math.floor(k + 1e-9)

    def context(self, seats: IntArray, k: FloatArray) -> FloatArray:
        """KV tokens decode cycle ``k`` reads: ``kv0 + k - pre``, or the fixed context."""
        grow = self.kv0[seats] + np.maximum(np.asarray(k, dtype=np.float64) - self.pre[seats], 0.0)
        f = self.fixed[seats]
        return np.where(f > 0, f, grow)

    def chunks(self, seat: int) -> int:
        p = int(self.p_eff[seat])
        return math.ceil(p / (self.chunk or p)) if p else 0

    def pass_work(
        self, seats: IntArray, k: IntArray, ctx: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, int]:
        """The work of a unit's pass in which each seat is at cycle ``k`` (S1).

        Returns per chunk of the train ``tokens (n,)``, ``attn_ctx (n, W)``, ``read_ctx (n, W)``
        (chunk ``i`` merges chunk ``i`` of every prefilling seat; decoding seats add their token,
        read at ``ctx``, to chunk 0), and the number of decoding seats.
        """
        W = len(self.windows)
        n_max = 1
        pre = []
        for s, kk in zip(seats.tolist(), np.asarray(k).tolist(), strict=True):
            if kk < self.pre[s]:
                pre.append(s)
                n_max = max(n_max, self.chunks(s))
        tokens = np.zeros(n_max)
        attn = np.zeros((n_max, W))
        read = np.zeros((n_max, W))
        for s in pre:
            p = float(self.p_eff[s])
            c = float(self.chunk) if self.chunk else p
            nch = self.chunks(s)
            start = np.arange(nch) * c
            nt = np.minimum(c, p - start)
            tokens[:nch] += nt
            for w in range(W):
                attn[:nch, w] += attended_context(start, nt, self.windows[w])  # (F1)
                read[:nch, w] += np.minimum(start, self.windows[w])  # (F4)
        dec_mask = np.asarray(k) >= self.pre[seats]
        n_dec = int(dec_mask.sum())
        if n_dec:
            wins = np.minimum(np.asarray(ctx, dtype=np.float64)[dec_mask][:, None], self.windows)
            tokens[0] += n_dec
            attn[0] += wins.sum(axis=0)
            read[0] += wins.sum(axis=0)
        return tokens, attn, read, n_dec


@dataclass(frozen=True)
class PassProfile:
    """A unit's pass through the pipeline, per group class (lists of floats)."""

    latency_s: float  # F6 (P4 summed over groups for a single-chunk pass)
    p_first: list[float]  # processing of the first chunk, one group
    p_sum: list[float]  # processing of all chunks, one group (the server's busy time)
    p_last: list[float]
    l_first: list[float]  # link transfer of the first chunk
    l_sum: list[float]
    l_last: list[float]
    kv_sum: list[float]  # KV DRAM time of all chunks, one group
    energy_j: float  # dynamic, whole pipeline
    chunks: int


def pass_profile(table: ServiceTable, tokens: FloatArray, attn: FloatArray, read: FloatArray) -> PassProfile:
    """Times and energy of a pass carrying the chunk train ``tokens/attn/read`` (S1, F6)."""
    pt = pass_times(table, tokens, attn, read)  # (n, G)
    proc, link = pt.proc_s, pt.link_s
    hop = table.hop_s.tolist()
    counts = table.counts.tolist()
    p_first, p_last, p_sum = proc[0].tolist(), proc[-1].tolist(), proc.sum(axis=0).tolist()
    l_first, l_last, l_sum = link[0].tolist(), link[-1].tolist(), link.sum(axis=0).tolist()
    if len(tokens) == 1:
        latency = float(table.hop_s @ table.counts + (proc[0] + link[0]) @ table.counts)
    else:
        latency = float(pipelined_latency(
            counts, p_first, p_sum, p_last, [a + h for a, h in zip(l_first, hop, strict=True)],
            [a + h for a, h in zip(l_last, hop, strict=True)],
        ))
    energy = float(pass_energy_total(table, tokens, attn, read).sum())
    return PassProfile(
        latency, p_first, p_sum, p_last, l_first, l_sum, l_last, pt.kv_s.sum(axis=0).tolist(), energy, len(tokens)
    )


def lone_train_profile(table: ServiceTable, prompt: int, chunk: int | None) -> PassProfile:
    """:func:`pass_profile` of a pass that carries one prompt and nothing else (F1..F7), with
    the chunks' work computed in closed form per chunk (the fast mode's common case)."""
    p = float(prompt)
    c = float(chunk) if chunk else p
    n = math.ceil(p / c)
    start = np.arange(n) * c
    nt = np.minimum(c, p - start)
    wins = np.asarray(table.windows, dtype=np.float64)
    attn = np.stack([attended_context(start, nt, w) for w in wins], axis=-1)  # (F1)
    read = np.minimum(start[:, None], wins)  # (F4)
    return pass_profile(table, nt, attn, read)


def lone_train_profiles(table: ServiceTable, prompts: Iterable[int], chunk: int | None) -> dict[int, PassProfile]:
    """:func:`lone_train_profile` of every distinct prompt in more than one chunk, computed for
    all prompts of one chunk count at once: the same element-wise arithmetic and the same sums
    over each prompt's own chunks, in far fewer numpy calls. Only for one attention window
    (one term in each context product, so batching cannot reorder a sum); otherwise empty."""
    if not chunk or len(table.windows) != 1:
        return {}
    c = float(chunk)
    by_chunks: dict[int, list[int]] = {}
    for p in sorted(set(prompts)):
        n = math.ceil(p / c)
        if n > 1:
            by_chunks.setdefault(n, []).append(p)
    counts = table.counts.tolist()
    hop = table.hop_s.tolist()
    win = float(table.windows[0])
    out: dict[int, PassProfile] = {}
    for n, ps in by_chunks.items():
        start = np.arange(n) * c
        nt = np.minimum(c, np.array(ps, dtype=np.float64)[:, None] - start)  # (L, n)
        attn = attended_context(start, nt, win)[..., None]  # (F1) (L, n, 1)
        read = np.broadcast_to(np.minimum(start[:, None], win), nt.shape + (1,))  # (F4)
        pt = pass_times(table, nt, attn, read)  # (L, n, G)
        energy = pass_energy_total(table, nt, attn, read)  # (L, n)
        proc, link = pt.proc_s, pt.link_s
        # sums over each prompt's chunks (axis 1), as pass_profile sums one prompt's (axis 0)
        p_sum, l_sum, kv_sum, e_sum = proc.sum(axis=1), link.sum(axis=1), pt.kv_s.sum(axis=1), energy.sum(axis=1)
        G = len(counts)
        latency = pipelined_latency(  # (F6), element-wise over the prompts
            counts, [proc[:, 0, g] for g in range(G)], [p_sum[:, g] for g in range(G)], [proc[:, -1, g] for g in range(G)],
            [link[:, 0, g] + hop[g] for g in range(G)], [link[:, -1, g] + hop[g] for g in range(G)],
        )
        rows = zip(ps, latency.tolist(), proc[:, 0].tolist(), p_sum.tolist(), proc[:, -1].tolist(), link[:, 0].tolist(),
                   l_sum.tolist(), link[:, -1].tolist(), kv_sum.tolist(), e_sum.tolist(), strict=True)
        for p, lat, p_first, ps_, p_last, l_first, ls_, l_last, kvs, e in rows:
            out[p] = PassProfile(lat, p_first, ps_, p_last, l_first, ls_, l_last, kvs, e, n)
    return out

"""Prefill (perf/prefill.py, F1..F7 of docs/sim.md) on the toy system, worked out by hand.

Toy (tests/toy.py): chips 1e12 FLOP/s, SRAM 1e12 B/s, links 1e12 B/s, 1 us per stage; KV
memory 1e9 B/s per group; all bf16. Groups: embedding (0.128 chip-equivalents, 1 stage),
2 layer groups (0.73984 chips, 6 stages, 73,728 linear FLOP/token, 256 attention FLOP per
context token, 128 B of KV per token, 1,024 B of activations), LM head (0.12928 chips,
12,800 FLOP/token, 1 stage).

Prompt of P = 1000 tokens in one chunk; attention of position j covers j tokens, so the
chunk attends sum_{j<1000} j = 499,500 context tokens (F1).
  embedding  SRAM rows 1000 x 128 B / 1.28e11 = 1.0e-6 ; link 1000 x 128 / 1.28e11 = 1.0e-6 ;
             hop 1e-6                                              -> 3.0e-6 s
  layer      compute (1000 x 73,728 + 256 x 499,500) = 201,600,000 FLOP / 7.3984e11
             = 2.72491349e-4 (largest: KV 1000 x 128 B / 1e9 = 1.28e-4, SRAM 1e-7) ;
             link 1,024,000 B / 7.3984e11 = 1.38408304e-6 ; hops 6e-6 -> 2.79875432e-4 s
  LM head    compute 12,800,000 / 1.2928e11 = 9.90099010e-5 ; link 128,000 / 1.2928e11
             = 9.90099010e-7 ; hop 1e-6                           -> 1.01000000e-4 s
  latency    3.0e-6 + 2 x 2.79875432e-4 + 1.01e-4                  = 6.63750865e-4 s
Energy (1 pJ/FLOP, 1 pJ/bit): SRAM 128,000 + 2 x 73,984 + 12,928 = 288,896 B -> 2.311168e-6 J;
compute 2 x 201,600,000 + 12,800,000 = 416e6 FLOP -> 4.16e-4 J; KV written 2 x 128,000 B ->
2.048e-6 J; links 1000 x (128 + 2 x 1,024 + 128) B = 2,304,000 B -> 1.8432e-5 J.
"""

import numpy as np
import pytest
from toy import toy_system

from kvpipe.perf.prefill import attended_context, attended_context_scalar, evaluate_prefill_system

T_1000 = 3.0e-6 + 2 * 2.79875432e-4 + 1.01e-4


def test_one_chunk_latency_and_energy_by_hand():
    r = evaluate_prefill_system(toy_system(), 1000)
    assert float(r.latency_s) == pytest.approx(T_1000, rel=1e-8)
    assert float(r.first_chunk_latency_s) == pytest.approx(T_1000, rel=1e-8)
    assert float(r.chunks) == 1
    e = r.energy
    assert float(e.weight_reads) == pytest.approx(288_896 * 8e-12, rel=1e-12)
    assert float(e.compute) == pytest.approx(416e6 * 1e-12, rel=1e-12)
    assert float(e.kv_read) == 0.0
    assert float(e.kv_write) == pytest.approx(2 * 128_000 * 8e-12, rel=1e-12)
    assert float(e.links) == pytest.approx(2_304_000 * 8e-12, rel=1e-12)
    assert float(r.kv_write_bytes) == 256_000
    assert float(r.flops) == 416e6


def test_two_chunks_stream_through_the_groups():
    # C = 500. Chunk 1 (positions 0..499) attends 124,750 tokens; chunk 2 attends
    # 499,500 - 124,750 = 374,750 and reads chunk 1's KV: 500 x 128 B = 64,000 B per layer.
    #   layer, chunk 1: compute (36,864,000 + 256 x 124,750) / 7.3984e11 = 9.29930796e-5
    #                   (KV write 6.4e-5 smaller); link 512,000 / 7.3984e11 = 6.92041522e-7
    #   layer, chunk 2: compute (36,864,000 + 256 x 374,750) / 7.3984e11 = 1.79498270e-4
    #                   (KV 128,000 B / 1e9 = 1.28e-4 smaller); link 6.92041522e-7
    #   embedding, each chunk: 5e-7 + link 5e-7 (+ hop 1e-6); head: 4.95049505e-5 + link
    #   4.95049505e-7 (+ hop 1e-6).
    # F6: the longest path follows chunk 1 to the first layer group, processes both chunks
    # there, then follows chunk 2:
    #   embedding chunk 1 + hop                       2.0e-6
    #   layer 1: both chunks + chunk 2 link + hops    2.72491349e-4 + 6.92041522e-7 + 6e-6
    #   layer 2: chunk 2 + link + hops                1.79498270e-4 + 6.92041522e-7 + 6e-6
    #   head: chunk 2 + link + hop                    4.95049505e-5 + 4.95049505e-7 + 1e-6
    #   total                                         5.18373702e-4 s
    expected = 2.0e-6 + (2.72491349e-4 + 6.92041522e-7 + 6e-6) + (1.79498270e-4 + 6.92041522e-7 + 6e-6) + 5.1e-5
    r = evaluate_prefill_system(toy_system(), 1000, 500)
    assert float(r.chunks) == 2
    assert float(r.latency_s) == pytest.approx(expected, rel=1e-8)
    # the first chunk alone: 2e-6 + 2 x (9.29930796e-5 + 6.92041522e-7 + 6e-6) + 5.1e-5
    assert float(r.first_chunk_latency_s) == pytest.approx(2.52370242e-4, rel=1e-8)
    # the same work as one chunk, plus the earlier chunk's KV read by the later one
    one = evaluate_prefill_system(toy_system(), 1000)
    assert float(r.flops) == pytest.approx(float(one.flops), rel=1e-12)
    assert float(r.kv_read_bytes) == 2 * 64_000
    assert float(r.energy.kv_read) == pytest.approx(2 * 64_000 * 8e-12, rel=1e-12)


def test_attended_context_closed_form_matches_a_sum():
    for start, n, w in [(0, 10, np.inf), (7, 13, np.inf), (0, 10, 4.0), (3, 20, 8.0), (30, 5, 8.0)]:
        brute = sum(min(j, w) for j in range(start, start + n))
        assert float(attended_context(start, n, w)) == pytest.approx(brute)
        assert attended_context_scalar(float(start), float(n), float(w)) == pytest.approx(brute)


def test_vectorized_over_prompts_and_chunks():
    s = toy_system()
    r = evaluate_prefill_system(s, np.array([1000.0, 10.0, 4096.0]), np.array([500.0, 4.0, 1000.0]))
    for i, (p, c) in enumerate([(1000, 500), (10, 4), (4096, 1000)]):
        one = evaluate_prefill_system(s, p, c)
        assert r.latency_s[i] == pytest.approx(float(one.latency_s), rel=1e-12)
        assert r.joules[i] == pytest.approx(float(one.joules), rel=1e-12)


def test_smaller_chunks_never_slow_a_deep_pipeline_much_and_longer_prompts_take_longer():
    s = toy_system()
    lat = [float(evaluate_prefill_system(s, 2000, c).latency_s) for c in (2000, 1000, 500, 250)]
    assert lat[1] < lat[0] and lat[2] < lat[1]
    longer = [float(evaluate_prefill_system(s, p).latency_s) for p in (10, 100, 1000, 4000)]
    assert np.all(np.diff(longer) > 0)


def test_prefill_energy_is_the_pass_energy_type():
    # review finding: PrefillEnergy duplicated PassEnergy field for field
    import kvpipe.perf.prefill as prefill
    from kvpipe.perf.service import PassEnergy

    assert not hasattr(prefill, "PrefillEnergy")
    e = evaluate_prefill_system(toy_system(), 1000).energy
    assert type(e) is PassEnergy
    assert float(e.total()) == pytest.approx(float(e.weight_reads + e.compute + e.kv_read + e.kv_write + e.links))

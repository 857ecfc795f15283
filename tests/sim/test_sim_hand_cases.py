"""Hand-worked serving cases on the toy system (tests/toy.py), in both modes.

Decode, one token at context c (P4 summed over the groups, docs/model.md):
  embedding  row read 128 B / 1.28e11 = 1e-9, link 1e-9, hop 1e-6        = 1.002e-6
  layer (x2) KV (128 c + 128) B / 1e9 = 1.28e-7 (c + 1) is the longest of compute
             (73,728 + 256 c) / 7.3984e11 and SRAM 1e-7; link 1,024 / 7.3984e11
             = 1.38408304e-9; hops 6e-6
  LM head    SRAM 12,928 / 1.2928e11 = 1e-7 (compute 9.90e-8), link 9.90099010e-10, hop 1e-6
                                                                         = 1.10099010e-6
  L(c) = 1.002e-6 + 1.10099010e-6 + 2 x (1.38408304e-9 + 6e-6) + 2 x 1.28e-7 (c + 1)
       = 1.410575827e-5 + 2.56e-7 (c + 1)          (L(1000) = 2.70361758e-4, T0 of test_golden)

Prefill of 1000 tokens in one chunk: 6.63750865e-4 s (tests/perf/test_prefill.py).

A request with prompt P = 1000 and 3 output tokens: the prefill pass yields token 1 (TTFT),
then decode passes at contexts 1000 and 1001 yield tokens 2 and 3:
  L(1000) + L(1001) = 2 x 1.410575827e-5 + 2.56e-7 x (1001 + 1002) = 5.40979517e-4
  E2E = 6.63750865e-4 + 5.40979517e-4 = 1.204730382e-3 ; TPOT = 5.40979517e-4 / 2
"""

from dataclasses import replace

import numpy as np
import pytest
from toy import TOY_MEMORY, toy_system

from kvpipe.sim import Requests, SimConfig, simulate

PREFILL = 6.63750865e-4
DECODE_2 = 5.40979517e-4
E2E = PREFILL + DECODE_2
MODES = ["reference", "fast"]


def L(c: float) -> float:
    return 1.410575827e-5 + 2.56e-7 * (c + 1)


@pytest.mark.parametrize("mode", MODES)
def test_one_request_alone(mode):
    r = simulate(toy_system(users=1), Requests.of([0.0], [1000], [3]), SimConfig(mode=mode, chunk_tokens=None))
    q = r.requests
    assert q.ttft_s[0] == pytest.approx(PREFILL, rel=1e-9)  # prefill time through all stages
    assert q.e2e_s[0] == pytest.approx(E2E, rel=1e-9)
    assert q.tpot_s[0] == pytest.approx((L(1000) + L(1001)) / 2, rel=1e-9)  # the time per token
    assert q.queueing_s[0] == 0.0
    m = r.metrics
    assert m.requests_completed == 1 and m.requests_rejected == 0
    assert m.tokens_per_s * m.window_s == pytest.approx(3.0)


@pytest.mark.parametrize("mode", MODES)
def test_two_requests_contend_for_one_slot(mode):
    # Both arrive at 0; one seat: the second starts when the first has finished, at E2E.
    #   TTFT_2 = E2E + PREFILL = 1.868481247e-3 ; E2E_2 = 2 x E2E = 2.409460764e-3
    r = simulate(toy_system(users=1), Requests.of([0.0, 0.0], [1000, 1000], [3, 3]), SimConfig(mode=mode, chunk_tokens=None))
    q = r.requests
    np.testing.assert_allclose(q.admit_s, [0.0, E2E], rtol=1e-9)
    np.testing.assert_allclose(q.ttft_s, [PREFILL, 1.868481247e-3], rtol=1e-9)
    np.testing.assert_allclose(q.e2e_s, [E2E, 2.409460764e-3], rtol=1e-9)
    assert r.metrics.queueing_s.mean == pytest.approx(E2E / 2, rel=1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_a_request_whose_kv_does_not_fit_until_another_finishes(mode):
    # Reserving KV for prompt + output: 128 B x (1000 + 3) = 128,384 B per layer group.
    # 200,000 B hold one request, not two, although there are two seats. The second arrives
    # at 1e-4 s, waits for the first to finish (E2E) and then prefills:
    #   TTFT_2 = E2E + PREFILL - 1e-4 = 1.768481247e-3 ; queueing 1.104730382e-3
    small = replace(TOY_MEMORY, capacity_bytes=200_000.0)
    system = replace(toy_system(users=2), kv_memory=replace(toy_system().kv_memory, tech=small))
    r = simulate(system, Requests.of([0.0, 1e-4], [1000, 1000], [3, 3]), SimConfig(mode=mode, chunk_tokens=None))
    q = r.requests
    assert q.admit_s[1] == pytest.approx(E2E, rel=1e-9)
    assert q.ttft_s[1] == pytest.approx(1.768481247e-3, rel=1e-9)
    assert q.queueing_s[1] == pytest.approx(1.104730382e-3, rel=1e-9)
    # with room for both, the second is admitted on arrival
    r2 = simulate(toy_system(users=2), Requests.of([0.0, 1e-4], [1000, 1000], [3, 3]), SimConfig(mode=mode, chunk_tokens=None))
    assert r2.requests.admit_s[1] == 1e-4


@pytest.mark.parametrize("mode", MODES)
def test_chunked_prompt_streams_through_the_pipeline(mode):
    # P = 1000 in chunks of 500 with one output token: TTFT = E2E = F6 = 5.18373702e-4 s
    # (worked out in tests/perf/test_prefill.py), less than one 1000-token chunk (6.6375e-4).
    r = simulate(toy_system(users=1), Requests.of([0.0], [1000], [1]), SimConfig(mode=mode, chunk_tokens=500))
    assert r.requests.ttft_s[0] == pytest.approx(5.18373702e-4, rel=1e-8)
    assert r.requests.e2e_s[0] == pytest.approx(5.18373702e-4, rel=1e-8)
    assert np.isnan(r.requests.tpot_s[0])


@pytest.mark.parametrize("mode", MODES)
def test_without_prefill_the_first_token_is_one_decode_pass(mode):
    # prompt KV already present: 2 decode passes at contexts 1000 and 1001
    r = simulate(toy_system(users=1), Requests.of([0.0], [1000], [2]), SimConfig(mode=mode, prefill=False))
    assert r.requests.ttft_s[0] == pytest.approx(L(1000), rel=1e-9)
    assert r.requests.e2e_s[0] == pytest.approx(L(1000) + L(1001), rel=1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_slower_users_set_the_pace_of_the_pipeline(mode):
    # Two decode-only users (prefill off) at contexts 100 and 3000, 3 tokens each. They
    # cannot overtake each other, so both move at the slower one's pace (S5): the long one
    # needs about L(3000) + L(3001) + L(3002) = 2.3479e-3 s (the reference adds one wait of
    # 1.28e-7 x 101 = 1.3e-5 s behind the short one's first pass), and the short one, which
    # alone would need 3 x L(~100) = 8.2e-5 s, rides behind it and ends within one cycle.
    reqs = Requests.of([0.0, 0.0], [100, 3000], [3, 3])
    r = simulate(toy_system(users=2), reqs, SimConfig(mode=mode, prefill=False))
    e2e = r.requests.e2e_s
    long_alone = L(3000) + L(3001) + L(3002)
    assert e2e[1] == pytest.approx(long_alone, rel=1e-2)
    assert e2e[1] - L(3002) - 1e-5 < e2e[0] <= e2e[1]

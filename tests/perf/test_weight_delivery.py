"""Weight delivery to the matrix units (docs/model.md P12, P8): hand-worked numbers and invariants.

The toy system (tests/toy.py) with a fast KV memory (1e12 B/s) and a chip whose matrix units
receive weights at 1e10 B/s, a hundredth of its 1e12 B/s SRAM bandwidth:

  P12 = min(1e12, 1e10)                                                  = 1e10 B/s
Layer group (x2): 73,984 B over 0.73984 chip-equivalents
  SRAM     P8 = 73,984 / (0.73984 x 1e10)                                = 1.0e-5 s   (largest)
  compute  (73,728 + 256,000) / 0.73984e12                               = 4.4567e-7 s
  KV       128,128 B / 1e12                                              = 1.28128e-7 s
  links    1,024 B / 0.73984e12                                          = 1.38408e-9 s
  stages   6 x 1 us                                                      = 6e-6 s
  latency  1e-5 + 1.38408e-9 + 6e-6                                      = 1.600138408e-5 s
Embedding: one 128 B row over 0.128 chips: 128 / (0.128 x 1e10) = 1e-7 s; link 1e-9 s; 1 stage
  latency  1e-7 + 1e-9 + 1e-6                                            = 1.101e-6 s
LM head: 12,928 B over 0.12928 chips: 12,928 / (0.12928 x 1e10) = 1e-5 s (compute 9.90099e-8 s);
  link 9.90099e-10 s; 1 stage   latency 1e-5 + 9.90099e-10 + 1e-6        = 1.1000990099e-5 s
T0 = 1.101e-6 + 2 x 1.600138408e-5 + 1.1000990099e-5                     = 4.4104758259e-5 s
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import TOY_CHIP, TOY_MEMORY, toy_system

from kvpipe.hardware.parts import weight_delivery_bw
from kvpipe.mapping import place
from kvpipe.perf import Limit, evaluate, evaluate_system, inputs_from_system
from kvpipe.perf.prefill import evaluate_prefill_system

FAST_KV = replace(TOY_MEMORY, bw_bytes_per_s=1e12)
T0 = 1.101e-6 + 2 * 1.600138408e-5 + 1.1000990099e-5


def _system(operand_bw: float, users: int = 1, micro_batch: int = 1):
    s = toy_system(users=users, micro_batch=micro_batch, memory=FAST_KV)
    return replace(s, chip=replace(TOY_CHIP, matrix_operand_bw_bytes_per_s=operand_bw))


def test_p12_is_the_smaller_bandwidth_and_absent_means_sram() -> None:
    assert float(weight_delivery_bw(1e12, 1e10)) == 1e10
    assert float(weight_delivery_bw(1e12, 5e12)) == 1e12
    assert float(weight_delivery_bw(1e12, 0.0)) == 1e12  # not given
    assert replace(TOY_CHIP, matrix_operand_bw_bytes_per_s=2e11).weight_bw_bytes_per_s == 2e11
    assert TOY_CHIP.weight_bw_bytes_per_s == TOY_CHIP.sram_bw_bytes_per_s


def test_operand_bound_toy_by_hand() -> None:
    r = evaluate_system(_system(1e10))
    assert float(r.latency_s) == pytest.approx(T0, rel=1e-6)
    assert float(r.tokens_per_s_per_user) == pytest.approx(1 / T0, rel=1e-6)  # 22,673 tokens/s
    assert int(r.binding_limit) == Limit.PIPELINE_DEPTH
    # the same bytes are read, so P8's energy (E2) does not change: 161,024 B at 1 pJ/bit
    assert float(r.energy.weight_reads) == pytest.approx(161_024 * 8e-12, rel=1e-9)
    # compute bound P5 now holds b / P8 of the slowest group: the LM head's and layers' 1e-5 s
    assert float(r.max_tokens_per_s_compute) == pytest.approx(1 / 1e-5, rel=1e-6)


def test_an_operand_path_wider_than_the_sram_changes_nothing() -> None:
    base = evaluate_system(toy_system(users=1, memory=FAST_KV))
    wide = evaluate_system(_system(5e12))
    # as tests/perf/test_golden.py: 2 x (4.4567e-7 + 1.38408e-9 + 6e-6) + 2.10299e-6
    assert float(wide.latency_s) == pytest.approx(float(base.latency_s), rel=1e-12)
    assert float(wide.latency_s) == pytest.approx(2 * (4.4567e-7 + 1.38408e-9 + 6e-6) + 2.10299e-6, rel=1e-4)


def test_prefill_streams_weights_at_the_operand_rate() -> None:
    # one chunk of 4 tokens: a layer group's processing is max(4 x compute, P8) per group; at
    # 1e10 B/s P8 (1e-5 s) exceeds 4 x 4.4567e-7 s, so the bound lengthens the prefill
    slow = evaluate_prefill_system(_system(1e10), 4)
    fast = evaluate_prefill_system(toy_system(users=1, memory=FAST_KV), 4)
    assert float(slow.latency_s) > float(fast.latency_s)
    assert float(slow.group_busy_s) == pytest.approx(1e-5, rel=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(min_value=1e8, max_value=1e14),
    b=st.floats(min_value=1e8, max_value=1e14),
    users=st.integers(min_value=1, max_value=64),
    batch=st.integers(min_value=1, max_value=8),
)
def test_a_narrower_operand_path_never_speeds_a_token(a: float, b: float, users: int, batch: int) -> None:
    lo, hi = min(a, b), max(a, b)
    s = _system(hi, users=users, micro_batch=batch)
    placement = place(s.model, s.precisions, s.chip, s.mapping)
    r = evaluate(placement, inputs_from_system(s).with_(matrix_operand_bw_bytes_per_s=np.array([hi, lo, 0.0])))
    latency, per_user = np.asarray(r.latency_s), np.asarray(r.tokens_per_s_per_user)
    assert latency[1] >= latency[0] * (1 - 1e-12)  # narrower path: never a shorter latency
    assert per_user[1] <= per_user[0] * (1 + 1e-12)  # ... nor a faster token
    assert latency[0] >= latency[2] * (1 - 1e-12)  # any bound is no faster than none (0: the SRAM alone)
    assert float(np.asarray(r.tokens_per_s)[1]) <= float(np.asarray(r.tokens_per_s)[0]) * (1 + 1e-12)

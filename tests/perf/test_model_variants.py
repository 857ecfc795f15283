"""Tied embeddings and sliding windows on the toy system, worked out by hand."""

from dataclasses import replace

import pytest
from toy import TOY_CONFIG, toy_system

from kvpipe.perf import evaluate_system
from kvpipe.workload import build_model, param_count, parse_arch


def _with(**cfg):
    s = toy_system(users=3)
    return replace(s, model=build_model(parse_arch({**TOY_CONFIG, **cfg}, name="toy-variant")))


def test_tied_head_reads_the_vocabulary_matrix():
    untied, tied = toy_system(users=3), _with(tie_word_embeddings=True)
    # distinct parameters: 86,848 - the shared 100 x 64 matrix = 80,448
    assert param_count(tied.model) == 80_448
    # but the LM head at the end of the pipeline holds (and reads, and multiplies by) its own
    # copy: same chips, same speed, same energy as the untied toy
    a, b = evaluate_system(untied), evaluate_system(tied)
    assert b.chips == a.chips == 2
    assert float(b.tokens_per_s) == pytest.approx(float(a.tokens_per_s), rel=1e-12)
    assert float(b.energy.weight_reads) == pytest.approx(float(a.energy.weight_reads), rel=1e-12)


def test_the_full_attention_group_is_the_most_demanding():
    # layer 0 slides over 100 tokens, layer 1 attends to all 1000: per user, layer 0 keeps
    # 128 B x 100 = 12,800 B and layer 1 keeps 128 B x 1000 = 128,000 B
    s = _with(sliding_window=100, layer_types=["sliding_attention", "full_attention"])
    r = evaluate_system(s)
    assert float(r.kv_capacity_demand_bytes_per_group) == pytest.approx(3 * 128_000)
    x = float(r.tokens_per_s)
    assert float(r.kv_bw_demand_bytes_per_s_per_group) == pytest.approx(x * (128_000 + 128), rel=1e-12)
    # the model reads 12,800 + 128,000 B of KV per token in all
    assert float(r.kv_read_bytes_per_token) == pytest.approx(140_800)

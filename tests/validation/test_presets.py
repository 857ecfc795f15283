"""Spatial presets of real machines and the spare-SRAM KV rule (mapping/sram_kv.py)."""

from __future__ import annotations

import pytest

from kvpipe import catalog
from kvpipe.config import parse_system_yaml
from kvpipe.mapping.sram_kv import spare_sram_kv_memory
from kvpipe.validation import parse_rows, predict_row
from kvpipe.validation.published import ValidationDataError, spatial_system_for

HEADER = (
    "id,system,kind,preset,model,metric,published,weights,kv,activations,batch,tensor,pipeline,chips,context,"
    "prompt_tokens,output_tokens,kv_memory,target,guard_low,guard_high,source,firmness"
)


def test_groq_preset_keeps_kv_in_the_sram_the_weights_leave_free() -> None:
    s = parse_system_yaml(catalog.system_yaml("groq-lpu"), default_name="groq-lpu")
    # the YAML's hand-derived figures match the rule: 7.14 chips x 230 MB x (1 - 0.5207)
    kv = spare_sram_kv_memory(s)
    assert kv.capacity_bytes_per_group == pytest.approx(s.kv_memory.capacity_bytes_per_group, rel=0.01)  # 787 MB
    assert kv.bw_bytes_per_s_per_group == pytest.approx(s.kv_memory.bw_bytes_per_s_per_group, rel=0.01)  # 274 TB/s
    assert kv.tech.read_j_per_bit == s.chip.sram_read_j_per_bit and kv.tech.background_w == 0


def test_cerebras_preset_matches_the_rule() -> None:
    s = parse_system_yaml(catalog.system_yaml("cerebras-wse3"), default_name="cerebras-wse3")
    kv = spare_sram_kv_memory(s)
    assert kv.capacity_bytes_per_group == pytest.approx(s.kv_memory.capacity_bytes_per_group, rel=0.01)  # 423 MB
    assert kv.bw_bytes_per_s_per_group == pytest.approx(s.kv_memory.bw_bytes_per_s_per_group, rel=0.01)


def test_the_chip_count_knob_spreads_the_weights_over_exactly_that_many_chips() -> None:
    row = parse_rows([HEADER, "g,Groq,spatial,groq-lpu,llama-2-70b,tokens_per_s_per_user,300,int8,fp16,fp16,1,,,576,"
                              "4096,,,spare-sram,0.35,-10,10,src,V"])[0]
    s = spatial_system_for(row)
    assert s.mapping.usable_sram_fraction == pytest.approx(68_976_648_192 / (576 * 230e6), rel=1e-6)
    p = predict_row(row)
    assert p.devices == 576 and p.predicted > 0
    too_few = parse_rows([HEADER, "g,Groq,spatial,groq-lpu,llama-2-70b,tokens_per_s_per_user,300,int8,fp16,fp16,1,,,100,"
                                  "4096,,,spare-sram,0.35,-10,10,src,V"])[0]
    with pytest.raises(ValueError, match="do not fit in 100 chips"):
        predict_row(too_few)


def test_bad_rows_are_reported_together() -> None:
    with pytest.raises(ValidationDataError) as e:
        parse_rows([HEADER, "x,X,tpu,nope,llama-9000,speed,-3,fp7,bf16,bf16,many,,,,0,12,,weird,0.25,1,-1,s,V"])
    where = [w for w, _ in e.value.errors]
    for col in ("kind", "metric", "model", "weights", "batch", "context", "published", "kv_memory"):
        assert any(w.endswith(f"column {col}") for w in where), col
    assert any("prompt_tokens/output_tokens" in w for w in where)
    assert any("guard_low/guard_high" in w for w in where)

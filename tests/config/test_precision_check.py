import pytest

from kvpipe.config import ConfigError, parse_system_yaml


def test_a_precision_the_chip_cannot_compute_is_named():
    # groq-lpu-v1 lists fp16 and int8 figures only (catalog chips.yaml)
    text = "model: llama-3.1-70b\nchip: groq-lpu-v1\nkv_memory: {tech: hbm3e, units_per_group: 6}\nprecisions: {weights: fp4}\n"
    with pytest.raises(ConfigError) as e:
        parse_system_yaml(text)
    fields = {f for f, _ in e.value.errors}
    assert fields == {"precisions.weights"}
    assert "fp4" in str(e.value) and "fp16, int8" in str(e.value)


def test_same_width_formats_share_a_figure():
    # bf16 figures serve fp16 (hardware/parts.py): no error for the spatial chip's bf16 table
    text = "model: llama-3.1-70b\nkv_memory: {tech: hbm3e, units_per_group: 6}\nprecisions: {weights: fp16, kv: fp16}\n"
    assert parse_system_yaml(text).precisions.kv.value == "fp16"

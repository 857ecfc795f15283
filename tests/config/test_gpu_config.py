"""GPU system YAMLs: the same all-errors-at-once rules as spatial systems, and a fit check."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvpipe import catalog
from kvpipe.config import ConfigError, load_any_system, load_system, parse_any_system_yaml
from kvpipe.system import GpuSystem, System

GOOD = """\
name: h200-x8
model: llama-3.1-70b
precisions: {weights: fp8, kv: fp8, activations: bf16}
gpu: h200
parallelism: {tensor: 8, pipeline: 1}
workload: {batch: 64, context: 8192}
"""


def errors_of(text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        parse_any_system_yaml(text)
    return dict(e.value.errors)


def test_a_gpu_system_loads_with_catalog_parts() -> None:
    s = parse_any_system_yaml(GOOD)
    assert isinstance(s, GpuSystem)
    assert s.gpu is catalog.gpu("h200") and s.link is catalog.link("nvlink4")  # the GPU's own link
    assert (s.parallelism.tensor, s.parallelism.pipeline, s.parallelism.gpus) == (8, 1, 8)
    assert (s.workload.users, s.workload.context_tokens) == (64, 8192)


def test_users_is_an_alias_of_batch_and_overrides_keep_sources(tmp_path: Path) -> None:
    text = GOOD.replace("gpu: h200", 'gpu: {base: h200, hbm_bw_fraction: "85 %"}').replace("batch: 64", "users: 32")
    text += "link: {base: nvlink5, hop_latency: 500 ns}\n"
    p = tmp_path / "g.yaml"
    p.write_text(text)
    s = load_any_system(p)
    assert isinstance(s, GpuSystem)
    assert s.gpu.hbm_bw_fraction == 0.85 and s.gpu.name == "h200+hbm_bw_fraction"
    assert s.gpu.sources["hbm_bw_fraction"].startswith("[user]")
    assert s.gpu.sources["hbm_bytes"].startswith("[V]")
    assert s.link.hop_latency_s == pytest.approx(5e-7) and s.workload.users == 32


def test_every_shipped_system_file_loads() -> None:
    kinds = {}
    for name in catalog.names("system"):
        if name.startswith("groq3-lpx-rubin"):  # heterogeneous: tests/config/test_hetero_config.py
            continue
        s = parse_any_system_yaml(catalog.system_yaml(name), default_name=name)
        kinds[name] = type(s)
    assert kinds["h200-x8"] is GpuSystem and kinds["b200-x8"] is GpuSystem
    assert kinds["groq-lpu"] is System and kinds["cerebras-wse3"] is System and kinds["seed"] is System


def test_all_mistakes_at_once_with_field_paths() -> None:
    errors = errors_of("""\
model: llama-9000
gpu: h300
link: nvlink9
parallelism: {tensor: 0, pipeline: 1}
workload: {batch: 4, users: 8, context: 8192}
kv_memory: {tech: hbm3e, units_per_group: 1}
""")
    assert errors["model"].startswith('unknown model "llama-9000"')
    assert errors["gpu"].startswith('unknown gpu "h300"; known: h100-sxm, h200, b200, mi300x')
    assert errors["link"].startswith('unknown link "nvlink9"')
    assert errors["parallelism.tensor"] == "must be >= 1, got 0"
    assert "batch or users" in errors["workload"]
    assert "its KV lives in the GPUs' HBM" in errors["kv_memory"]


def test_inline_gpu_must_give_every_field_and_bad_values_name_their_field() -> None:
    errors = errors_of(GOOD.replace("gpu: h200", "gpu: {hbm: 80 GB}"))
    assert "missing hbm_bw" in errors["gpu"]
    errors = errors_of(GOOD.replace("gpu: h200", "gpu: {base: h200, hbm_bw: -3 TB/s, flop_fraction: 1.5}"))
    assert "gpu.hbm_bw" in errors and "gpu.flop_fraction" in errors


def test_a_model_that_does_not_fit_names_parallelism() -> None:
    errors = errors_of(GOOD.replace("tensor: 8", "tensor: 1").replace("fp8, kv", "bf16, kv"))
    assert list(errors) == ["parallelism"]
    assert "141.1 GB of bf16 weights" in errors["parallelism"] and "at least 2 GPUs" in errors["parallelism"]


def test_a_context_that_does_not_fit_names_workload_context() -> None:
    errors = errors_of(GOOD.replace("context: 8192", "context: 100000000"))
    assert list(errors) == ["workload.context"]


def test_a_precision_the_gpu_lacks() -> None:
    errors = errors_of(GOOD.replace("weights: fp8", "weights: fp4"))
    assert "no peak FLOP/s for fp4" in errors["precisions"]


def test_load_system_refuses_a_gpu_document(tmp_path: Path) -> None:
    p = tmp_path / "g.yaml"
    p.write_text(GOOD)
    with pytest.raises(ConfigError) as e:
        load_system(p)
    assert e.value.errors[0][0] == "gpu"


def test_parallelism_is_bounded_by_the_model() -> None:
    # accepted before: 100 pipeline stages for an 80-layer model
    errors = errors_of(GOOD.replace("tensor: 8, pipeline: 1", "tensor: 64, pipeline: 100"))
    assert list(errors) == ["parallelism.pipeline"]
    assert "80 layers" in errors["parallelism.pipeline"] and "got 100" in errors["parallelism.pipeline"]
    # every mistake at once, each naming its field
    errors = errors_of(GOOD.replace("tensor: 8, pipeline: 1", "tensor: 6, pipeline: 81").replace("gpu: h200", "gpu: h300"))
    assert set(errors) == {"gpu", "parallelism.tensor", "parallelism.pipeline"}
    assert "divide the 64 attention heads" in errors["parallelism.tensor"] and "got 6" in errors["parallelism.tensor"]
    errors = errors_of(GOOD.replace("tensor: 8", "tensor: 128"))
    assert list(errors) == ["parallelism.tensor"]


def test_parallelism_at_its_bounds_is_accepted() -> None:
    s = parse_any_system_yaml(GOOD.replace("tensor: 8, pipeline: 1", "tensor: 8, pipeline: 80"))
    assert isinstance(s, GpuSystem) and s.parallelism.pipeline == 80

"""Parsing of the shipped Hugging Face config.json files and of broken configs.

The JSON files are read straight from the source tree (no package-data lookup), so a test
failure points at the file itself.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from kvpipe.workload import ArchError, parse_arch
from kvpipe.workload.arch import KNOWN_ARCHITECTURES, MAX_CONTEXT_TOKENS, MAX_LAYERS, context_problem

DATA = Path(__file__).resolve().parents[2] / "src" / "kvpipe" / "catalog" / "data"
MODELS = DATA / "models"
NAMES = [
    "llama-2-7b",
    "llama-2-70b",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "mistral-7b-v0.1",
    "mixtral-8x7b",
    "qwen3-32b",
    "qwen3-30b-a3b",
    "qwen3-235b-a22b",
    "deepseek-v3",
    "gpt-oss-120b",
    "gpt-oss-20b",
]


def load(name: str) -> dict:
    with open(MODELS / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


# --- the catalog itself ----------------------------------------------------------------


def test_catalog_lists_exactly_the_shipped_files():
    with open(DATA / "models.yaml", encoding="utf-8") as f:
        index = yaml.safe_load(f)
    assert sorted(index) == sorted(NAMES)
    assert sorted(p.stem for p in MODELS.glob("*.json")) == sorted(NAMES)
    for name, entry in index.items():
        assert entry["file"] == f"{name}.json"
        assert entry["note"].strip()
        cfg = load(name)
        # the yaml source and the in-file record name the same HF repo file
        assert entry["source"] == "huggingface.co/" + cfg["_kvpipe_source"]
        assert cfg["_kvpipe_source"].endswith("/config.json")


@pytest.mark.parametrize("name", NAMES)
def test_every_shipped_config_parses(name):
    arch = parse_arch(load(name), name=name)
    assert arch.name == name
    assert len(arch.windows) == arch.n_layers
    if arch.moe is not None:
        assert len(arch.moe.moe_layers) == arch.n_layers


# --- per-family parsing ----------------------------------------------------------------


def test_llama_70b_fields():
    a = parse_arch(load("llama-3.1-70b"))
    assert a.architecture == "LlamaForCausalLM"
    assert (a.hidden_size, a.n_layers, a.n_heads, a.n_kv_heads) == (8192, 80, 64, 8)
    # no head_dim key in the file: 8192 / 64 heads = 128
    assert "head_dim" not in load("llama-3.1-70b")
    assert a.head_dim == 128
    assert (a.intermediate_size, a.vocab_size) == (28672, 128256)
    assert not a.tie_embeddings and not a.attention_bias
    assert a.windows == (None,) * 80
    assert a.mla is None and a.moe is None


def test_mistral_slides_on_every_layer():
    # sliding_window = 4096 and no use_sliding_window key: every one of the 32 layers slides
    a = parse_arch(load("mistral-7b-v0.1"))
    assert a.windows == (4096,) * 32


def test_qwen3_sliding_window_null_means_full_attention():
    for name in ("qwen3-32b", "qwen3-30b-a3b", "qwen3-235b-a22b"):
        cfg = load(name)
        assert cfg["sliding_window"] is None and cfg["use_sliding_window"] is False
        a = parse_arch(cfg)
        assert a.windows == (None,) * a.n_layers
        assert a.head_dim == 128  # explicit head_dim key


def test_qwen3_use_sliding_window_false_wins_over_a_window():
    cfg = load("qwen3-32b")
    cfg["sliding_window"] = 4096  # present but switched off by use_sliding_window = false
    assert parse_arch(cfg).windows == (None,) * 64


def test_gpt_oss_alternates_sliding_128_and_full():
    a = parse_arch(load("gpt-oss-120b"))
    # layer_types = [sliding, full, sliding, full, ...] over 36 layers, window 128
    assert a.windows == (128, None) * 18
    # head_dim is given (64); hidden/heads would be 2880 / 64 = 45, which is wrong
    assert a.head_dim == 64
    assert a.attention_bias
    assert a.moe is not None
    assert (a.moe.n_routed_experts, a.moe.top_k, a.moe.expert_intermediate_size) == (128, 4, 2880)
    assert a.moe.expert_bias
    assert a.moe.moe_layers == (True,) * 36
    b = parse_arch(load("gpt-oss-20b"))
    assert b.windows == (128, None) * 12
    assert (b.moe.n_routed_experts, b.moe.top_k) == (32, 4)


def test_deepseek_v3_mla_and_moe_fields():
    a = parse_arch(load("deepseek-v3"))
    assert a.mla is not None
    m = a.mla
    assert (m.q_lora_rank, m.kv_lora_rank, m.qk_nope_head_dim, m.qk_rope_head_dim, m.v_head_dim) == (
        1536, 512, 128, 64, 128)
    moe = a.moe
    assert (moe.n_routed_experts, moe.top_k, moe.expert_intermediate_size) == (256, 8, 2048)
    # 1 shared expert of width moe_intermediate_size
    assert (moe.n_shared_experts, moe.shared_intermediate_size) == (1, 2048)
    assert not moe.expert_bias
    # first_k_dense_replace = 3, moe_layer_freq = 1: 3 dense layers then 58 MoE layers
    assert moe.moe_layers == (False,) * 3 + (True,) * 58


def test_mixtral_and_qwen_moe_fields():
    a = parse_arch(load("mixtral-8x7b"))
    assert a.windows == (None,) * 32  # sliding_window: null
    # no moe_intermediate_size key: experts use intermediate_size
    assert (a.moe.n_routed_experts, a.moe.top_k, a.moe.expert_intermediate_size) == (8, 2, 14336)
    assert (a.moe.n_shared_experts, a.moe.shared_intermediate_size) == (0, 0)
    assert a.moe.moe_layers == (True,) * 32
    q = parse_arch(load("qwen3-30b-a3b"))
    assert (q.moe.n_routed_experts, q.moe.top_k, q.moe.expert_intermediate_size) == (128, 8, 768)
    assert q.moe.moe_layers == (True,) * 48
    assert (q.n_heads, q.n_kv_heads) == (32, 4)


# --- which layers are sparse, as the HF modeling code decides it -------------------------


def _tiny_moe(**extra) -> dict:
    cfg = {
        "architectures": ["Qwen3MoeForCausalLM"], "hidden_size": 64, "num_hidden_layers": 8,
        "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100,
        "num_experts": 4, "num_experts_per_tok": 2,
    }
    cfg.update(extra)
    return cfg


def test_qwen_decoder_sparse_step_counts_from_layer_one():
    # Qwen2/3-MoE: layer i is sparse iff (i + 1) % decoder_sparse_step == 0 and i not in mlp_only_layers
    # step 2 over 8 layers -> layers 1, 3, 5, 7; with mlp_only_layers [3] -> 1, 5, 7
    a = parse_arch(_tiny_moe(decoder_sparse_step=2))
    assert [i for i, f in enumerate(a.moe.moe_layers) if f] == [1, 3, 5, 7]
    b = parse_arch(_tiny_moe(decoder_sparse_step=2, mlp_only_layers=[3]))
    assert [i for i, f in enumerate(b.moe.moe_layers) if f] == [1, 5, 7]


def test_deepseek_moe_layer_freq_counts_from_layer_zero():
    # DeepSeek-V2/V3: sparse iff i >= first_k_dense_replace and i % moe_layer_freq == 0
    # first 1 dense, freq 2 over 8 layers -> layers 2, 4, 6
    a = parse_arch(_tiny_moe(first_k_dense_replace=1, moe_layer_freq=2))
    assert [i for i, f in enumerate(a.moe.moe_layers) if f] == [2, 4, 6]


@pytest.mark.parametrize("archs", [[], None, ["MambaForCausalLM"], ["LlamaForCausalLM", "MambaForCausalLM"], "Llama"])
def test_unknown_or_missing_architectures_are_refused_not_read_as_llama(archs):
    cfg = load("llama-3.1-8b")
    cfg["architectures"] = archs
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "architectures" and "LlamaForCausalLM" in e.value.message


def test_every_shipped_model_names_a_known_architecture():
    for name in NAMES:
        assert parse_arch(load(name)).architecture in KNOWN_ARCHITECTURES


@pytest.mark.parametrize(("key", "value"), [("num_hidden_layers", 10**7), ("num_hidden_layers", MAX_LAYERS + 1),
                                            ("vocab_size", 10**9), ("hidden_size", 2**40)])
def test_sizes_beyond_the_bounds_are_refused_naming_the_field(key, value):
    cfg = load("llama-3.1-8b")
    cfg[key] = value
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == key


def test_a_huge_max_position_embeddings_is_a_limit_not_an_error():
    cfg = load("llama-3.1-8b")
    cfg["max_position_embeddings"] = 2**40
    assert parse_arch(cfg).max_context_tokens == 2**40


def test_context_beyond_the_model_maximum_needs_the_flag():
    a = parse_arch(load("llama-3.1-8b"))  # max_position_embeddings 131072
    assert a.max_context_tokens == 131_072
    assert context_problem(a, 131_072) is None
    assert "131,072" in (context_problem(a, 131_073) or "")
    assert context_problem(a, 10**6, beyond_model_maximum=True) is None
    assert "bound" in (context_problem(a, MAX_CONTEXT_TOKENS + 1, beyond_model_maximum=True) or "")


# --- errors name the field --------------------------------------------------------------


def test_missing_hidden_size():
    cfg = load("llama-3.1-8b")
    del cfg["hidden_size"]
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "hidden_size"
    assert "hidden_size" in str(e.value)


def test_kv_heads_must_divide_heads():
    cfg = load("llama-3.1-70b")
    cfg["num_key_value_heads"] = 12  # 64 % 12 = 4
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "num_key_value_heads"


@pytest.mark.parametrize("field", ["num_hidden_layers", "hidden_size", "num_attention_heads",
                                   "num_key_value_heads", "intermediate_size", "vocab_size"])
@pytest.mark.parametrize("bad", [0, -8, 2.5, "80", True])
def test_non_positive_or_non_integer_fields(field, bad):
    cfg = copy.deepcopy(load("llama-3.1-70b"))
    cfg[field] = bad
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == field


def test_bad_mla_and_moe_fields_are_named():
    cfg = load("deepseek-v3")
    cfg["qk_rope_head_dim"] = 0
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "qk_rope_head_dim"

    cfg = load("mixtral-8x7b")
    cfg["num_experts_per_tok"] = 9  # more than the 8 experts
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "num_experts_per_tok"

    cfg = load("qwen3-30b-a3b")
    cfg["decoder_sparse_step"] = 0
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "decoder_sparse_step"


def test_bad_windows_are_named():
    cfg = load("gpt-oss-20b")
    cfg["layer_types"] = cfg["layer_types"][:-1]  # 23 entries for 24 layers
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "layer_types"

    cfg = load("gpt-oss-20b")
    cfg["layer_types"][5] = "chunked_attention"
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "layer_types[5]"

    cfg = load("gpt-oss-20b")
    cfg["sliding_window"] = None  # sliding layers but no window
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "sliding_window"

    cfg = load("mistral-7b-v0.1")
    cfg["sliding_window"] = -1
    with pytest.raises(ArchError) as e:
        parse_arch(cfg)
    assert e.value.field == "sliding_window"


def test_not_a_mapping():
    with pytest.raises(ArchError) as e:
        parse_arch([1, 2, 3])  # type: ignore[arg-type]
    assert e.value.field == "config"

"""Model architecture read from a Hugging Face ``config.json`` dictionary.

Only the fields that decide weights, FLOPs, KV size and activations are kept. Parsing is
pure: the caller reads the file. Unknown or inconsistent fields raise :class:`ArchError`
naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from reprlib import repr as brief  # bounded: a hostile value cannot blow up the message
from typing import Any

# The Hugging Face model classes whose config.json fields this parser reads completely: their
# layers are the decoder blocks of docs/model.md (dense or MoE MLPs, GQA/MQA or MLA attention,
# sliding windows, attention sinks). Another class may hold layers kvpipe does not model
# (state-space, cross-attention, convolution), so it is refused rather than read as Llama.
KNOWN_ARCHITECTURES: tuple[str, ...] = (
    "LlamaForCausalLM", "MistralForCausalLM", "MixtralForCausalLM", "Qwen3ForCausalLM", "Qwen3MoeForCausalLM",
    "DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM", "GptOssForCausalLM",
)
MAX_LAYERS = 1024  # the largest published decoders have ~160; a bound that keeps placement instant
MAX_DIMENSION = 2**24  # any other count or width (hidden size, heads, vocabulary, experts ...): 16.8 M
MAX_CONTEXT_TOKENS = 2**27  # 134 M tokens: the most any workload may ask, even beyond a model's maximum


class ArchError(ValueError):
    """A config.json that cannot describe a decoder-only transformer we model."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class MLAConfig:
    """Multi-head latent attention (DeepSeek-V2/V3): the KV cache holds a compressed latent."""

    q_lora_rank: int | None
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int


@dataclass(frozen=True)
class MoEConfig:
    """Mixture-of-experts feed-forward layers."""

    n_routed_experts: int
    top_k: int
    expert_intermediate_size: int
    n_shared_experts: int
    shared_intermediate_size: int
    moe_layers: tuple[bool, ...]  # one flag per decoder layer
    expert_bias: bool = False


@dataclass(frozen=True)
class ModelArch:
    name: str
    architecture: str
    hidden_size: int
    n_layers: int
    vocab_size: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    intermediate_size: int
    tie_embeddings: bool
    attention_bias: bool
    windows: tuple[int | None, ...]  # per layer: sliding window or None
    mla: MLAConfig | None = None
    moe: MoEConfig | None = None
    max_context_tokens: int | None = None  # max_position_embeddings: the longest context it was trained for


def _get(cfg: Mapping[str, Any], key: str, kind: type = int, default: Any = ...) -> Any:
    if key not in cfg or cfg[key] is None:
        if default is ...:
            raise ArchError(key, "missing in config.json")
        return default
    value = cfg[key]
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ArchError(key, f"expected a positive integer, got {brief(value)}")
        if value > MAX_DIMENSION:
            raise ArchError(key, f"{value:,} is beyond kvpipe's bound of {MAX_DIMENSION:,} for any count or width")
    elif kind is bool and not isinstance(value, bool):
        raise ArchError(key, f"expected true or false, got {value!r}")
    return value


def _windows(cfg: Mapping[str, Any], n_layers: int) -> tuple[int | None, ...]:
    window = cfg.get("sliding_window")
    layer_types = cfg.get("layer_types")
    if layer_types is not None:
        if not isinstance(layer_types, list) or len(layer_types) != n_layers:
            raise ArchError("layer_types", f"expected a list of {n_layers} layer types")
        out: list[int | None] = []
        for i, t in enumerate(layer_types):
            if t == "sliding_attention":
                if not isinstance(window, int) or window <= 0:
                    raise ArchError("sliding_window", f"layer {i} slides but no positive window is set")
                out.append(window)
            elif t == "full_attention":
                out.append(None)
            else:
                raise ArchError(f"layer_types[{i}]", f"unknown layer type {t!r}")
        return tuple(out)
    if window is not None and cfg.get("use_sliding_window", True):
        if not isinstance(window, int) or window <= 0:
            raise ArchError("sliding_window", f"expected a positive integer, got {window!r}")
        return (window,) * n_layers
    return (None,) * n_layers


def _moe(cfg: Mapping[str, Any], n_layers: int, intermediate: int) -> MoEConfig | None:
    n_experts = cfg.get("n_routed_experts") or cfg.get("num_local_experts") or cfg.get("num_experts")
    if not n_experts:
        return None
    if isinstance(n_experts, bool) or not isinstance(n_experts, int) or not 0 < n_experts <= MAX_DIMENSION:
        raise ArchError("num_experts", f"expected a positive integer up to {MAX_DIMENSION:,}, got {brief(n_experts)}")
    top_k = cfg.get("num_experts_per_tok") or cfg.get("experts_per_token")
    if not isinstance(top_k, int) or not 0 < top_k <= n_experts:
        raise ArchError("num_experts_per_tok", f"expected an integer in 1..{n_experts}, got {top_k!r}")
    expert_inter = _get(cfg, "moe_intermediate_size", int, intermediate)
    n_shared = cfg.get("n_shared_experts") or 0
    shared_inter = cfg.get("shared_expert_intermediate_size") or (n_shared * expert_inter)
    if shared_inter and not n_shared:
        n_shared = 1
    first_dense = cfg.get("first_k_dense_replace") or 0
    mlp_only = set(cfg.get("mlp_only_layers") or [])
    # The two families count sparse layers differently (as in their HF modeling code):
    # Qwen-MoE: layer i is MoE when (i + 1) % decoder_sparse_step == 0;
    # DeepSeek: when i >= first_k_dense_replace and i % moe_layer_freq == 0.
    # (Was (i - first_dense) % freq for both, which picks the wrong layers when step/freq > 1.)
    step = cfg.get("decoder_sparse_step")
    freq = cfg.get("moe_layer_freq") or 1
    for key, val in (("decoder_sparse_step", step), ("moe_layer_freq", freq)):
        if val is not None and (isinstance(val, bool) or not isinstance(val, int) or val <= 0):
            raise ArchError(key, f"expected a positive integer, got {val!r}")
    flags = tuple(
        i >= first_dense
        and (((i + 1) % step == 0) if step else (i % freq == 0))
        and i not in mlp_only
        for i in range(n_layers)
    )
    return MoEConfig(
        n_routed_experts=n_experts,
        top_k=top_k,
        expert_intermediate_size=expert_inter,
        n_shared_experts=int(n_shared),
        shared_intermediate_size=int(shared_inter),
        moe_layers=flags,
        expert_bias="GptOss" in str((cfg.get("architectures") or [""])[0]),  # [] no longer IndexErrors
    )


def _mla(cfg: Mapping[str, Any]) -> MLAConfig | None:
    if not cfg.get("kv_lora_rank"):
        return None
    q_rank = cfg.get("q_lora_rank")
    return MLAConfig(
        q_lora_rank=int(q_rank) if q_rank else None,
        kv_lora_rank=_get(cfg, "kv_lora_rank"),
        qk_nope_head_dim=_get(cfg, "qk_nope_head_dim"),
        qk_rope_head_dim=_get(cfg, "qk_rope_head_dim"),
        v_head_dim=_get(cfg, "v_head_dim"),
    )


def parse_arch(cfg: Mapping[str, Any], name: str | None = None) -> ModelArch:
    """Build a :class:`ModelArch` from the dictionary of a Hugging Face ``config.json``."""
    if not isinstance(cfg, Mapping):
        raise ArchError("config", "expected a JSON object")
    archs = cfg.get("architectures")
    if not isinstance(archs, list) or len(archs) != 1 or archs[0] not in KNOWN_ARCHITECTURES:
        raise ArchError(
            "architectures",
            f"expected one of {', '.join(KNOWN_ARCHITECTURES)} (the decoders kvpipe models), got {brief(archs)}; "
            "a model whose layers match one of them may name it",
        )
    hidden = _get(cfg, "hidden_size")
    n_layers = _get(cfg, "num_hidden_layers")
    if n_layers > MAX_LAYERS:
        raise ArchError("num_hidden_layers", f"{n_layers:,} layers is beyond kvpipe's bound of {MAX_LAYERS:,}")
    n_heads = _get(cfg, "num_attention_heads")
    n_kv = _get(cfg, "num_key_value_heads", int, n_heads)
    if n_heads % n_kv:
        raise ArchError("num_key_value_heads", f"{n_kv} does not divide num_attention_heads={n_heads}")
    head_dim = _get(cfg, "head_dim", int, hidden // n_heads)
    intermediate = _get(cfg, "intermediate_size")
    return ModelArch(
        name=name or str(cfg.get("_name_or_path") or archs[0]),
        architecture=str(archs[0]),
        hidden_size=hidden,
        n_layers=n_layers,
        vocab_size=_get(cfg, "vocab_size"),
        n_heads=n_heads,
        n_kv_heads=n_kv,
        head_dim=head_dim,
        intermediate_size=intermediate,
        tie_embeddings=bool(cfg.get("tie_word_embeddings", False)),
        attention_bias=bool(cfg.get("attention_bias", False)),
        windows=_windows(cfg, n_layers),
        mla=_mla(cfg),
        moe=_moe(cfg, n_layers, intermediate),
        max_context_tokens=_max_context(cfg),
    )


def _max_context(cfg: Mapping[str, Any]) -> int | None:
    """``max_position_embeddings``: a positive integer of any size (it only limits), or absent."""
    value = cfg.get("max_position_embeddings")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ArchError("max_position_embeddings", f"expected a positive integer, got {brief(value)}")
    return value


def context_problem(arch: ModelArch, context_tokens: int, beyond_model_maximum: bool = False) -> str | None:
    """Why ``context_tokens`` is not a context to model ``arch`` at, or ``None``.

    Above the model's own maximum (``max_position_embeddings``) only when the user says so
    (``beyond_model_maximum``); never above :data:`MAX_CONTEXT_TOKENS`.
    """
    if context_tokens > MAX_CONTEXT_TOKENS:
        return f"{context_tokens:,} tokens is beyond kvpipe's bound of {MAX_CONTEXT_TOKENS:,}"
    limit = arch.max_context_tokens
    if limit is not None and context_tokens > limit and not beyond_model_maximum:
        return (
            f"{context_tokens:,} tokens is beyond {arch.name}'s maximum of {limit:,} (max_position_embeddings); "
            "set workload.beyond_model_context: true to model it anyway"
        )
    return None

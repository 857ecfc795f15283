"""From an architecture to placeable blocks and per-token decode figures.

Formulas (see docs/model.md, section "Workload"):

* linear FLOPs per token = 2 x active parameters (one multiply-add per weight);
* attention FLOPs per context token = 2 x heads x (d_qk + d_v) (scores, weighted sum);
  for MLA with absorbed projections = 2 x heads x (2 kv_lora_rank + d_rope);
* KV elements per token and layer = 2 x kv_heads x head_dim, or for MLA
  kv_lora_rank + d_rope;
* a layer with window w reads the KV of min(context, w) tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from kvpipe.workload.arch import ModelArch
from kvpipe.workload.blocks import Block, BlockKind
from kvpipe.workload.precision import Precisions


@dataclass(frozen=True)
class Model:
    arch: ModelArch
    blocks: tuple[Block, ...]

    @property
    def name(self) -> str:
        return self.arch.name

    @property
    def n_layers(self) -> int:
        return self.arch.n_layers

    @property
    def is_moe(self) -> bool:
        return self.arch.moe is not None


def _attention_block(a: ModelArch, layer: int) -> Block:
    h = a.hidden_size
    window = a.windows[layer]
    if a.mla is not None:
        # (W2, W6, W7) multi-head latent attention
        m = a.mla
        qk_dim = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            q_params = h * m.q_lora_rank + m.q_lora_rank * a.n_heads * qk_dim + m.q_lora_rank
        else:
            q_params = h * a.n_heads * qk_dim
        kv_a = h * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank
        kv_b = m.kv_lora_rank * a.n_heads * (m.qk_nope_head_dim + m.v_head_dim)
        o = a.n_heads * m.v_head_dim * h
        params = q_params + kv_a + kv_b + o + h  # + input RMSNorm
        latent_out = (m.q_lora_rank or 0) + m.kv_lora_rank + m.qk_rope_head_dim
        return Block(
            kind=BlockKind.ATTENTION,
            layer=layer,
            dense_params=params,
            linear_flops_per_token=2.0 * (params - h - (m.q_lora_rank or 0) - m.kv_lora_rank),
            attn_flops_per_ctx_token=2.0 * a.n_heads * (2 * m.kv_lora_rank + m.qk_rope_head_dim),
            kv_elems_per_token=m.kv_lora_rank + m.qk_rope_head_dim,
            window=window,
            comm_payload_elems=(h, latent_out, a.n_heads * qk_dim, a.n_heads * m.v_head_dim),
        )
    # (W1, W6, W7) grouped-query attention
    q = a.n_heads * a.head_dim
    kv = a.n_kv_heads * a.head_dim
    proj = h * q + 2 * h * kv + q * h
    bias = (q + 2 * kv + h) if a.attention_bias else 0
    sinks = a.n_heads if "GptOss" in a.architecture else 0
    # Qwen3 (dense and MoE) has q_norm and k_norm RMSNorms over head_dim in every layer.
    qk_norm = 2 * a.head_dim if a.architecture.startswith("Qwen3") else 0
    return Block(
        kind=BlockKind.ATTENTION,
        layer=layer,
        dense_params=proj + bias + sinks + qk_norm + h,  # + input RMSNorm
        linear_flops_per_token=2.0 * proj,
        attn_flops_per_ctx_token=4.0 * a.n_heads * a.head_dim,
        kv_elems_per_token=2.0 * kv,
        window=window,
        comm_payload_elems=(h, q + 2 * kv, q),
    )


def _ffn_block(a: ModelArch, layer: int) -> Block:
    h = a.hidden_size
    moe = a.moe
    if moe is None or not moe.moe_layers[layer]:
        # (W3) dense gated MLP
        inter = a.intermediate_size
        params = 3 * h * inter
        return Block(
            kind=BlockKind.MLP,
            layer=layer,
            dense_params=params + h,  # + post-attention RMSNorm
            linear_flops_per_token=2.0 * params,
            comm_payload_elems=(h, inter, h),
        )
    # (W4, W5) mixture of experts: only top_k routed experts run per token
    inter = moe.expert_intermediate_size
    expert = 3 * h * inter + ((2 * inter + h) if moe.expert_bias else 0)
    router = h * moe.n_routed_experts + (moe.n_routed_experts if moe.expert_bias else 0)
    shared = 3 * h * moe.shared_intermediate_size
    k = moe.top_k
    return Block(
        kind=BlockKind.MOE,
        layer=layer,
        dense_params=router + shared + h,
        expert_params=expert,
        n_experts=moe.n_routed_experts,
        top_k=k,
        linear_flops_per_token=2.0 * (router + shared + k * 3 * h * inter),
        # O-projection output to router, A2E dispatch, expert gate/up -> down, E2A return
        comm_payload_elems=(h, k * h, k * inter + moe.shared_intermediate_size, k * h),
    )


def build_model(arch: ModelArch) -> Model:
    """Split a model into embedding, per-layer attention and FFN blocks, and LM head."""
    h, v = arch.hidden_size, arch.vocab_size
    blocks: list[Block] = [
        Block(BlockKind.EMBEDDING, -1, dense_params=h * v, linear_flops_per_token=0.0, comm_payload_elems=(h,))
    ]
    for layer in range(arch.n_layers):
        blocks.append(_attention_block(arch, layer))
        blocks.append(_ffn_block(arch, layer))
    # A tied LM head still reads the whole vocabulary matrix for every token. Tokens flow one
    # way through a spatial pipeline, so the head (at its end) holds its own copy of the
    # embedding matrix (at its start); param_count counts the shared matrix once.
    blocks.append(
        Block(
            BlockKind.LM_HEAD,
            arch.n_layers,
            dense_params=h * v + h,  # + final RMSNorm
            linear_flops_per_token=2.0 * h * v,
            comm_payload_elems=(h,),
        )
    )
    return Model(arch=arch, blocks=tuple(blocks))


# --- whole-model figures -------------------------------------------------------------


def param_count(model: Model) -> float:
    """Distinct parameters (a tied embedding matrix counts once)."""
    shared = model.arch.hidden_size * model.arch.vocab_size if model.arch.tie_embeddings else 0
    return sum(b.total_params for b in model.blocks) - shared


def active_param_count(model: Model) -> float:
    return sum(b.active_params for b in model.blocks if b.kind is not BlockKind.EMBEDDING)


def weight_bytes(model: Model, p: Precisions) -> float:
    return param_count(model) * p.weights.bytes_per_elem


def kv_bytes_per_token(model: Model, p: Precisions) -> float:
    """KV bytes one decoded token appends, over all layers."""
    return sum(b.kv_elems_per_token for b in model.blocks) * p.kv.bytes_per_elem


def kv_read_bytes_per_token(model: Model, p: Precisions, context: int) -> float:
    """KV bytes one decoded token reads at context ``context`` (windows respected)."""
    # (W8)
    total = 0.0
    for b in model.blocks:
        if b.kv_elems_per_token:
            n = context if b.window is None else min(context, b.window)
            total += b.kv_elems_per_token * n
    return total * p.kv.bytes_per_elem


def flops_per_token(model: Model, context: int) -> float:
    total = 0.0
    for b in model.blocks:
        n = context if b.window is None else min(context, b.window)
        total += b.linear_flops_per_token + b.attn_flops_per_ctx_token * n
    return total


def comm_stages_per_token(model: Model) -> int:
    return sum(b.comm_stages for b in model.blocks)

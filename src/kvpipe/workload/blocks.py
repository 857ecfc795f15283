"""The units of a model that the mapper places onto chips.

A *block* is one attention or feed-forward sub-layer (or the embedding / LM head). All
counts are in elements and parameters, independent of precision; byte figures are derived
with a :class:`~kvpipe.workload.precision.Precisions` by the functions in ``model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class BlockKind(str, Enum):
    EMBEDDING = "embedding"
    ATTENTION = "attention"
    MLP = "mlp"
    MOE = "moe"
    LM_HEAD = "lm_head"


@dataclass(frozen=True)
class Block:
    """One placeable sub-layer.

    Parameters
    ----------
    kind, layer:
        What the block is and which decoder layer it belongs to (-1 for embedding,
        ``n_layers`` for the LM head).
    dense_params:
        Parameters every decoded token reads (attention projections, router, shared
        experts, a dense MLP, the LM head).
    expert_params:
        Parameters of *one* routed expert (0 for non-MoE blocks).
    n_experts, top_k:
        Routed experts held by the block and how many each token activates.
    linear_flops_per_token:
        FLOPs of the matrix multiplies for one token (2 per active parameter);
        embedding lookups count 0.
    attn_flops_per_ctx_token:
        Attention FLOPs (scores and weighted sum) per token of context attended.
    kv_elems_per_token:
        KV-cache elements this layer stores per token (0 for non-attention blocks).
    window:
        Sliding-window length in tokens, or ``None`` for full attention: the layer reads the
        KV of ``min(context, window)`` tokens.
    comm_payload_elems:
        Activation elements each communication stage of the block hands on, in order; one
        entry per stage. Their count is the block's number of communication stages.
    """

    kind: BlockKind
    layer: int
    dense_params: float
    linear_flops_per_token: float
    comm_payload_elems: tuple[float, ...]
    expert_params: float = 0.0
    n_experts: int = 0
    top_k: int = 0
    attn_flops_per_ctx_token: float = 0.0
    kv_elems_per_token: float = 0.0
    window: int | None = None

    @property
    def total_params(self) -> float:
        return self.dense_params + self.n_experts * self.expert_params

    @property
    def active_params(self) -> float:
        """Parameters one token reads."""
        return self.dense_params + self.top_k * self.expert_params

    @property
    def comm_stages(self) -> int:
        return len(self.comm_payload_elems)

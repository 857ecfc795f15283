"""Placing a model onto SRAM chips and grouping them into pipeline stages.

Rule (docs/model.md, "Mapping"):

1. Blocks are laid out in order, chip after chip, each chip holding
   ``usable_sram_fraction x sram_bytes`` of weights; a block may straddle a chip edge (its
   matrices are split by columns). Chips = ceil(total weight bytes / usable bytes per chip):
   "x N until the model fits".
2. Chip groups are the pipeline stages: the embedding, then ``layers_per_group`` consecutive
   decoder layers per group, then the LM head. A group owns the chip-equivalents its weights
   occupy, and with them a proportional share of the chips' compute, SRAM bandwidth and links.
3. The KV of a layer lives in the DRAM attached to the group holding that layer.

Groups that are identical are merged into one :class:`GroupClass` with a count, so the perf
model loops over a handful of classes, not over every stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from kvpipe.hardware.parts import Chip
from kvpipe.system import MappingOptions
from kvpipe.workload.blocks import Block, BlockKind
from kvpipe.workload.model import Model
from kvpipe.workload.precision import Precisions


class MappingError(ValueError):
    """The model cannot be placed under the given limits."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class GroupClass:
    """A set of identical chip groups (pipeline stages) and what one token asks of each.

    Context-dependent figures are stored per distinct attention window: the value for
    context ``c`` is ``sum_w coef[w] * min(c, window[w])`` (``window = inf`` for full
    attention), with the windows listed in :attr:`Placement.windows`.
    """

    count: int
    layers: int
    chips: float  # chip-equivalents the group owns: its weights' share of SRAM (M4), or more (M5)
    weight_bytes: float  # resident in SRAM
    dense_read_bytes: float  # weight bytes every micro-batch reads once (shared by its tokens)
    token_read_bytes: float  # weight bytes each token reads for itself (embedding rows)
    expert_bytes_per_layer: float  # bytes of one routed expert, summed over the group's MoE layers
    linear_flops: float  # per token, at the weight precision
    attn_flops_coef: tuple[float, ...]  # per context token and window, at the KV precision
    kv_coef_bytes: tuple[float, ...]  # KV bytes per context token and window
    kv_write_bytes: float  # KV bytes appended per token
    link_bytes: float  # activation bytes handed on per token
    comm_stages: int

    @property
    def has_kv(self) -> bool:
        return self.kv_write_bytes > 0


@dataclass(frozen=True)
class Placement:
    model_name: str
    chips: int
    usable_bytes_per_chip: float
    total_weight_bytes: float
    windows: tuple[float, ...]  # distinct attention windows, math.inf for full attention
    n_experts: int  # routed experts per MoE layer (0: dense model)
    top_k: int
    classes: tuple[GroupClass, ...]

    @property
    def stages(self) -> int:
        return sum(c.count for c in self.classes)

    @property
    def kv_groups(self) -> int:
        return sum(c.count for c in self.classes if c.has_kv)

    @property
    def comm_stages_per_token(self) -> int:
        return sum(c.count * c.comm_stages for c in self.classes)


def _window_key(b: Block) -> float:
    return math.inf if b.window is None else float(b.window)


def model_windows(model: Model) -> tuple[float, ...]:
    """The distinct attention windows of a model's KV-holding layers (``inf``: full attention)."""
    return tuple(sorted({_window_key(b) for b in model.blocks if b.kv_elems_per_token}) or [math.inf])


def _is_lookup(b: Block) -> bool:
    # an embedding lookup reads one row per token; every other block reads all its dense weights
    return b.kind is BlockKind.EMBEDDING


def _group(
    blocks: list[Block], model: Model, p: Precisions, windows: tuple[float, ...], usable: float,
    stages_per_layer: int | None,
) -> GroupClass:
    wb, kvb, ab = p.weights.bytes_per_elem, p.kv.bytes_per_elem, p.activations.bytes_per_elem
    attn = [0.0] * len(windows)
    kv = [0.0] * len(windows)
    for b in blocks:
        if not (b.kv_elems_per_token or b.attn_flops_per_ctx_token):
            continue  # no context-dependent work (MLP, MoE, embedding, LM head): no window to file it under
        i = windows.index(_window_key(b))
        attn[i] += b.attn_flops_per_ctx_token
        kv[i] += b.kv_elems_per_token * kvb
    layers = len({b.layer for b in blocks if b.kind in (BlockKind.ATTENTION, BlockKind.MLP, BlockKind.MOE)})
    stages = sum(b.comm_stages for b in blocks)
    if stages_per_layer is not None and layers:
        stages = stages_per_layer * layers
    weight = sum(b.total_params for b in blocks) * wb
    return GroupClass(
        count=1,
        layers=layers,
        chips=weight / usable,  # (M4)
        weight_bytes=weight,
        dense_read_bytes=sum(b.dense_params for b in blocks if not _is_lookup(b)) * wb,
        token_read_bytes=sum(model.arch.hidden_size for b in blocks if _is_lookup(b)) * wb,
        expert_bytes_per_layer=sum(b.expert_params for b in blocks if b.kind is BlockKind.MOE) * wb,
        linear_flops=sum(b.linear_flops_per_token for b in blocks),
        attn_flops_coef=tuple(attn),
        kv_coef_bytes=tuple(kv),
        kv_write_bytes=sum(b.kv_elems_per_token for b in blocks) * kvb,
        link_bytes=sum(sum(b.comm_payload_elems) for b in blocks) * ab,
        comm_stages=stages,
    )


def _balance_compute(
    groups: list[GroupClass], chip: Chip, p: Precisions, windows: tuple[float, ...], context: int, top_k: int
) -> list[GroupClass]:
    """(M5) Give every group at least the chip-equivalents that make its processing per token
    (compute at ``context`` or SRAM weight streaming at the weight delivery bandwidth P12,
    whichever is longer, micro-batch 1) as
    fast as in the most common group, whose chips follow its weights."""

    def chip_seconds(g: GroupClass) -> float:  # processing time per token on one whole chip
        attn = sum(c * min(context, w) for c, w in zip(g.attn_flops_coef, windows, strict=True))
        compute = g.linear_flops / chip.flop_rate(p.weights) + attn / chip.flop_rate(p.kv)
        sram = (g.dense_read_bytes + g.expert_bytes_per_layer * top_k + g.token_read_bytes) / chip.weight_bw_bytes_per_s
        return max(compute, sram)

    counts: dict[GroupClass, int] = {}
    for g in groups:
        if g.layers:
            counts[g] = counts.get(g, 0) + 1
    if not counts:
        return groups
    reference = max(counts, key=lambda g: (counts[g], g.chips))
    t_ref = chip_seconds(reference) / reference.chips
    if t_ref <= 0:
        return groups
    return [replace(g, chips=max(g.chips, chip_seconds(g) / t_ref)) for g in groups]


def _split_groups(model: Model, layers_per_group: int) -> list[list[Block]]:
    # (M3) embedding | layers_per_group layers | ... | LM head
    groups: list[list[Block]] = []
    current: list[Block] = []
    layer_of_group_start = 0
    for b in model.blocks:
        if b.kind in (BlockKind.EMBEDDING, BlockKind.LM_HEAD):
            if current:
                groups.append(current)
                current = []
            groups.append([b])
            continue
        if current and b.layer - layer_of_group_start >= layers_per_group:
            groups.append(current)
            current = []
        if not current:
            layer_of_group_start = b.layer
        current.append(b)
    if current:
        groups.append(current)
    return groups


def _merge(groups: list[GroupClass]) -> tuple[GroupClass, ...]:
    merged: dict[GroupClass, int] = {}
    for g in groups:
        merged[g] = merged.get(g, 0) + 1
    return tuple(replace(g, count=n) for g, n in merged.items())


def place(model: Model, p: Precisions, chip: Chip, options: MappingOptions) -> Placement:
    """Place ``model`` onto copies of ``chip``; raise :class:`MappingError` if it cannot fit."""
    if not 0.0 < options.usable_sram_fraction <= 1.0:
        raise MappingError("mapping.usable_sram_fraction", "must be in (0, 1]")
    if options.layers_per_group < 1:
        raise MappingError("mapping.layers_per_group", "must be at least 1")
    usable = chip.sram_bytes * options.usable_sram_fraction  # (M1)
    if usable <= 0:
        raise MappingError("chip.sram", "a chip without SRAM cannot hold weights")
    windows = model_windows(model)
    groups = [
        _group(bs, model, p, windows, usable, options.comm_stages_per_layer)
        for bs in _split_groups(model, options.layers_per_group)
    ]
    if options.balance_context_tokens is not None:
        top_k = model.arch.moe.top_k if model.arch.moe else 0
        groups = _balance_compute(groups, chip, p, windows, options.balance_context_tokens, top_k)
    total = sum(g.weight_bytes for g in groups)
    chips = max(math.ceil(total / usable - 1e-9), math.ceil(sum(g.chips for g in groups) - 1e-9))  # (M2)
    if options.max_chips is not None and chips > options.max_chips:
        raise MappingError(
            "mapping.max_chips",
            f"{model.name} needs {chips} chips of {usable / 1e9:.3g} GB usable SRAM "
            f"({total / 1e9:.4g} GB of weights) but at most {options.max_chips} are allowed",
        )
    moe = model.arch.moe
    return Placement(
        model_name=model.name,
        chips=chips,
        usable_bytes_per_chip=usable,
        total_weight_bytes=total,
        windows=windows,
        n_experts=moe.n_routed_experts if moe else 0,
        top_k=moe.top_k if moe else 0,
        classes=_merge(groups),
    )

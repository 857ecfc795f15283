"""Workload: model architectures, precisions and per-token decode figures."""

from kvpipe.workload.arch import ArchError, MLAConfig, ModelArch, MoEConfig, parse_arch
from kvpipe.workload.blocks import Block, BlockKind
from kvpipe.workload.model import (
    Model,
    active_param_count,
    build_model,
    comm_stages_per_token,
    flops_per_token,
    kv_bytes_per_token,
    kv_read_bytes_per_token,
    param_count,
    weight_bytes,
)
from kvpipe.workload.precision import Precision, Precisions

__all__ = [
    "ArchError", "Block", "BlockKind", "MLAConfig", "Model", "ModelArch", "MoEConfig", "Precision",
    "Precisions", "active_param_count", "build_model", "comm_stages_per_token", "flops_per_token",
    "kv_bytes_per_token", "kv_read_bytes_per_token", "param_count", "parse_arch", "weight_bytes",
]

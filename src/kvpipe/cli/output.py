"""Turning results into JSON objects and rich tables (the CLI's edge)."""

from __future__ import annotations

import math
from typing import Any

from kvpipe.perf.result import Limit, PerfResult
from kvpipe.system import Workload


def json_number(x: Any) -> float | int | None:
    v = float(x)
    if not math.isfinite(v):
        return None
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def evaluation_json(system: Any, r: Any) -> dict[str, Any]:
    """The stable JSON object of ``kvpipe evaluate --json`` (SI units); a GPU system's result
    (:class:`~kvpipe.perf.gpu.GpuResult`) gives the same keys plus its own."""
    from kvpipe.perf.gpu import GpuResult

    if isinstance(r, GpuResult):
        return gpu_evaluation_json(system, r)
    return _evaluation_json(system.name, system.model.name, system.kv_memory.tech.name, system.workload, r)


def gpu_evaluation_json(system: Any, gr: Any) -> dict[str, Any]:
    """``evaluate --json`` of a GPU system: the common keys (a GPU is a chip and a KV group;
    its HBM is the KV memory), plus ``binding_detail``, ``gpu``, ``parallelism``,
    ``step_time_s`` (one stage step and its parts) and ``utilisation`` (docs/gpu.md)."""
    out = _evaluation_json(system.name, system.model.name, f"{system.gpu.name} HBM", system.workload, gr.perf)
    out["binding_detail"] = str(gr.detail_labels())
    out["gpu"] = system.gpu.name
    out["link"] = system.link.name
    out["parallelism"] = {
        "tensor": system.parallelism.tensor,
        "pipeline": system.parallelism.pipeline,
        "gpus": system.parallelism.gpus,
        "usable_hbm_fraction": system.parallelism.usable_hbm_fraction,
    }
    out["micro_batch"] = json_number(gr.micro_batch)
    out["step_time_s"] = {k: json_number(v) for k, v in gr.step_breakdown().items()}
    out["utilisation"] = json_number(gr.utilisation)
    out["hbm_weights_bytes_per_gpu"] = json_number(gr.hbm_weights_bytes_per_gpu)
    return out


def _evaluation_json(name: str, model: str, kv_memory: str, workload: Workload, r: PerfResult) -> dict[str, Any]:
    return {
        "system": name,
        "model": model,
        "kv_memory": kv_memory,
        "chips": r.chips,
        "stages": r.stages,
        "kv_groups": r.kv_groups,
        "comm_stages_per_token": r.comm_stages_per_token,
        "users": json_number(r.users),
        "users_in_flight": json_number(r.users_in_flight),
        "context_tokens": workload.context_tokens,
        "micro_batch": workload.micro_batch,
        "latency_s": json_number(r.latency_s),
        "time_per_token_s": json_number(r.time_per_token_s),
        "tokens_per_s_per_user": json_number(r.tokens_per_s_per_user),
        "tokens_per_s": json_number(r.tokens_per_s),
        "joules_per_token": json_number(r.joules_per_token),
        "power_w": json_number(r.power_w),
        "energy_breakdown_j_per_token": {k: json_number(v) for k, v in r.energy.as_dict().items()},
        "kv_bytes_per_token": json_number(r.kv_bytes_per_token),
        "kv_read_bytes_per_token": json_number(r.kv_read_bytes_per_token),
        "kv_capacity_demand_bytes_per_group": json_number(r.kv_capacity_demand_bytes_per_group),
        "kv_capacity_supply_bytes_per_group": json_number(r.kv_capacity_supply_bytes_per_group),
        "kv_bw_demand_bytes_per_s_per_group": json_number(r.kv_bw_demand_bytes_per_s_per_group),
        "kv_bw_supply_bytes_per_s_per_group": json_number(r.kv_bw_supply_bytes_per_s_per_group),
        "kv_bw_to_capacity_ratio_per_s": json_number(
            r.kv_read_bw_demand_bytes_per_s_per_group / r.kv_capacity_demand_bytes_per_group
        ),
        "max_tokens_per_s": {
            "compute": json_number(r.max_tokens_per_s_compute),
            "kv_bandwidth": json_number(r.max_tokens_per_s_kv_bandwidth),
            "links": json_number(r.max_tokens_per_s_links),
        },
        "max_users_kv_capacity": json_number(r.max_users_kv_capacity),
        "binding_limit": Limit(int(r.binding_limit)).label,
    }

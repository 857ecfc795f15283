"""Turning results into JSON objects and rich tables (the CLI's edge)."""

from __future__ import annotations

import math
from typing import Any

from kvpipe.perf.gpu import GpuResult
from kvpipe.perf.hetero import HeteroResult
from kvpipe.perf.result import Limit, PerfResult
from kvpipe.system import GpuSystem, HeteroSystem, System, Workload


def json_number(x: Any) -> float | int | None:
    v = float(x)
    if not math.isfinite(v):
        return None
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def spatial_evaluation_json(system: System, r: PerfResult) -> dict[str, Any]:
    """The stable JSON object of ``kvpipe evaluate --json`` for a spatial system (SI units);
    the other system kinds give the same keys plus their own."""
    return _evaluation_json(system.name, system.model.name, system.kv_memory.tech.name, system.workload, r)


def gpu_evaluation_json(system: GpuSystem, gr: GpuResult) -> dict[str, Any]:
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
    out["hbm_bw_peak_bytes_per_s_per_gpu"] = json_number(gr.hbm_bw_peak_bytes_per_s)
    out["hbm_bw_achievable_bytes_per_s_per_gpu"] = json_number(gr.hbm_bw_achievable_bytes_per_s)
    return out


def hetero_evaluation_json(system: HeteroSystem, hr: HeteroResult) -> dict[str, Any]:
    """``evaluate --json`` of a heterogeneous system: the common keys (``chips`` counts both
    sides' devices; a KV group is one attention device; ``micro_batch`` is the attention batch), plus ``binding_side``, each side's
    devices, batch, bound and utilisation, and the A2E/E2A link's times (docs/afd.md)."""
    a, f = system.attention, system.ffn
    kv = f"{a.gpu.name} {a.kv_memory}"
    out = _evaluation_json(system.name, system.model.name, kv, system.workload, hr.perf)
    out["micro_batch"] = json_number(hr.attention_batch)
    out["max_tokens_per_s"]["a2e_link"] = json_number(hr.max_tokens_per_s_a2e)
    out["binding_side"] = str(hr.side_labels())
    out["attention"] = {
        "device": a.gpu.name,
        "devices": a.devices,
        "kv_memory": a.kv_memory,
        "batch": json_number(hr.attention_batch),
        "binding_detail": str(hr.attention.detail_labels()),
        "hbm_bw_peak_bytes_per_s_per_gpu": json_number(hr.attention.hbm_bw_peak_bytes_per_s),
        "hbm_bw_achievable_bytes_per_s_per_gpu": json_number(hr.attention.hbm_bw_achievable_bytes_per_s),
        "max_tokens_per_s": json_number(hr.max_tokens_per_s_attention),
        "utilisation": json_number(hr.utilisation_attention),
    }
    out["ffn"] = {
        "device": f.chip.name,
        "chips": hr.ffn_chips,
        "link": f.link.name,
        "micro_batch": json_number(hr.ffn_batch),
        "max_tokens_per_s": json_number(hr.max_tokens_per_s_ffn),
        "utilisation": json_number(hr.utilisation_ffn),
    }
    out["a2e_link"] = {
        "link": system.a2e_link.name,
        "crossing_s": json_number(hr.t_a2e_s),
        "crossings_per_token": 2 * system.model.n_layers,
        "share_of_token_latency": json_number(hr.a2e_share),
        "max_tokens_per_s": json_number(hr.max_tokens_per_s_a2e),
        "utilisation": json_number(hr.utilisation_a2e),
    }
    out["step_time_s"] = {k: json_number(v) for k, v in hr.step_breakdown().items()}
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

"""Turning results into JSON objects and rich tables (the CLI's edge)."""

from __future__ import annotations

import math
from typing import Any

from kvpipe.perf.result import Limit, PerfResult
from kvpipe.system import System


def json_number(x: Any) -> float | int | None:
    v = float(x)
    if not math.isfinite(v):
        return None
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def evaluation_json(system: System, r: PerfResult) -> dict[str, Any]:
    """The stable JSON object of ``kvpipe evaluate --json`` (SI units)."""
    return {
        "system": system.name,
        "model": system.model.name,
        "kv_memory": system.kv_memory.tech.name,
        "chips": r.chips,
        "stages": r.stages,
        "kv_groups": r.kv_groups,
        "comm_stages_per_token": r.comm_stages_per_token,
        "users": json_number(r.users),
        "users_in_flight": json_number(r.users_in_flight),
        "context_tokens": system.workload.context_tokens,
        "micro_batch": system.workload.micro_batch,
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

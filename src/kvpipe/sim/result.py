"""The typed result of a simulation: its metrics and the records they come from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kvpipe.sim.records import RequestRecords, TimelineLog
from kvpipe.sim.requests import FloatArray

if TYPE_CHECKING:
    from kvpipe.sim.metrics import SimMetrics


@dataclass(frozen=True, eq=False)
class SimResult:
    system_name: str
    mode: str
    slots: int
    micro_batch: int
    metrics: SimMetrics
    requests: RequestRecords
    timeline: TimelineLog | None
    group_classes: tuple[int, ...]  # groups per class, in pipeline order of first appearance
    events: int
    group_class_names: tuple[str, ...] = ()  # what each class holds (see class_names)

    def latency_cdf(self, which: str) -> tuple[FloatArray, FloatArray]:
        """Sorted latencies of finished requests and their cumulative fractions, for plotting.

        ``which``: ``"ttft"``, ``"tpot"``, ``"e2e"`` or ``"queueing"``.
        """
        if which not in ("ttft", "tpot", "e2e", "queueing"):
            raise ValueError(f"unknown latency {which!r}")
        x = getattr(self.requests, f"{which}_s")
        x = np.sort(x[~np.isnan(x)])
        return x, np.arange(1, len(x) + 1) / max(len(x), 1)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"system": self.system_name, "mode": self.mode, "slots": self.slots,
                               "micro_batch": self.micro_batch}
        out.update(self.metrics.to_json())
        if self.group_class_names:
            out["utilization"]["group_names"] = list(self.group_class_names)
        out["events"] = self.events
        return out

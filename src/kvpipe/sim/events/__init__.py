"""The events of a serving simulation, one type per module.

Priorities order events that happen at the same instant: the pipeline's own progress first,
then first tokens, finishes (which free seats and KV), preemptions, arrivals, and the start
of a unit's next cycle last (so it carries everyone admitted at that instant).
"""

from kvpipe.sim.events.arrival import Arrival
from kvpipe.sim.events.cycle_done import CycleDone
from kvpipe.sim.events.cycle_start import CycleStart
from kvpipe.sim.events.pipeline_step import PipelineStep
from kvpipe.sim.events.preemption import Preemption
from kvpipe.sim.events.prefill_done import PrefillDone
from kvpipe.sim.events.request_finished import RequestFinished
from kvpipe.sim.events.snapshot import Snapshot
from kvpipe.sim.events.stage_done import StageDone
from kvpipe.sim.events.stop import Stop

__all__ = [
    "Arrival", "CycleDone", "CycleStart", "PipelineStep", "PrefillDone", "Preemption", "RequestFinished",
    "Snapshot", "StageDone", "Stop",
]

"""The events of a serving simulation, one type per module, and their registry.

An event is a small dataclass with a ``time``, a class-level ``priority`` and
``handle(sim) -> the events it schedules`` (:class:`kvpipe.sim.loop.Event`). Priorities order
events that happen at the same instant: the pipeline's own progress first, then first tokens,
finishes (which free seats and KV), preemptions, arrivals, and the start of a unit's next
cycle last (so it carries everyone admitted at that instant).

The registry is the import list below, one line per event: adding an event is its module
here plus its line (docs/sim.md, "Adding an event").
"""

from kvpipe.sim.events.arrival import Arrival as Arrival
from kvpipe.sim.events.cycle_done import CycleDone as CycleDone
from kvpipe.sim.events.cycle_start import CycleStart as CycleStart
from kvpipe.sim.events.pipeline_step import PipelineStep as PipelineStep
from kvpipe.sim.events.preemption import Preemption as Preemption
from kvpipe.sim.events.prefill_done import PrefillDone as PrefillDone
from kvpipe.sim.events.request_finished import RequestFinished as RequestFinished
from kvpipe.sim.events.snapshot import Snapshot as Snapshot
from kvpipe.sim.events.stage_done import StageDone as StageDone
from kvpipe.sim.events.stop import Stop as Stop

# every event type imported above (the classes defined in this package's modules), in
# priority order
EVENT_TYPES: tuple[type, ...] = tuple(sorted(
    (obj for obj in list(globals().values()) if isinstance(obj, type) and obj.__module__.startswith(f"{__name__}.")),
    key=lambda cls: (getattr(cls, "priority"), cls.__name__),
))

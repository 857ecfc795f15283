"""Every event module registers its event; events return what they schedule instead of
scheduling it themselves."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
from toy import toy_system

import kvpipe.sim.events as events
from kvpipe.sim import Requests, SimConfig, Simulation
from kvpipe.sim.events import EVENT_TYPES, Arrival, RequestFinished


def test_each_event_module_defines_one_registered_event():
    defined = []
    for info in pkgutil.iter_modules(events.__path__):
        mod = importlib.import_module(f"{events.__name__}.{info.name}")
        # the module's own classes, less the protocol naming what the event asks of its pipeline
        own = [v for v in vars(mod).values()
               if isinstance(v, type) and v.__module__ == mod.__name__ and not getattr(v, "_is_protocol", False)]
        assert len(own) == 1, (info.name, own)
        defined.append(own[0])
    assert set(defined) == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == 10


def test_registry_is_in_priority_order():
    prio = [cls.priority for cls in EVENT_TYPES]
    assert prio == sorted(prio)
    assert EVENT_TYPES[0].__name__ == "StageDone" and EVENT_TYPES[-1].__name__ == "Stop"


def test_arrival_returns_the_next_arrival_and_admits():
    # two requests, one seat: the first arrival returns the second's arrival and takes the
    # seat; the pipeline (fast mode) has nothing to schedule yet, it plans when asked
    sim = Simulation(toy_system(users=1), Requests.of([0.0, 0.5], [5, 5], [3, 3]), SimConfig())
    (first,) = sim.traffic.start()
    assert isinstance(first, Arrival) and first.request == 0
    out = first.handle(sim.serving)
    assert [(type(e).__name__, e.time, e.request) for e in out] == [("Arrival", 0.5, 1)]
    assert sim.admission.n_running == 1 and len(sim.admission.queue) == 0
    assert sim.requests.admit_s[0] == 0.0
    assert sim.pipeline.dirty and len(sim.loop) == 0  # nothing was scheduled behind the loop's back
    second = out[0]
    assert second.handle(sim.serving) == []  # no seat: it waits in the queue
    assert list(sim.admission.queue) == [1]
    # the first finishes: its seat and KV go to the second
    done = RequestFinished(1.0, 0, 0)
    sim.seats.vacate(0)
    assert done.handle(sim.serving) == []
    assert sim.requests.finish_s[0] == 1.0 and sim.requests.admit_s[1] == 1.0
    assert sim.admission.n_running == 1 and not sim.admission.queue
    assert np.all(sim.ledger.used >= 0)

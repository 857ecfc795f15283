import gc
import sys
from pathlib import Path

import pytest

# let test modules share small helpers (tests/toy.py) without making tests a package
sys.path.insert(0, str(Path(__file__).parent))

# Fixtures that many tests read and that take seconds to build once per test process: a whole
# seed study (tests/cli/test_study_seed.py) and a written report (tests/report/conftest.py).
SHARED_COSTLY_FIXTURES = frozenset({"seed_out", "written"})
# Modules queued next, in this order: tests of a second or more each, slowest first (the kill
# tests run the CLI a dozen times; the fuzz tests draw hundreds of inputs; one simulation runs
# both engines into preemption), with the clock tests beside the kill tests, whose forked CLI
# server (tests/forked_cli.py, half a second to start) they use.
FRONT_MODULES = ("test_kill.py", "test_sim_clock_resolution.py", "test_fuzz.py", "test_sim_preempt_zero_headroom.py")


def _queue_rank(item: pytest.Item) -> int:
    if not SHARED_COSTLY_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
        return 0
    name = item.path.name
    return 1 + (FRONT_MODULES.index(name) if name in FRONT_MODULES else len(FRONT_MODULES))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that use a shared costly fixture run first, then those of FRONT_MODULES; the rest
    in the collection's order. `make test`'s xdist workers (--dist worksteal) take half of each
    other's queue from its end when idle (leaving the last two): tests at the front stay on the
    worker that builds the fixture, which builds it once, and no worker is left with a slow test
    at the end."""
    items.sort(key=_queue_rank)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the collection imported and built (kvpipe, numpy, matplotlib, pydantic, hypothesis,
    the test modules and items: most of a worker's objects, alive to its end) is left out of the
    garbage collector's full passes, which otherwise walk it again and again (about 3 of the
    suite's 48 CPU seconds). Objects the tests make are collected as before."""
    gc.freeze()

import sys
from pathlib import Path

import pytest

# let test modules share small helpers (tests/toy.py) without making tests a package
sys.path.insert(0, str(Path(__file__).parent))

# Fixtures that many tests read and that take seconds to build once per test process: a whole
# seed study (tests/cli/test_study_seed.py) and a written report (tests/report/conftest.py).
SHARED_COSTLY_FIXTURES = frozenset({"seed_out", "written"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that use a shared costly fixture run first, in their own order. `make test`'s
    xdist workers (--dist worksteal) take half of each other's queue from its end when idle, so
    tests at the front of a queue stay on the worker that builds the fixture, which builds it once."""
    items.sort(key=lambda item: SHARED_COSTLY_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())))

"""The cycle model's compiled kernel is cached on disk, and compiling still works where no cache
directory is writable."""

from __future__ import annotations

from typing import Any

import pytest

from kvpipe.memory import cycle


def test_the_channel_kernel_is_cached_on_disk() -> None:
    numba_caching = pytest.importorskip("numba.core.caching")
    # numba gives a dispatcher compiled with cache=False a NullCache
    assert not isinstance(cycle._simulate_channel._cache, numba_caching.NullCache)


def test_no_writable_cache_directory_falls_back_to_compiling_in_memory() -> None:
    calls: list[bool] = []

    def jit(cache: bool) -> Any:
        calls.append(cache)
        if cache:  # what numba raises when no cache locator can write
            raise RuntimeError("cannot cache function 'f': no locator available for file 'f.py'")
        return lambda f: f

    def f(x: int) -> int:
        return 2 * x

    g = cycle.compiled(f, jit=jit)
    assert calls == [True, False]
    assert g(21) == 42

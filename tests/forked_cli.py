"""The CLI in a process of its own, forked from a server that has imported it once (used by
the kill tests and the simulator's clock tests).

Each run is a separate process running the CLI's ``main`` (what the ``kvpipe`` console script
runs), so it can be killed or time out like any other; a fresh interpreter would spend about
half a second of every run importing numpy, matplotlib and pydantic first. The server is
started by the first run of a test process and stops with it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import tempfile
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

SERVER = multiprocessing.get_context("forkserver")
# the CLI and what its explore, study and simulate commands import when they run
SERVER.set_forkserver_preload(["kvpipe.cli.main", "kvpipe.cli.run", "kvpipe.report.writer", "kvpipe.report.explore", "kvpipe.sim",
                               "kvpipe.report.sim_figures"])


def _cli(argv: list[str], out_path: str, err_path: str) -> None:
    """In the forked process: ``kvpipe ARGV`` with stdout and stderr to the two files."""
    from kvpipe.cli.main import main

    gc.freeze()  # the server's imports, inherited: left out of the collector's full passes (as in tests/conftest.py)
    os.dup2(os.open(out_path, os.O_WRONLY | os.O_TRUNC), 1)
    os.dup2(os.open(err_path, os.O_WRONLY | os.O_TRUNC), 2)
    sys.exit(main(argv))


def _temp_file(suffix: str) -> str:
    fd, path = tempfile.mkstemp(prefix="kvpipe-cli-", suffix=suffix)
    os.close(fd)
    return path


@dataclass(frozen=True)
class Finished:
    code: int  # the exit status; minus the signal's number for a killed run
    out: str
    err: str


class CliRun:
    """``kvpipe ARGV`` started in a process of its own."""

    def __init__(self, argv: list[str]) -> None:
        self.out_path, self.err_path = _temp_file(".stdout"), _temp_file(".stderr")
        self.process: BaseProcess = SERVER.Process(target=_cli, args=(argv, self.out_path, self.err_path), daemon=True)
        self.process.start()

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def poll(self) -> int | None:
        """The exit status, or None while it runs."""
        return self.process.exitcode

    def wait(self, timeout_s: float) -> Finished:
        """Wait for the run; one still running after ``timeout_s`` is killed and fails the test."""
        self.process.join(timeout_s)
        timed_out = self.process.exitcode is None
        if timed_out:
            self.process.kill()
            self.process.join()
        out, err = (Path(p).read_text(encoding="utf-8", errors="replace") for p in (self.out_path, self.err_path))
        for p in (self.out_path, self.err_path):
            os.unlink(p)
        assert not timed_out, f"kvpipe still running after {timeout_s} s; stderr:\n{err[-2000:]}"
        assert self.process.exitcode is not None
        return Finished(self.process.exitcode, out, err)


def run_cli(*argv: str, timeout_s: float) -> Finished:
    """``kvpipe ARGV`` to its end; a run still going after ``timeout_s`` fails the test."""
    return CliRun(list(argv)).wait(timeout_s)

"""Progress bars: on stderr when it is a terminal, never with --quiet or when stderr is a file or pipe."""

from __future__ import annotations

import io

import pytest

from kvpipe.cli.progress import progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("tty", "quiet", "shown"), [(True, False, True), (True, True, False), (False, False, False)])
def test_a_bar_only_on_a_terminal_without_quiet(monkeypatch: pytest.MonkeyPatch, tty: bool, quiet: bool, shown: bool) -> None:
    err = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    with progress_bar("explore", 1000, quiet=quiet, show_count=True) as update:
        update(250)
        update(1000, "writing points.npz")
    text = err.getvalue()
    assert ("writing points.npz" in text and "1000/1000" in text) is shown
    assert bool(text) is shown


def test_a_study_reports_every_step(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # one model (MoE: no second model is added), five comparisons (GPU servers, memory devices,
    # designs, uncertainty, budgets), then one step per figure; the total is known from the figures
    # on and equals the number of steps reported
    from kvpipe.catalog import system_yaml
    from kvpipe.cli import run as cli_run
    from kvpipe.report import writer

    monkeypatch.setattr(writer, "seed_figure_pngs", _counted_fake_pngs)
    moe = tmp_path / "moe.yaml"
    moe.write_text(system_yaml("seed").replace("model: llama-3.1-70b", "model: qwen3-30b-a3b"), encoding="utf-8")
    calls: list[tuple[float, str | None, float | None]] = []
    cli_run.run_study("seed", tmp_path / "out", moe, progress=lambda done, what=None, total=None: calls.append((done, what, total)))
    n = len(calls)
    assert [c[0] for c in calls] == list(range(n)) and n >= 6 + 6  # at least 4 model figures, GPU and memory ones
    assert calls[0][1] == "studying qwen3-30b-a3b" and calls[5][1] == "budgets" and calls[-1][1] == "drawing memory_compare"
    assert [c[2] for c in calls] == [None] * 6 + [n] * (n - 6)


def _counted_fake_pngs(seed, dpi=100, on_figure=None):
    from kvpipe.report.figures import seed_figure_count

    keys = [f"fig{i}" for i in range(seed_figure_count(seed) - 1)] + ["memory_compare"]
    for k in keys:
        on_figure(k)
    return {k: b"png" for k in keys}

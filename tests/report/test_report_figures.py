"""Figures: right kind of axes, units in labels, model and context in titles, readable PNGs."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from matplotlib.figure import Figure

from kvpipe.explore.seed_study import SeedStudy
from kvpipe.perf.inputs import inputs_from_system
from kvpipe.perf.spatial import evaluate
from kvpipe.report.figures import (
    fig_energy_vs_users,
    fig_kv_demand,
    fig_memory_techs,
    fig_throughput_vs_users,
)
from kvpipe.report.writer import SeedReportFiles


def _axes_with_data(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.has_data()]


def _check_common(fig: Figure, model: str, context: int, units_on: str = "y") -> None:
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    assert model in title
    assert f"{context:,} tokens" in title
    for ax in _axes_with_data(fig):
        assert ax.get_xlabel() and (ax.get_ylabel() or units_on == "x"), ax
        label = ax.get_ylabel() if units_on == "y" else ax.get_xlabel()
        assert "[" in label and "]" in label, label


@pytest.mark.parametrize("which", [0, 1])
def test_figures_axes_and_titles(seed: SeedStudy, which: int) -> None:
    s = seed.studies[which]
    h = s.headline
    ctx = s.system.workload.context_tokens

    f = fig_energy_vs_users(s)
    _check_common(f, h.model, ctx)
    ax = f.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlim() == pytest.approx((1, 10_000))
    assert "J/token" in ax.get_ylabel()

    f = fig_throughput_vs_users(s)
    _check_common(f, h.model, ctx)
    assert all(ax.get_xscale() == "log" for ax in f.axes[:2])
    assert "per user" in f.axes[0].get_ylabel() and "aggregate" in f.axes[1].get_ylabel()

    f = fig_kv_demand(s)
    _check_common(f, h.model, ctx)
    ax = f.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    texts = " ".join(t.get_text() for t in ax.texts)
    for t in s.techs:  # one labelled line per technology (inside the plotted range here)
        assert t.tech.name in texts
    assert "operating point" in texts

    f = fig_memory_techs(s)
    _check_common(f, h.model, ctx, units_on="x")
    assert all(ax.get_xscale() == "log" for ax in f.axes[:3])  # horizontal bars, log values
    assert [t.get_text() for t in f.axes[0].get_yticklabels()] == [t.tech.name for t in s.techs]
    assert "pJ/bit" in f.axes[1].get_xlabel() and "bytes/s" in f.axes[2].get_xlabel()


def test_kv_demand_accepts_plain_memory_techs(seed: SeedStudy) -> None:
    s = seed.primary
    fig = fig_kv_demand(s, [t.tech for t in s.techs])
    assert fig.axes[0].get_xscale() == "log"


def test_pngs_are_readable_size(written: SeedReportFiles) -> None:
    for key, path in written.figures.items():
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", key
        width, height = struct.unpack(">II", data[16:24])
        assert 900 <= width <= 2000 and 450 <= height <= 1200, (key, width, height)


@pytest.mark.parametrize("which", [0, 1])
def test_throughput_limit_changes_are_labelled_with_the_users_bracketing_them(seed: SeedStudy, which: int) -> None:
    """The users grid is log-spaced, so a change of binding limit lies between two grid points;
    the label gives both, and evaluating every user count between them (an independent scan)
    finds the change inside that bracket, to the limit the label names."""
    s = seed.studies[which]
    fig = fig_throughput_vs_users(s)
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("→")]
    assert labels, "no limit change annotated"
    base = inputs_from_system(s.system).with_(context_tokens=np.array([float(s.system.workload.context_tokens)]))
    for text in labels:
        limit, bracket = text[2:].split("\n@ ")
        lo, hi = (int(v.replace(",", "")) for v in bracket.removesuffix(" users").split("-"))
        assert lo < hi
        users = np.arange(lo, hi + 1, dtype=np.float64)
        r = evaluate(s.placement, base.with_(users=users))
        got = [str(v) for v in np.broadcast_to(r.binding_labels(), users.shape)]
        assert got[0] != limit.replace(" ", "_") and got[-1] == limit.replace(" ", "_"), (text, got[0], got[-1])


@pytest.mark.parametrize("which", [0, 1])
def test_throughput_limit_labels_stay_inside_their_axes(seed: SeedStudy, which: int) -> None:
    # a label hung below a point near the bottom of the per-user panel ran into the tick labels,
    # one right of a point near the right edge ran out of the panel
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = fig_throughput_vs_users(seed.studies[which])
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes[:2]:
        frame = ax.get_window_extent(renderer)
        for t in ax.texts:
            if t.get_text().startswith("→"):
                box = t.get_window_extent(renderer)
                assert frame.y0 <= box.y0 and box.y1 <= frame.y1, t.get_text()
                assert frame.x0 <= box.x0 and box.x1 <= frame.x1, t.get_text()

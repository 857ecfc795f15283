"""The seed report's comparison with GPU servers: figure, table and words."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kvpipe import catalog
from kvpipe.explore.baselines import compare_with_gpus
from kvpipe.explore.seed_study import SeedStudy
from kvpipe.report.baselines import FIGURE_KEY, comparison_rows, where_each_wins
from kvpipe.report.html import render_seed_html
from kvpipe.system import GpuSystem, Parallelism, Workload


def gpu(name: str, spatial_system) -> GpuSystem:
    g = catalog.gpu(name)
    return GpuSystem(f"{name}-x8", spatial_system.model, g, catalog.link(g.link), spatial_system.precisions,
                     Parallelism(tensor=8), Workload(users=1, context_tokens=8192))


@pytest.fixture(scope="module")
def cmp(seed: SeedStudy):
    s = seed.primary.system
    return compare_with_gpus(s, [gpu("h200", s), gpu("b200", s)], users=np.array([1.0, 16.0, 128.0, 1024.0, 8192.0]))


def test_sweeps_are_like_for_like(cmp, seed: SeedStudy) -> None:
    assert [s.kind for s in cmp.sweeps] == ["spatial", "gpu", "gpu"]
    assert cmp.model == seed.primary.system.model.name and cmp.context_tokens == 8192
    for s in cmp.sweeps:
        assert s.tokens_per_s.shape == (5,)
        ok = s.users_in_flight == s.users
        assert np.all(np.diff(s.tokens_per_s_per_user) <= 1e-9)
        assert np.all(np.diff(s.tokens_per_s[ok]) >= -1e-9)
    assert cmp.gpus[0].devices == 8


def test_table_and_words(cmp) -> None:
    rows = comparison_rows(cmp)
    assert len(rows) == 5 * 3 and rows[0][1] == cmp.spatial.name
    words = where_each_wins(cmp)
    assert len(words) == 4
    assert words[0].startswith("Tokens/s per user: best is") and "At one user" in words[0]
    assert "Per device at the largest load" in words[3]


def test_report_has_the_section_and_figure(cmp, seed: SeedStudy, monkeypatch) -> None:
    import kvpipe.report.figures as figures

    monkeypatch.setattr(figures, "study_figures", lambda study: {})  # only the comparison figure: fast
    study = replace(seed, gpu_comparison=cmp)
    pngs = figures.seed_figure_pngs(study)
    assert list(pngs) == [FIGURE_KEY] and len(pngs[FIGURE_KEY]) > 10_000
    page = render_seed_html(study, pngs)
    assert 'id="gpu-comparison"' in page and "Against GPU servers" in page
    assert "h200-x8" in page and "b200-x8" in page and "aggregate tokens/s" in page
    assert "lean in the GPUs' favour" in page  # the validated accuracy of the GPU model in this regime is stated
    assert "Other figures" not in page  # the comparison figure sits in its own section
    assert "gpu-comparison" not in render_seed_html(seed, {})  # no comparison, no section


def test_figure_axes_carry_units_and_the_legend_covers_no_curve(cmp) -> None:
    from kvpipe.report.baselines import fig_gpu_comparison

    fig = fig_gpu_comparison(cmp)
    for ax in fig.axes:
        label = ax.get_ylabel()
        assert "[" in label and "]" in label, label
        assert ax.get_legend() is None  # a legend inside a panel sat on the curves
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == len(cmp.sweeps)

"""The seed report's section on DRAM devices at the study's KV access pattern."""


from kvpipe import catalog
from kvpipe.config import seed_system
from kvpipe.explore.memory_compare import DemandPoint, DeviceStudy, compare_devices
from kvpipe.memory import kv_pattern
from kvpipe.report.memory_figures import FIGURE_KEY, fig_memory_compare, render_device_section


def _study() -> DeviceStudy:
    # the toy's KV: 2 KV heads x 16 x 2 (K and V) x 2 B = 128 B per token and layer
    rows = compare_devices([catalog.device("HBM3E"), catalog.device("FG-3D")], kv_pattern(1000, 128))
    return DeviceStudy(1000, 128.0, 1, rows, (DemandPoint("toy: 37 users", 5e6, 5e11),))


def test_section_lists_each_device_and_the_requirement():
    used: set[str] = set()
    html = render_device_section(_study(), {FIGURE_KEY: b"\x89PNG fake"}, used)
    assert "HBM3E" in html and "FG-3D" in html
    assert "toy: 37 users: 500 GB/s and 5 MB per reticle die" in html
    assert used == {FIGURE_KEY}
    assert "data:image/png;base64," in html


def test_figure_has_log_axes_and_units():
    fig = fig_memory_compare(_study())
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "[bytes]" in ax.get_xlabel() and "[bytes/s]" in ax.get_ylabel()


def test_short_runs_lose_bandwidth_to_activations():
    # the toy's runs (1000 tokens x 128 B = 128 kB) open a row per few bursts more often than the
    # seed's (8192 x 4096 B = 32 MB): fewer row hits and a lower effective bandwidth on HBM3E
    short, long = (compare_devices([catalog.device("HBM3E")], kv_pattern(c, b))[0] for c, b in ((1000, 128), (8192, 4096)))
    assert short.row_hit_rate <= long.row_hit_rate
    assert short.effective_bw_bytes_per_s <= long.effective_bw_bytes_per_s <= long.peak_bw_bytes_per_s


def test_section_names_the_catalog_memories_without_a_device():
    from dataclasses import replace

    html = render_device_section(replace(_study(), without_device=("hbm4e", "hybrid-bonded-3d-dram")), {}, set())
    assert "No device description, so no row" in html and "hbm4e, hybrid-bonded-3d-dram" in html
    assert "No device description" not in render_device_section(_study(), {}, set())


def test_device_labels_do_not_overlap():
    # every catalog memory's device at the seed's KV pattern, as `kvpipe memory compare` and the report draw it:
    # HBM3 and FGDRAM share 96 GB per die at 4.9 and 6 TB/s, and their labels used to overlap
    from dataclasses import replace

    from kvpipe.explore.memory_compare import device_study

    techs = [t for t in catalog.memories() if t.name != "ideal"]
    study = device_study(seed_system(), [], techs, list(catalog.devices().values()))
    rows = study.rows
    demands = (DemandPoint("llama-3.1-70b: 197 users", 6.63e9, 3.2e13), DemandPoint("deepseek-v3: 616 users", 4.34e8, 3.53e12))
    fig = fig_memory_compare(replace(study, demands=demands))
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    names = {f"{r.name} (" for r in rows}
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts if any(t.get_text().startswith(n) for n in names)]
    assert len(boxes) == len(rows)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)

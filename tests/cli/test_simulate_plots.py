from kvpipe.catalog import system_yaml
from kvpipe.cli.main import main


def test_simulate_writes_plots(capsys, tmp_path):
    p = tmp_path / "seed.yaml"
    p.write_text(system_yaml("seed"))
    out = tmp_path / "plots"
    code = main(["simulate", str(p), "--arrival-rate", "50", "--duration", "2 s", "--plots", str(out)])
    assert code == 0
    assert "plots:" in capsys.readouterr().out
    for name in ("latency_cdf.png", "power_occupancy.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

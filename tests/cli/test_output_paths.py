"""Output paths are checked before any work: a file where a directory goes (or the reverse), a
parent that is a file, a target another run is writing: exit 2 naming the flag, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvpipe.catalog import system_yaml
from kvpipe.cli.main import main
from kvpipe.report.files import staged_output

ROOT = Path(__file__).resolve().parents[2]
SWEEP = str(ROOT / "examples" / "explore" / "users-bandwidth.yaml")


@pytest.fixture
def seed_yaml(tmp_path: Path) -> str:
    p = tmp_path / "seed.yaml"
    p.write_text(system_yaml("seed"), encoding="utf-8")
    return str(p)


def _cases(tmp: Path, seed_yaml: str) -> list[tuple[list[str], str]]:
    f = tmp / "a_file"
    sim = ["simulate", seed_yaml, "--arrival-rate", "5", "--duration", "1 s"]
    return [
        (["study", "--out", str(f)], f"--out: {f}: exists and is not a directory"),
        (["explore", SWEEP, "--out", str(f / "x")], f"--out: {f / 'x'}: {f} is a file, not a directory"),
        ([*sim, "--timeline", str(tmp)], f"--timeline: {tmp}: is a directory; give a file name"),
        ([*sim, "--timeline", str(f / "t.json")], f"--timeline: {f / 't.json'}: {f} is a file, not a directory"),
        ([*sim, "--plots", str(f)], f"--plots: {f}: exists and is not a directory"),
        (["memory", "compare", "--out", str(f)], f"--out: {f}: exists and is not a directory"),
    ]


def test_bad_output_paths_exit_2_naming_the_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_yaml: str) -> None:
    (tmp_path / "a_file").write_text("keep me", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    for argv, message in _cases(tmp_path, seed_yaml):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2 and message in err and "Traceback" not in err, (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "a_file").read_text(encoding="utf-8") == "keep me"


def test_a_second_run_on_the_same_out_stops_at_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    with staged_output(out, "--out", command="explore"):  # another run holds the target
        code = main(["explore", SWEEP, "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and f"--out: {out}: another kvpipe run" in err
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]  # the holder's (empty) set only
    assert main(["explore", SWEEP, "--out", str(out), "--json"]) == 0  # then it is free
    assert f'"summary.json": "{out / "summary.json"}"' in capsys.readouterr().out

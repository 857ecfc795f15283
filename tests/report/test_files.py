"""staged_output: outputs swapped in whole, the user's files kept, stale staging removed, one run per target."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from kvpipe.report import files
from kvpipe.report.files import (
    MANIFEST_NAME,
    OutputPathError,
    check_output_path,
    file_sha256,
    staged_output,
    verify_output_dir,
)


def _write_set(target: Path, contents: dict[str, str], **kw: object) -> None:
    with staged_output(target, "--out", command="test", **kw) as stage:  # type: ignore[arg-type]
        for name, text in contents.items():
            (stage.path / name).write_text(text, encoding="utf-8")


def _names(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


@pytest.fixture(params=[True, False], ids=["exchange", "file-by-file"])
def exchange(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if not request.param:
        monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    return bool(request.param)


def test_a_new_set_replaces_the_old_one_and_keeps_the_users_files(tmp_path: Path, exchange: bool) -> None:
    out = tmp_path / "deep" / "out"
    _write_set(out, {"a.csv": "old a", "b.png": "old b"})
    assert _names(tmp_path) == ["deep"] and _names(out.parent) == ["out"]  # no lock or staging left
    doc = json.loads((out / MANIFEST_NAME).read_text())
    assert sorted(doc["files"]) == ["a.csv", "b.png"] and doc["command"] == "test"
    assert doc["files"]["a.csv"] == {"bytes": 5, "sha256": file_sha256(out / "a.csv")}
    (out / "notes.txt").write_text("mine")
    (out / "legacy.npz").write_text("from an older kvpipe, no manifest listed it")
    _write_set(out, {"a.csv": "new a", "c.json": "new c"}, owns=("legacy.npz",))
    # b.png belonged to the old set only: gone; notes.txt is the user's: kept
    assert _names(out) == ["a.csv", "c.json", MANIFEST_NAME, "notes.txt"]
    assert (out / "a.csv").read_text() == "new a" and (out / "notes.txt").read_text() == "mine"
    assert verify_output_dir(out) == [] and _names(out.parent) == ["out"]


def test_a_subdirectory_of_the_users_is_kept_too(tmp_path: Path) -> None:
    # a directory cannot be hard-linked into the staged set: the files are replaced one by one
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "old", "b.csv": "old"})
    (out / "mine").mkdir()
    (out / "mine" / "x.txt").write_text("x")
    _write_set(out, {"a.csv": "new"})
    assert _names(out) == ["a.csv", MANIFEST_NAME, "mine"] and (out / "mine" / "x.txt").read_text() == "x"
    assert verify_output_dir(out) == [] and _names(tmp_path) == ["out"]


def test_an_error_leaves_the_old_set_and_no_trace(tmp_path: Path, exchange: bool) -> None:
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "old"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RuntimeError, match="half way"):
        with staged_output(out, "--out") as stage:
            (stage.path / "a.csv").write_text("new")
            raise RuntimeError("half way")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and _names(tmp_path) == ["out"]
    with pytest.raises(RuntimeError):
        with staged_output(tmp_path / "x" / "y" / "new", "--out"):
            raise RuntimeError("before anything")
    assert _names(tmp_path) == ["out"]  # the parents the failed run created are gone too


def test_sigterm_cleans_up_like_an_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as e:
        with staged_output(out, "--out") as stage:
            (stage.path / "a.csv").write_text("new")
            os.kill(os.getpid(), signal.SIGTERM)
    assert e.value.code == 128 + signal.SIGTERM and _names(tmp_path) == []


def test_staging_left_by_a_killed_run_is_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / ".out.tmp-20260101T000000-1-abcdef").mkdir()
    (tmp_path / ".out.tmp-20260101T000000-1-abcdef" / "points.npz").write_bytes(b"x" * 1000)
    (tmp_path / ".out.lock").write_text("12345\n")  # a killed run's lock: no process holds it
    (tmp_path / ".other.tmp-1").mkdir()  # another target's: not ours to touch
    _write_set(out, {"a.csv": "a"})
    assert _names(tmp_path) == [".other.tmp-1", "out"]


def test_a_second_run_on_the_same_target_stops_naming_the_flag(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with staged_output(out, "--plots"):
        with pytest.raises(OutputPathError, match=rf"--plots: .*out: another kvpipe run \(pid {os.getpid()}\)"):
            with staged_output(out, "--plots"):
                pass
    _write_set(out, {"a": "a"})  # free again once the first ends


def test_a_file_target_is_one_rename(tmp_path: Path) -> None:
    t = tmp_path / "t.json"
    for text in ("[1]", "[2]"):
        with staged_output(t, "--timeline", is_dir=False) as stage:
            assert not stage.path.exists() and stage.path.parent == tmp_path
            stage.path.write_text(text)
        assert t.read_text() == text and _names(tmp_path) == ["t.json"]


def test_paths_that_cannot_be_outputs(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputPathError, match="--out: .*file: exists and is not a directory"):
        check_output_path(f, "--out", is_dir=True)
    with pytest.raises(OutputPathError, match="--out: .*is a file, not a directory"):
        check_output_path(f / "sub" / "dir", "--out", is_dir=True)
    with pytest.raises(OutputPathError, match="--timeline: .*is a directory; give a file name"):
        check_output_path(tmp_path, "--timeline", is_dir=False)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputPathError, match="is a link to nothing"):
        check_output_path(tmp_path / "dangling", "--out", is_dir=True)
    check_output_path(tmp_path / "new" / "deeper", "--out", is_dir=True)  # missing parents are created
    assert _names(tmp_path) == ["dangling", "file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_parent(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(OutputPathError, match="--out: .*cannot create files in .*ro"):
        check_output_path(ro / "out", "--out", is_dir=True)


def test_verify_names_a_file_that_does_not_match(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "a", "b.csv": "b"})
    (out / "a.csv").write_text("changed")
    (out / "b.csv").unlink()
    assert verify_output_dir(out) == ["a.csv: not the file the manifest lists", "b.csv: missing"]
    (out / MANIFEST_NAME).unlink()
    assert verify_output_dir(out) == [f"{out / MANIFEST_NAME}: missing or unreadable"]

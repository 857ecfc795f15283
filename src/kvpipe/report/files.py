"""How every command writes its outputs, so that no reader ever sees a half-written set.

A command's *target* is a directory (``--out``, ``--plots``) or one file (``--timeline``).
:func:`check_output_path` checks it before any work starts; :func:`staged_output` then

1. creates missing parent directories and takes a lock beside the target
   (``.NAME.lock``): a second run on the same target stops at once with an error naming the
   flag, so each run's printed paths are its own files;
2. removes what an earlier, killed run left behind (``.NAME.tmp-*``);
3. hands the command a private staging path (``.NAME.tmp-RUNID``, a directory or a file);
4. when the command returns, writes ``manifest.json`` (run id, and each file's size and
   SHA-256) into a staged directory and swaps the staged set in whole: a directory by one
   atomic exchange of the two directories (Linux ``renameat2``), a file by one rename.
   Files in an existing target directory that are not outputs (not named by the old
   manifest nor by the new set) are kept;
5. on any error, ``KeyboardInterrupt`` or SIGTERM, removes the staging path and leaves the
   target as it was. A kill -9 leaves the target as it was too, and the next run removes the
   staging path.

Where the exchange is unavailable (another OS, a file system without it) the files are
replaced one by one, the old ``manifest.json`` removed first and the new one written last:
a directory without a manifest is then a set being replaced. Details: docs/outputs.md.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import stat
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
_TMP = ".tmp-"
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


class OutputPathError(Exception):
    """An output path that cannot be written; names the command-line flag that gave it."""

    def __init__(self, flag: str, path: Path, problem: str) -> None:
        super().__init__(f"{flag}: {path}: {problem}")
        self.flag = flag
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Staged:
    """Where a run writes before its outputs are swapped in: ``path`` (a directory for a
    directory target, a file name for a file target) is private to this run."""

    target: Path
    path: Path
    run_id: str


def check_output_path(path: Path, flag: str, *, is_dir: bool) -> None:
    """Raise :class:`OutputPathError` if ``path`` cannot become the output (a file where a
    directory is wanted or the reverse, a parent that is a file, or no permission to create it).
    Changes nothing on disk; missing parent directories are fine (they are created)."""
    p = Path(path)
    if p.exists():
        if is_dir and not p.is_dir():
            raise OutputPathError(flag, p, "exists and is not a directory")
        if not is_dir and p.is_dir():
            raise OutputPathError(flag, p, "is a directory; give a file name")
        if not is_dir and not p.is_file():
            raise OutputPathError(flag, p, "exists and is not a regular file")
        if is_dir and not os.access(p, os.W_OK | os.X_OK):
            raise OutputPathError(flag, p, "directory is not writable")
    elif p.is_symlink():
        raise OutputPathError(flag, p, "is a link to nothing")
    ancestor = p.absolute().parent
    while not ancestor.exists():
        if ancestor.is_symlink():
            raise OutputPathError(flag, p, f"{ancestor} is a link to nothing")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputPathError(flag, p, f"{ancestor} is a file, not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputPathError(flag, p, f"cannot create files in {ancestor} (permission denied)")


@contextmanager
def staged_output(
    target: Path, flag: str, *, is_dir: bool = True, command: str = "", owns: Collection[str] = ()
) -> Iterator[Staged]:
    """Check ``target``, lock it, and yield a private staging path; swap the staged outputs in
    whole when the block ends normally, or discard them when it raises (module docstring).
    ``owns``: names in a target directory that belong to this command's sets even when no
    manifest lists them (written by an older kvpipe): they are replaced or removed, never kept."""
    target = Path(target)
    check_output_path(target, flag, is_dir=is_dir)
    created = _make_parents(target.parent, flag, target)
    committed = False
    try:
        with _locked(target, flag):
            remove_stale(target)
            run_id = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}-{secrets.token_hex(3)}"
            tmp = target.parent / f".{target.name}{_TMP}{run_id}"
            try:
                if is_dir:
                    tmp.mkdir()
                with _sigterm_raises():
                    yield Staged(target, tmp, run_id)
                    if is_dir:
                        write_manifest(tmp, run_id, command)
                        _swap_in_dir(tmp, target, set(owns))
                    else:
                        os.replace(tmp, target)
                committed = True
            finally:
                _remove(tmp)
    finally:
        if not committed:
            for d in reversed(created):  # parents this run made, if still empty
                try:
                    d.rmdir()
                except OSError:
                    break


def remove_stale(target: Path) -> list[Path]:
    """Remove the staging paths that killed runs left beside ``target``; call with the lock held."""
    gone = []
    for p in Path(target).parent.glob(f".{_glob_escape(Path(target).name)}{_TMP}*"):
        _remove(p)
        gone.append(p)
    return gone


def write_manifest(directory: Path, run_id: str, command: str) -> Path:
    """``manifest.json``: the run id and each file's size and SHA-256, written after every file."""
    files = {}
    for p in sorted(Path(directory).iterdir()):
        if p.name != MANIFEST_NAME and p.is_file() and not p.is_symlink():
            files[p.name] = {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
    from kvpipe import __version__

    doc = {"kvpipe": __version__, "command": command, "run_id": run_id,
           "written_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "files": files}
    path = Path(directory) / MANIFEST_NAME
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path


def verify_output_dir(directory: Path) -> list[str]:
    """What is wrong with an output directory: no manifest, or a listed file missing or not as
    listed. An empty list means the directory holds one complete set."""
    d = Path(directory)
    files = _manifest_files(d)
    if files is None:
        return [f"{d / MANIFEST_NAME}: missing or unreadable"]
    problems = []
    for name, meta in files.items():
        p = d / name
        if not p.is_file():
            problems.append(f"{name}: missing")
        elif p.stat().st_size != meta["bytes"] or file_sha256(p) != meta["sha256"]:
            problems.append(f"{name}: not the file the manifest lists")
    return problems


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- internals ---------------------------------------------------------------------------


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def _make_parents(parent: Path, flag: str, target: Path) -> list[Path]:
    missing = []
    d = parent.absolute()
    while not d.exists():
        missing.append(d)
        d = d.parent
    created = []
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:
            continue
        except OSError as e:
            raise OutputPathError(flag, target, f"cannot create {d}: {e.strerror}") from None
        created.append(d)
    return created


@contextmanager
def _locked(target: Path, flag: str) -> Iterator[None]:
    lock = target.parent / f".{target.name}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise OutputPathError(flag, target, f"cannot create files in {target.parent}: {e.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise OutputPathError(
                flag, target, f"another kvpipe run (pid {holder}) is writing there now; wait for it or choose another {flag}"
            ) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the lock file was removed by the run that held it: take the new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM ends the run through the normal clean-up path (exit status 143)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    old = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _manifest_files(d: Path) -> Any:
    """The ``files`` entry of ``d``'s manifest (name -> size and SHA-256); None if unreadable."""
    try:
        files = json.loads((d / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
        set(files)  # files that are no collection of names: an unreadable manifest
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return files


def _listed(d: Path) -> set[str] | None:
    files = _manifest_files(d)
    return None if files is None else set(files)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def _swap_in_dir(tmp: Path, target: Path, owns: set[str]) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    new = {p.name for p in tmp.iterdir()}
    ours = new | owns | (_listed(target) or set()) | {MANIFEST_NAME}
    others = [p for p in target.iterdir() if p.name not in ours]
    if _bring_along(others, tmp):
        os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        if _exchange(tmp, target):
            for p in tmp.iterdir():  # appeared in the meantime: keep them
                if p.name not in ours and not (target / p.name).exists():
                    os.rename(p, target / p.name)
            return
        for p in others:
            (tmp / p.name).unlink()
    _replace_files(tmp, target, new, ours)


def _bring_along(others: list[Path], tmp: Path) -> bool:
    """Hard-link the user's files (and copy their links) into the staged directory, so that they
    are in the target after the exchange; False (and nothing left in ``tmp``) where that cannot be
    done: a subdirectory, or a file that may not be linked."""
    if not all(p.is_symlink() or p.is_file() for p in others):
        return False
    done = []
    try:
        for p in others:
            if p.is_symlink():
                os.symlink(os.readlink(p), tmp / p.name)
            else:
                os.link(p, tmp / p.name)
            done.append(tmp / p.name)
    except OSError:
        for q in done:
            q.unlink()
        return False
    return True


def _replace_files(tmp: Path, target: Path, new: set[str], ours: set[str]) -> None:
    (target / MANIFEST_NAME).unlink(missing_ok=True)  # no manifest: a set being replaced
    for name in sorted(new - {MANIFEST_NAME}):
        os.replace(tmp / name, target / name)
    for name in sorted(ours - new):
        if (target / name).is_file():
            (target / name).unlink()
    os.replace(tmp / MANIFEST_NAME, target / MANIFEST_NAME)


__all__ = [
    "MANIFEST_NAME", "OutputPathError", "Staged", "check_output_path", "file_sha256", "remove_stale", "staged_output",
    "verify_output_dir", "write_manifest",
]

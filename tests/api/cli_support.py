"""`sharedgoals ARGS` as a process of its own, without paying for Python's start and the app's imports every time.

A fork server (multiprocessing's "forkserver" start method) imports `api.cli` and what its commands use once, then
forks a child for each command. The child is a real process, as the console script `sharedgoals` is: its own
environment, working folder, stdin (/dev/null), stdout and stderr (files read back), signals and exit status; it runs
`api.cli.main(ARGS)` as the script does (`sys.exit(main())`, an uncaught exception printed to stderr with status 1).
What it saves is the ~1-2 s that Python and the imports take (most of a command's time in the tests).

`run` is `subprocess.run(..., capture_output=True, text=True)` for `sharedgoals ARGS`; `start` is `subprocess.Popen`
(terminate, kill, wait, poll, returncode) for a command that serves. A test of the console script itself (its
entry point, the interpreter's start) runs `SHAREDGOALS` with subprocess as before.

`migrated_copy(path)` writes a SQLite database as `sharedgoals migrate` leaves an empty one, and `demo_copy(path)` as
`migrate` then `seed-demo` do: copies of one made once per session, for tests whose subject is not the migration or
the demo (migrating from scratch takes seconds).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from tests import harness

SHAREDGOALS = str(Path(sys.executable).parent / "sharedgoals")

_CONTEXT = multiprocessing.get_context("forkserver")
# Imported once in the fork server (a module that fails to import is skipped there and imported by the child).
_CONTEXT.set_forkserver_preload(["api.cli", "api.app", "api.db", "api.demo", "api.imports", "domain.dataset.service",
                                 "schema.schema", "uvicorn", "uvicorn.main", "tqdm"])
_TMP = Path(tempfile.mkdtemp(prefix="sharedgoals-cli-"))
_lock = threading.Lock()
_templates: set[Path] = set()


def _child(args: list[str], env: dict[str, str], cwd: str | None, out: str | None, err: str | None) -> None:
    """In the forked child: the environment, folder and standard streams of a fresh process, then the command."""
    os.environ.clear()
    os.environ.update(env)
    if cwd:
        os.chdir(cwd)
    streams = []
    for fd, path, mode in ((0, None, os.O_RDONLY), (1, out, os.O_WRONLY), (2, err, os.O_WRONLY)):
        if fd == 2 and err is not None and err == out:  # 2>&1
            os.dup2(1, 2)
            continue
        target = os.open(path or os.devnull, mode | (os.O_CREAT | os.O_APPEND if path else 0), 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", closefd=False, encoding="utf-8", errors="backslashreplace")
    sys.stderr = open(2, "w", closefd=False, encoding="utf-8", errors="backslashreplace", buffering=1)
    streams += [sys.stdout, sys.stderr]
    sys.argv = [SHAREDGOALS, *args]
    logging.root.handlers.clear()  # as in a fresh interpreter: main's basicConfig sets them up on this stderr
    code: int = 0
    try:
        from api.cli import main
        result = main(args)
        code = 0 if result is None else result
    except SystemExit as e:  # as the interpreter treats sys.exit(...)
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        logging.shutdown()
        for stream in streams:
            stream.flush()
    os._exit(code)


def _env(env: dict | None) -> dict[str, str]:
    return {k: str(v) for k, v in (os.environ if env is None else env).items()}


class Process:
    """A started `sharedgoals ARGS`, with the part of subprocess.Popen the tests use."""

    def __init__(self, args, env=None, cwd=None, stdout: str | None = None, stderr: str | None = None) -> None:
        self.args = [SHAREDGOALS, *args]
        self._process = _CONTEXT.Process(target=_child, args=(list(args), _env(env), cwd and str(cwd), stdout,
                                                              stderr), daemon=False)
        self._process.start()
        self.pid = self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self._process.exitcode

    def terminate(self) -> None:
        if self._process.exitcode is None:
            self._process.terminate()

    def kill(self) -> None:
        if self._process.exitcode is None:
            self._process.kill()


def start(args, env=None, cwd=None, stdout=None, stderr=None) -> Process:
    """`sharedgoals ARGS` started, its stdout and stderr added to the files named (the same one for both: 2>&1),
    else /dev/null."""
    return Process(args, env, cwd, stdout and str(stdout), stderr and str(stderr))


def run(args, env=None, cwd=None, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess:
    """`sharedgoals ARGS` to its end: its status and what it wrote to stdout and stderr (text)."""
    folder = Path(tempfile.mkdtemp(dir=_TMP))
    out, err = folder / "stdout", folder / "stderr"
    process = start(args, env, cwd, out, err)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(30)
        raise
    done = subprocess.CompletedProcess(process.args, process.returncode, read_text(out), read_text(err))
    shutil.rmtree(folder, ignore_errors=True)
    if check:
        done.check_returncode()
    return done


def read_text(path: Path) -> str:
    """What a command wrote to the file `path` so far (nothing when it wrote nothing)."""
    return path.read_bytes().decode("utf-8", errors="replace") if path.exists() else ""


def _template_copy(name: str, commands: list[list[str]], path: Path | str, start: Path | None = None) -> Path:
    """A copy of the template `name`: `start` (else an empty file) after `sharedgoals COMMAND` for each command."""
    with _lock:
        template = _TMP / f"{name}.sqlite3"
        if template not in _templates:
            if start is not None:
                shutil.copyfile(start, template)
            env = dict(_env(None), DATABASE_URL=f"sqlite://{template}", SHAREDGOALS_LOG_LEVEL="WARNING")
            env.pop("SHAREDGOALS_CLOCK", None)
            for args in commands:
                run(args, env=env, check=True, timeout=300)
            _templates.add(template)
    path = Path(path)
    shutil.copyfile(template, path)
    return path


def migrated_copy(path: Path | str) -> Path:
    """`path`: a SQLite database as `sharedgoals migrate` leaves an empty one (every migration, no rows), copied
    from one made once per session (the test database as the harness migrated it, when that is SQLite)."""
    if harness.MIGRATED_SQLITE is not None:
        return _template_copy("migrated", [], path, start=harness.MIGRATED_SQLITE)
    return _template_copy("migrated", [["migrate"]], path)


def demo_copy(path: Path | str) -> Path:
    """`path`: a SQLite database as `sharedgoals migrate` then `sharedgoals seed-demo` leave an empty one, copied
    from one made once per session."""
    start = None if _TMP / "demo.sqlite3" in _templates else migrated_copy(_TMP / "demo-start.sqlite3")
    return _template_copy("demo", [["seed-demo"]], path, start=start)

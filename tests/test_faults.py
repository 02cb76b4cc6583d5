"""Faults: a rebuild killed (SIGKILL) at many moments, racing rebuilds and adds, a full disk, an unwritable index
directory, and corrupted index files. The old index must keep answering exactly as before, the next rebuild must
succeed and clear what the crash left behind, and every failure must be one clear line, never a traceback.

A killed build is a real `python -m archive rebuild-index` process. Some moments are chosen by time (fractions of
a measured build), the others are hook points: a small driver (DRIVER below) pauses the build inside a named
step of archive/index/writer.py (segments written / build record written / generation renamed / CURRENT about to be
replaced / swapped but not yet cleaned) and the test kills it there. If a step is renamed, the hook test fails
saying which hook was never reached.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from hostile import write_synthetic_corpus

from archive.errors import ArchiveError

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["موسكو", "بوتين", "سوريا", '"الرئيس الروسي"', "الكرملين دمشق", ""]

# Runs the command line after installing one fault, chosen by environment variables:
#   FAULT_HOOK=module:name.path:N  the Nth call of that function pauses (touching FAULT_SIGNAL) to be killed there
#   FAULT_ENOSPC_AFTER=BYTES       Whoosh file writes fail with ENOSPC once BYTES have been written (per process)
#   FAULT_READONLY=DIR             creating, renaming or replacing anything under DIR fails with EACCES
DRIVER = r'''
import builtins, errno, importlib, io, os, sys, time

hook = os.environ.get("FAULT_HOOK")
if hook:
    module_name, function_path, nth = hook.split(":")
    owner = importlib.import_module(module_name)
    *owners, function_name = function_path.split(".")
    for name in owners:
        owner = getattr(owner, name)
    original = getattr(owner, function_name)
    calls = [0]
    def hooked(*args, **kwargs):
        calls[0] += 1
        if calls[0] == int(nth):
            open(os.environ["FAULT_SIGNAL"], "w").close()
            time.sleep(120)
        return original(*args, **kwargs)
    setattr(owner, function_name, hooked)

budget = os.environ.get("FAULT_ENOSPC_AFTER")
if budget is not None:
    from whoosh.filedb import structfile
    written = [0]
    original_write = structfile.StructFile.write
    def full_disk_write(self, data, *args, **kwargs):
        written[0] += len(data)
        if written[0] > int(budget):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return original_write(self, data, *args, **kwargs)
    structfile.StructFile.write = full_disk_write

readonly = os.environ.get("FAULT_READONLY")
if readonly:
    readonly = os.path.realpath(readonly)
    def inside(path):
        try:
            return os.path.realpath(os.fsdecode(path)).startswith(readonly)
        except TypeError:
            return False
    def denied(path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))
    for name in ("mkdir", "rename", "replace", "rmdir", "unlink", "remove"):
        original_call = getattr(os, name)
        def guarded(path, *args, _original=original_call, **kwargs):
            if inside(path):
                denied(path)
            return _original(path, *args, **kwargs)
        setattr(os, name, guarded)
    original_os_open = os.open
    def guarded_os_open(path, flags, *args, **kwargs):
        if inside(path) and flags & os.O_CREAT and not os.path.exists(path):
            denied(path)
        return original_os_open(path, flags, *args, **kwargs)
    os.open = guarded_os_open
    original_open = io.open
    def guarded_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and inside(file) and any(c in mode for c in "wxa+") \
                and not os.path.exists(file):
            denied(file)
        return original_open(file, mode, *args, **kwargs)
    builtins.open = io.open = guarded_open

sys.argv[0] = "news-archive"
from archive.interfaces.cli import main
sys.exit(main(sys.argv[1:]))
'''


def answers(index_dir: Path) -> dict[str, tuple[int, frozenset[str]]]:
    """What the index answers to the fixed queries: the total and the ids of every match. (Not the order: two
    builds of one corpus with two index processes may number documents differently, which reorders ties.)"""
    from archive.search.archive import Archive

    archive = Archive.open(index_dir)
    return {query: (archive.search(query).total, frozenset(row["id"] for row in archive.iter_matches(query)))
            for query in QUERIES}


def leftovers(index_dir: Path) -> set[str]:
    return {entry.name for entry in index_dir.iterdir()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Corpus A (the live index everyone starts from) and corpus B (what the killed rebuilds build), with the
    answers of an index of each, and the time a full rebuild of B takes."""
    from archive.index.writer import rebuild_index

    base = tmp_path_factory.mktemp("faults")
    corpus_a = write_synthetic_corpus(base / "a.jsonl", 400, start=0)
    corpus_b = write_synthetic_corpus(base / "b.jsonl", 900, start=10_000)
    index_a = base / "index-a"
    rebuild_index([corpus_a], index_a, workers=2)
    index_b = base / "index-b"
    started = time.perf_counter()
    build = run_cli(["rebuild-index", str(corpus_b), "--index", str(index_b)])
    seconds_b = time.perf_counter() - started
    assert build.returncode == 0, build.stderr
    world = {"base": base, "a": corpus_a, "b": corpus_b, "index_a": index_a, "answers_a": answers(index_a),
             "answers_b": answers(index_b), "seconds_b": seconds_b}
    assert world["answers_a"] != world["answers_b"]
    return world


def run_cli(args: list[str], env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archive", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def start_driver(tmp: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """The command line in a process of its own, with the fault of ENV installed. Its output goes to files, not
    pipes: a process it leaves behind must not make the test wait on a pipe."""
    driver = tmp / "fault_driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    with open(tmp / "stdout.txt", "w") as stdout, open(tmp / "stderr.txt", "w") as stderr:
        process = subprocess.Popen([sys.executable, str(driver), *args], cwd=ROOT, env=environment,
                                   stdout=stdout, stderr=stderr, text=True)
    process.output_dir = tmp  # type: ignore[attr-defined]
    return process


def finished(process: subprocess.Popen, timeout: float = 120) -> subprocess.CompletedProcess:
    process.wait(timeout=timeout)
    tmp: Path = process.output_dir  # type: ignore[attr-defined]
    return subprocess.CompletedProcess(process.args, process.returncode, (tmp / "stdout.txt").read_text(),
                                       (tmp / "stderr.txt").read_text())


def fresh_copy_of_a(world: dict, name: str) -> Path:
    target = world["base"] / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(world["index_a"], target, symlinks=True)
    return target


def kill_hard(process: subprocess.Popen) -> list[psutil.Process]:
    """SIGKILL to the rebuild process only (as `kill -9 PID` or the OOM killer would); its children are returned so
    the test can check they do not outlive it."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return children


def assert_no_orphans(children: list[psutil.Process], within: float = 15.0) -> None:
    _gone, alive = psutil.wait_procs(children, timeout=within)
    for child in alive:  # clean up before failing, so one failure does not poison the next runs
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    assert not alive, (f"{len(alive)} process(es) of the killed rebuild still running after {within} s (they hold "
                       f"build.lock, so every later rebuild or add would be refused as busy)")


# ---------------------------------------------------------------- SIGKILL at many moments

TIME_FRACTIONS = [0.3, 0.75]
HOOKS = {
    # batches still being sent to the index processes: with their queue full, a half-written batch sits in the
    # pipe, and an index process must not stay blocked on it once the parent is gone
    "sending batches": "archive.index.workers:IndexProcesses.send:8",
    # segments of the new generation written, its table of contents not yet
    "segments written": "archive.index.writer:commit_segments:1",
    # renamed to gen-*, CURRENT still names the old generation
    "renamed, before swap": "archive.index.writer:write_atomically:1",
    # the new CURRENT written to a temporary file, not yet moved over the old one
    "CURRENT about to be replaced": "os:replace:1",
    # swapped in; the previous cleaning of stale generations not yet done
    "swapped, before cleanup": "archive.index.writer:remove_stale:2",
}
AFTER_SWAP = {"swapped, before cleanup"}


def _check_after_kill(world: dict, index_dir: Path, children: list[psutil.Process], allowed: list[str]) -> None:
    assert_no_orphans(children)
    got = answers(index_dir)
    matching = [name for name in allowed if got == world[f"answers_{name}"]]
    assert matching, f"after the kill the index answers neither {' nor '.join(allowed)}: {got}"
    stray_after_kill = leftovers(index_dir)
    from archive.index.writer import current_index_path, rebuild_index

    live = current_index_path(index_dir).name
    # the next rebuild (a small one) succeeds and clears what the crash left behind
    summary = rebuild_index([ROOT / "seeds"], index_dir, workers=1)
    assert summary.indexed == 5
    after = leftovers(index_dir)
    crash_debris = stray_after_kill - {live, "CURRENT", "build.lock"}
    assert not (crash_debris & after), f"left behind after the next rebuild: {sorted(crash_debris & after)}"
    assert not [name for name in after if name.startswith(("building-", ".CURRENT"))]
    assert len([name for name in after if name.startswith("gen-")]) <= 2


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fraction", TIME_FRACTIONS)
def test_rebuild_killed_after_a_fraction_of_its_run_leaves_the_old_index_answering(world, fraction, tmp_path):
    index_dir = fresh_copy_of_a(world, f"kill-time-{fraction}")
    process = start_driver(tmp_path, ["rebuild-index", str(world["b"]), "--index", str(index_dir)], {})
    time.sleep(world["seconds_b"] * fraction)
    finished_before_kill = process.poll() is not None
    children = kill_hard(process)
    allowed = ["b"] if finished_before_kill and process.returncode == 0 else ["a", "b"]
    _check_after_kill(world, index_dir, children, allowed)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("moment", list(HOOKS))
def test_rebuild_killed_at_a_step_of_the_swap_leaves_a_working_index(world, moment, tmp_path):
    index_dir = fresh_copy_of_a(world, "kill-" + moment.replace(" ", "-").replace(",", ""))
    signal_file = tmp_path / "reached"
    process = start_driver(tmp_path, ["rebuild-index", str(world["b"]), "--index", str(index_dir)],
                           {"FAULT_HOOK": HOOKS[moment], "FAULT_SIGNAL": str(signal_file)})
    deadline = time.monotonic() + 90
    while not signal_file.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    reached = signal_file.exists()
    children = kill_hard(process)
    assert reached, f"hook {HOOKS[moment]} never reached (exit {process.returncode}): " \
                    f"archive/index/writer.py changed, update HOOKS"
    _check_after_kill(world, index_dir, children, ["b"] if moment in AFTER_SWAP else ["a"])


# ---------------------------------------------------------------- races


def _wait_for_building(index_dir: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if any(name.startswith("building-") for name in leftovers(index_dir)):
            return
        time.sleep(0.01)
    raise AssertionError("the first rebuild never started building")


def _one_clear_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.timeout(120)
def test_two_rebuilds_racing_one_waits_or_fails_clearly_and_the_index_is_whole(world, tmp_path):
    index_dir = fresh_copy_of_a(world, "race-rebuilds")
    first = start_driver(tmp_path, ["rebuild-index", str(world["b"]), "--index", str(index_dir)], {})
    _wait_for_building(index_dir, first)
    second = run_cli(["rebuild-index", str(world["a"]), "--index", str(index_dir)])
    assert finished(first).returncode == 0
    if second.returncode != 0:
        assert second.returncode == 1
        assert "rebuild" in _one_clear_line(second.stderr) and "running" in second.stderr
        assert answers(index_dir) == world["answers_b"]
    else:  # it waited for the first and then built A
        assert answers(index_dir) == world["answers_a"]


@pytest.mark.timeout(120)
def test_an_add_racing_a_rebuild_waits_or_fails_clearly_and_loses_nothing_it_reports_added(world, tmp_path):
    from archive.search.archive import Archive

    index_dir = fresh_copy_of_a(world, "race-add")
    extra = write_synthetic_corpus(tmp_path / "extra.jsonl", 20, start=90_000)
    rebuild = start_driver(tmp_path, ["rebuild-index", str(world["b"]), "--index", str(index_dir)], {})
    _wait_for_building(index_dir, rebuild)
    add = run_cli(["add", str(extra), "--index", str(index_dir)])
    assert finished(rebuild).returncode == 0
    archive = Archive.open(index_dir)
    present = [archive.get(f"syn-{n:06d}") is not None for n in range(90_000, 90_020)]
    if add.returncode == 0:  # it waited for the rebuild: the added articles must be there
        assert all(present), "add reported success but its articles are not in the index"
    else:
        assert add.returncode == 1
        assert "running" in _one_clear_line(add.stderr)
        assert not any(present)
        assert answers(index_dir) == world["answers_b"]


# ---------------------------------------------------------------- disk full, unwritable directory


def _assert_failed_cleanly(run, world: dict, index_dir: Path, pattern: str) -> None:
    import re

    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    line = _one_clear_line(run.stderr)
    assert re.search(pattern, line, re.IGNORECASE), line
    assert answers(index_dir) == world["answers_a"], "the old index changed"
    assert not [name for name in leftovers(index_dir) if name.startswith("building-")]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("budget", [0, 150_000])
def test_disk_full_during_rebuild_is_one_clear_error_and_the_old_index_is_intact(world, budget, tmp_path):
    index_dir = fresh_copy_of_a(world, f"enospc-{budget}")
    process = start_driver(tmp_path, ["rebuild-index", str(world["b"]), "--index", str(index_dir)],
                           {"FAULT_ENOSPC_AFTER": str(budget)})
    _assert_failed_cleanly(finished(process), world, index_dir, r"space|disk|ENOSPC|errno 28")


@pytest.fixture
def small_tmpfs(tmp_path: Path):
    """A real small filesystem when this process may mount one (root with CAP_SYS_ADMIN); skipped otherwise."""
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()

    def mount(size_bytes: int) -> Path:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(mount_point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the injected ENOSPC tests cover it")
        return mount_point

    yield mount
    subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


@pytest.mark.timeout(120)
def test_a_real_full_filesystem_during_rebuild_is_one_clear_error_and_the_old_index_is_intact(world, small_tmpfs):
    size_a = sum(f.stat().st_size for f in world["index_a"].rglob("*") if f.is_file())
    mount_point = small_tmpfs(size_a + 300_000)  # room for the live index and a fraction of the new one
    index_dir = mount_point / "index"
    shutil.copytree(world["index_a"], index_dir, symlinks=True)
    run = run_cli(["rebuild-index", str(world["b"]), "--index", str(index_dir)])
    _assert_failed_cleanly(run, world, index_dir, r"space|disk|ENOSPC|errno 28")


@pytest.mark.timeout(120)
def test_an_unwritable_index_directory_is_one_clear_error_and_the_old_index_is_intact(world, tmp_path):
    index_dir = fresh_copy_of_a(world, "readonly")
    if os.geteuid() != 0:  # a real read-only directory; root ignores permissions, so it gets the injected one
        index_dir.chmod(0o555)
        try:
            run = run_cli(["rebuild-index", str(world["b"]), "--index", str(index_dir)])
        finally:
            index_dir.chmod(0o755)
    else:
        process = start_driver(tmp_path, ["rebuild-index", str(world["b"]), "--index", str(index_dir)],
                               {"FAULT_READONLY": str(index_dir)})
        run = finished(process)
    _assert_failed_cleanly(run, world, index_dir, r"permission|denied|read-only|writ")


@pytest.mark.timeout(120)
def test_add_into_an_unwritable_index_directory_is_one_clear_error_and_changes_nothing(world, tmp_path):
    index_dir = fresh_copy_of_a(world, "readonly-add")
    extra = write_synthetic_corpus(tmp_path / "extra.jsonl", 5, start=95_000)
    process = start_driver(tmp_path, ["add", str(extra), "--index", str(index_dir)],
                           {"FAULT_READONLY": str(index_dir)})
    _assert_failed_cleanly(finished(process), world, index_dir, r"permission|denied|read-only|writ")


# ---------------------------------------------------------------- corrupted index files


def _live(index_dir: Path) -> Path:
    from archive.index.writer import current_index_path

    return current_index_path(index_dir)


def _largest_segment_file(index_dir: Path) -> Path:
    files = [f for f in _live(index_dir).iterdir() if f.is_file() and not f.name.endswith((".toc", ".json"))]
    return max(files, key=lambda f: f.stat().st_size)


def _truncate_half(path: Path) -> None:
    with open(path, "r+b") as stream:
        stream.truncate(path.stat().st_size // 2)


CORRUPTIONS = {
    "segment truncated to half": lambda d: _truncate_half(_largest_segment_file(d)),
    "segment truncated to zero": lambda d: _largest_segment_file(d).write_bytes(b""),
    "segment deleted": lambda d: _largest_segment_file(d).unlink(),
    "segment overwritten with garbage": lambda d: _largest_segment_file(d).write_bytes(os.urandom(4096)),
    "table of contents deleted": lambda d: [f.unlink() for f in _live(d).glob("_MAIN_*.toc")],
    "table of contents truncated": lambda d: [_truncate_half(f) for f in _live(d).glob("_MAIN_*.toc")],
    "build record garbled": lambda d: (_live(d) / "build.json").write_text("{not json", encoding="utf-8"),
    "live generation deleted": lambda d: shutil.rmtree(_live(d)),
    "CURRENT garbled": lambda d: (d / "CURRENT").write_text("../../etc\n", encoding="utf-8"),
}


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from archive.index.writer import rebuild_index

    index_dir = tmp_path_factory.mktemp("corrupt") / "seeds-index"
    rebuild_index([ROOT / "seeds"], index_dir, workers=1)
    return index_dir


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_corrupted_index_is_detected_on_open_with_how_to_recover(seeds_index, corruption, tmp_path):
    from archive.search.archive import Archive

    index_dir = tmp_path / "index"
    shutil.copytree(seeds_index, index_dir, symlinks=True)
    CORRUPTIONS[corruption](index_dir)
    with pytest.raises(ArchiveError) as raised:
        Archive.open(index_dir)
    message = str(raised.value)
    assert "\n" not in message and "rebuild-index" in message, message


@pytest.mark.parametrize("corruption", ["segment truncated to half", "segment deleted"])
def test_the_command_line_reports_a_corrupted_index_in_one_line_and_exit_1(seeds_index, corruption, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(seeds_index, index_dir, symlinks=True)
    CORRUPTIONS[corruption](index_dir)
    for args in (["search", "موسكو"], ["stats"]):
        run = run_cli([*args, "--index", str(index_dir)], timeout=60)
        assert run.returncode == 1, (args, run.stdout, run.stderr)
        assert "rebuild-index" in _one_clear_line(run.stderr)


def test_a_corrupted_index_is_repaired_by_rebuild_index(seeds_index, tmp_path):
    from archive.index.writer import rebuild_index
    from archive.search.archive import Archive

    index_dir = tmp_path / "index"
    shutil.copytree(seeds_index, index_dir, symlinks=True)
    CORRUPTIONS["segment truncated to half"](index_dir)
    rebuild_index([ROOT / "seeds"], index_dir, workers=1)
    assert Archive.open(index_dir).search("موسكو").total > 0


def test_errno_constants_used_by_the_driver_exist() -> None:
    # the driver is text run in another process: a typo there would only show as a confusing failure
    assert errno.ENOSPC and errno.EACCES
    compile(DRIVER, "fault_driver.py", "exec")

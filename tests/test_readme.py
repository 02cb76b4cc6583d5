"""README.md cannot rot: every command-line example in it runs, and every command and option is documented.

1. Each shell example of the command line in a fenced block (`news-archive …`, `python -m archive …`, possibly
   after `$ `, a path such as `.venv/bin/`, `NAME=value` assignments or a pipe) runs through
   `sys.executable -m archive` from the project root, against an index built from the bundled seeds
   (NEWS_ARCHIVE_INDEX points at it, so examples without `--index` use it). `/tmp/…` paths are redirected into a
   private temporary directory. An example must exit 0 — or 1 with a one-line message when the README says it shows
   an error (a `# … exit 1` comment, or shown output starting with `news-archive:`). Output the README shows after
   a `$ ` command must appear (durations and lines with `…` aside); `--json`/`--batch` output must be JSON lines.
   Examples that cannot run here are skipped by rule, each with its reason (`pytest -rs` lists them), and
   `test_examples_are_skipped_only_by_rule` fails if any skip has another reason.
2. Every subcommand of the parser has a `### \\`name …\\`` section in README.md naming each of its long options,
   every top-level option appears in the Commands section, and a section names no option its command lacks.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from archive.interfaces.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TIMEOUT = 60  # seconds, for each example

SHELL_FENCES = {"", "sh", "bash", "shell", "console", "shell-session"}
# the command word of an example: news-archive or python -m archive, after an optional path (.venv/bin/)
INVOCATION = re.compile(r"(?<![\w./-])(?:[\w./~-]*/)?(?:news-archive|python3?(?:\.\d+)? -m archive)(?=\s|$)")
ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
SHELL_OPERATOR = re.compile(r"^[();<>|&]+$")
DURATION = re.compile(r"\b\d+(?:\.\d+)? (m?s)\b")
SANDBOX = "/tmp/"  # README paths under /tmp/ are redirected into this test's own temporary directory

# The only reasons an example may be skipped; anything else makes test_examples_are_skipped_only_by_rule fail.
SKIP_SERVE = "starts a server that runs until stopped"
SKIP_MISSING = "a path it reads does not exist in the project"
SKIP_OUTSIDE = "a path it reads is outside the project"
SKIP_NEEDS_SKIPPED_INDEX = "the index it reads is built only by a skipped example"
ALLOWED_SKIPS = (SKIP_SERVE, SKIP_MISSING, SKIP_OUTSIDE, SKIP_NEEDS_SKIPPED_INDEX)
# Not allowed: an example that would write outside the temporary directory (use a /tmp/ path in the README).
UNSANDBOXED = "writes outside /tmp/ (the test would change the project)"


@dataclass
class Example:
    line: int  # README line the command starts on
    command: str  # as written, continuation lines joined, without `$ `
    shown_output: list[str] = field(default_factory=list)  # the lines shown after it in a `$ ` block
    tokens: list[str] = field(default_factory=list)  # shell words and operators
    shell: bool = False  # pipes, redirections or assignments: run with bash
    args: argparse.Namespace | None = None  # the archive's arguments as its parser reads them (None: usage error)
    argv: list[str] = field(default_factory=list)  # the archive's arguments
    env: dict[str, str] = field(default_factory=dict)  # NAME=value before the command
    index: str | None = None  # the index it uses when given (--index or NEWS_ARCHIVE_INDEX=)
    builder: Example | None = None  # the earlier example that builds `index`
    expected_exit: int = 0
    skip: str | None = None  # one of ALLOWED_SKIPS (or UNSANDBOXED), with details after a colon

    @property
    def id(self) -> str:
        words = [w if w.isascii() and w else '"..."' if w else '""' for w in self.argv]  # ids stay ASCII
        return f"README:{self.line} " + " ".join(words)[:90]


def _shell_words(command: str) -> list[str]:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def _fenced_command_lines(text: str) -> list[tuple[int, str, list[str]]]:
    """(line number, command, shown output) for every command line of every shell-like fenced block."""
    found: list[tuple[int, str, list[str]]] = []
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        opening = re.match(r"^\s*```(\S*)\s*$", lines[number])
        number += 1
        if not opening:
            continue
        block: list[tuple[int, str]] = []
        while number < len(lines) and not re.match(r"^\s*```\s*$", lines[number]):
            block.append((number + 1, lines[number]))
            number += 1
        number += 1
        if opening.group(1).lower() not in SHELL_FENCES:
            continue
        prompted = any(line.lstrip().startswith("$ ") for _, line in block)
        logical: list[tuple[int, str]] = []  # continuation lines joined
        pending: tuple[int, str] | None = None
        for line_number, line in block:
            if pending is not None:
                line_number, line = pending[0], pending[1] + " " + line.lstrip()
                pending = None
            if line.rstrip().endswith("\\"):
                pending = (line_number, line.rstrip()[:-1].rstrip())
                continue
            logical.append((line_number, line))
        if pending is not None:
            logical.append(pending)
        for line_number, line in logical:
            stripped = line.strip()
            if prompted and not stripped.startswith("$ "):
                if found and found[-1][0] >= logical[0][0]:  # output of the last command of this block
                    found[-1][2].append(stripped)
                continue
            command = stripped.removeprefix("$ ").strip()
            if command and not command.startswith("#"):
                found.append((line_number, command, []))
    return found


def readme_examples(text: str) -> list[Example]:
    examples: list[Example] = []
    built: dict[str, Example] = {}  # /tmp/ index → the runnable example that builds it
    for line, command, shown in _fenced_command_lines(text):
        if not INVOCATION.search(command):
            continue  # `make run` and other commands
        example = Example(line, command, shown)
        example.tokens = _shell_words(INVOCATION.sub("news-archive", command))
        segments: list[list[str]] = [[]]
        for token in example.tokens:
            if SHELL_OPERATOR.match(token):
                segments.append([])
            else:
                segments[-1].append(token)
        words = next(segment for segment in segments if "news-archive" in segment)
        at = words.index("news-archive")
        example.env = dict(word.split("=", 1) for word in words[:at] if ASSIGNMENT.match(word))
        example.argv = words[at + 1:]
        example.shell = len(segments) > 1 or bool(example.env)
        comment = command.split(" #", 1)[1] if " #" in command else ""
        if re.search(r"\bexit 1\b", comment) or (shown and shown[0].startswith("news-archive:")):
            example.expected_exit = 1
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                example.args = build_parser().parse_args(example.argv)
        except SystemExit:
            examples.append(example)  # a usage error: run it, so the failure shows what the parser says
            continue
        example.index = example.args.__dict__.get("index") or example.env.get("NEWS_ARCHIVE_INDEX")
        example.skip = _skip_reason(example, built)
        if example.skip is None and example.args.command == "rebuild-index" and example.index:
            built[example.index] = example
        examples.append(example)
    return examples


def _skip_reason(example: Example, built: dict[str, Example]) -> str | None:
    args = example.args
    assert args is not None
    if args.command == "serve":
        return SKIP_SERVE
    reads = list(getattr(args, "paths", None) or [])
    if args.__dict__.get("batch") not in (None, "-"):
        reads.append(args.batch)
    for path in reads:
        if path.startswith(SANDBOX):
            continue
        resolved = (ROOT / Path(path).expanduser()).resolve()
        if not resolved.is_relative_to(ROOT):
            return f"{SKIP_OUTSIDE}: {path}"
        if not resolved.exists():
            return f"{SKIP_MISSING}: {path}"
    writes = [example.tokens[i + 1] for i, token in enumerate(example.tokens[:-1]) if token.startswith(">")]
    if args.command in ("rebuild-index", "add") and example.index:
        writes.append(example.index)
    if any(not path.startswith(SANDBOX) and path != "/dev/null" for path in writes):
        return f"{UNSANDBOXED}: {' '.join(writes)}"
    if example.index and args.command != "rebuild-index":
        if example.index not in built:
            return f"{SKIP_NEEDS_SKIPPED_INDEX}: {example.index}"
        example.builder = built[example.index]
    return None


EXAMPLES = readme_examples(README.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- running them


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private directory standing in for /tmp/, holding the seed index every example without --index uses."""
    directory = tmp_path_factory.mktemp("readme")
    assert re.fullmatch(r"[\w/.-]+", str(directory)), f"{directory} would need quoting inside the examples"
    done = subprocess.run([sys.executable, "-m", "archive", "rebuild-index", str(ROOT / "seeds"), "--quiet",
                           "--index", str(directory / "seed-index")],
                          cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    return directory


def run_example(example: Example, sandbox: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "NEWS_ARCHIVE_INDEX"}
    env.update(NEWS_ARCHIVE_INDEX=str(sandbox / "seed-index"), PY=sys.executable, PYTHONUTF8="1")
    command = example.command.replace(SANDBOX, f"{sandbox}/")
    if example.shell:
        argv = ["bash", "-c", "set -o pipefail\n" + INVOCATION.sub('"$PY" -m archive', command)]
    else:
        argv = [sys.executable, "-m", "archive", *_shell_words(INVOCATION.sub("news-archive", command))[1:]]
    return subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=TIMEOUT)


def _normalized(line: str) -> str:
    return DURATION.sub(r"N \1", line.strip())


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_readme_example_runs(example: Example, sandbox: Path) -> None:
    if example.skip:
        pytest.skip(f"README line {example.line} `{example.command}`: {example.skip}")
    if example.builder is not None and example.index and not Path(
            example.index.replace(SANDBOX, f"{sandbox}/")).exists():
        # the example that builds this index did not run first (a single test selected): run it now
        assert run_example(example.builder, sandbox).returncode == 0, f"README line {example.builder.line} failed"
    done = run_example(example, sandbox)
    where = f"README line {example.line}: {example.command}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == example.expected_exit, where
    if example.expected_exit == 1:
        assert len(done.stderr.strip().splitlines()) == 1, f"not a one-line message\n{where}"
        return
    assert "Traceback" not in done.stderr, where
    printed = {_normalized(line) for line in (done.stdout + done.stderr).splitlines()}
    for shown in example.shown_output:
        if "…" not in shown:
            assert _normalized(shown) in printed, f"the README shows {shown!r}, which was not printed\n{where}"
    if example.args is not None and (example.args.__dict__.get("json") or example.args.__dict__.get("batch")):
        for line in done.stdout.splitlines():
            json.loads(line)  # every line of --json / --batch output is JSON


def test_examples_are_found() -> None:
    commands = {example.args.command for example in EXAMPLES if example.args is not None}
    assert {"rebuild-index", "search", "inspect", "analyze"} <= commands, commands
    assert sum(example.skip is None for example in EXAMPLES) >= 10


def test_examples_are_skipped_only_by_rule() -> None:
    skipped = [(example.line, example.command, example.skip) for example in EXAMPLES if example.skip]
    print("\nREADME examples skipped:\n" + "\n".join(f"  line {n}: {c}\n    {why}" for n, c, why in skipped))
    unexplained = [entry for entry in skipped if not entry[2].startswith(ALLOWED_SKIPS)]
    assert not unexplained, f"examples skipped for no allowed reason: {unexplained}"


# ---------------------------------------------------------------- every command and option is documented


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    return [option for action in parser._actions for option in action.option_strings
            if option.startswith("--") and option != "--help"]


def _section(text: str, heading: re.Pattern[str]) -> str | None:
    """The text from the heading matching `heading` (with its `#`s as group 1) to the next heading of the same or a
    higher level, ignoring `#` lines inside fenced code."""
    lines = text.splitlines()
    in_code = False
    start = level = None
    for number, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        if start is None:
            match = heading.match(line)
            if match:
                start, level = number, len(match.group(1))
        elif re.match(rf"^#{{1,{level}}} ", line):
            return "\n".join(lines[start:number])
    return None if start is None else "\n".join(lines[start:])


def _command_section(name: str) -> str | None:
    return _section(README.read_text(encoding="utf-8"), re.compile(rf"^(#+) `{re.escape(name)}(?:[ `])", re.M))


def _mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


SUBCOMMANDS = _subcommands()
OPTIONS = [(name, option) for name, sub in SUBCOMMANDS.items() for option in _long_options(sub)]


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_subcommand_has_a_readme_section(name: str) -> None:
    assert _command_section(name) is not None, f"README.md has no section \"### `{name} …`\" for `{name}`"


@pytest.mark.parametrize(("name", "option"), OPTIONS, ids=[f"{name} {option}" for name, option in OPTIONS])
def test_option_is_documented_in_its_command_section(name: str, option: str) -> None:
    section = _command_section(name)
    assert section is not None and _mentions(section, option), (
        f"`{name} {option}` is not documented in the README section of `{name}`")


@pytest.mark.parametrize("option", _long_options(build_parser()))
def test_top_level_option_is_documented(option: str) -> None:
    commands = _section(README.read_text(encoding="utf-8"), re.compile(r"^(#+) Commands\s*$", re.M))
    assert commands is not None and _mentions(commands, option), f"`news-archive {option}` is not in ## Commands"


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_command_section_names_only_real_options(name: str) -> None:
    section = _command_section(name) or ""
    real = set(_long_options(SUBCOMMANDS[name])) | set(_long_options(build_parser()))
    named = set(re.findall(r"(?<![\w-])--[a-z][\w-]*", section))
    assert named <= real, f"the `{name}` section names options `{name}` does not have: {sorted(named - real)}"

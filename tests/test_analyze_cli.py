"""`news-archive analyze` (python -m archive analyze): the real command in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def analyze(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "analyze", *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", cwd=ROOT, timeout=60)


def test_text_argument_prints_space_separated_terms():
    result = analyze("وَقَالَ الرَّئِيسُ في لموسكو")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "قال رئيس موسكو\n"


def test_json_prints_a_list():
    result = analyze("بموسكو ولبنان Reuters ٢٠١٨", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["موسكو", "لبنان", "reuters", "2018"]


def test_stdin_gives_one_output_line_per_input_line():
    lines = ["للبنان", "", "في من", "مُحَمَّد Ali", "   "]
    result = analyze("--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [["لبنان"], [], [], ["محمد", "ali"], []]


def test_stdin_plain_output_keeps_empty_lines():
    result = analyze(stdin="الرئيس\n\nموسكو")
    assert result.stdout.split("\n") == ["رئيس", "", "موسكو", ""]


def test_hostile_long_tokens_do_not_fail():
    result = analyze("لبنان " + "ب" * 20_000)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "لبنان\n"
    result = analyze(stdin="ب" * 1_000_000 + " موسكو\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "موسكو\n"

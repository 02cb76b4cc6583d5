"""The house keeps its shape: layers by folder, the read side free of the write side, no import cycles, imports at
the top, and the fast paths into Whoosh's internals actually taken."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.index import whoosh_io
from archive.index.writer import add_to_index, rebuild_index
from archive.search.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "archive"
LAYERS = ("text", "extract", "index", "search", "cluster", "interfaces")
# The write side: what a searching process must never load.
WRITE_SIDE = ("archive.index.writer", "archive.index.workers", "archive.extract.ingest", "archive.extract.readers",
              "archive.extract.builder", "archive.extract.cleaning", "archive.extract.dates",
              "archive.interfaces.cli", "archive.interfaces.progress", "archive.extract.web", "archive.extract.warc",
              "archive.extract.feeds", "archive.extract.fetch", "archive.index.shard_writer", "archive.cluster.build")
# Functions whose imports are deferred on purpose, each for a reason its docstring or comment gives.
DEFERRED_IMPORTS: dict[str, set[str]] = {"archive.interfaces.cli": {"_cluster"}}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("archive"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("archive"))
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules}


def test_every_module_lives_in_a_layer_folder_except_the_shared_records() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "article.py", "batching.py", "errors.py", "resources.py"]
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name not in ("data", "__pycache__")) == \
        sorted(LAYERS)


def test_the_package_has_no_import_cycles() -> None:
    graph = {_module_name(p): _top_level_imports(p) for p in PACKAGE.rglob("*.py")}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, "import cycle: " + " -> ".join([*visiting[visiting.index(module):], module])
        visiting.append(module)
        for imported in graph.get(module, ()):
            if imported != module and imported in graph:
                visit(imported)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_imports_are_at_the_top_of_every_module() -> None:
    inside: list[str] = []
    for path in [*PACKAGE.rglob("*.py"), ROOT / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom) and \
                            node.name not in DEFERRED_IMPORTS.get(_module_name(path), set()):
                        inside.append(f"{path.relative_to(ROOT)}:{inner.lineno} in {node.name}()")
    assert not inside, inside


def test_the_search_side_imports_nothing_of_the_write_side() -> None:
    """A searching process loads the storage layout, the schema and the Whoosh readers, never the writer, its
    index processes, the readers of input formats or the command line."""
    code = ("import json, sys; import archive.search.archive, archive.search.suggest, archive.search.related; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('archive'))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                       cwd=ROOT).stdout)
    assert not [m for m in loaded if m in WRITE_SIDE], loaded


def test_the_app_does_not_import_the_command_line() -> None:
    assert "archive.interfaces.cli" not in _top_level_imports(ROOT / "app.py")
    assert not [m for m in _top_level_imports(ROOT / "app.py") if m.startswith("archive.interfaces.cli")]


@pytest.fixture(scope="module")
def slow_paths_of_a_build_and_searches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    whoosh_io.SLOW_PATHS.clear()
    index_dir = tmp_path_factory.mktemp("fast-paths") / "index"
    # one process, so that the writing fast paths are counted here, then an `add` (deletions) and searches
    rebuild_index([ROOT / "seeds"], index_dir, workers=1)
    add_to_index([sorted((ROOT / "seeds").glob("*.txt"))[0]], index_dir)  # an update: a deleted document
    archive = Archive.open(index_dir)
    archive.set_caching(False)
    for query in ("موسكو", '"الرئيس الروسي"', "سوري*", "بوتين OR الأسد", "-دمشق موسكو", "person:بوتين", ""):
        archive.search(query)
    first = archive.search("موسكو").hits[0].id
    archive.similar(first)
    archive.same_story(first)
    archive.suggest("موسكوو")
    return dict(whoosh_io.SLOW_PATHS)


def test_building_and_searching_take_only_the_fast_paths_into_whoosh(
        slow_paths_of_a_build_and_searches: dict[str, int]) -> None:
    assert slow_paths_of_a_build_and_searches == {}


def test_a_slow_path_taken_is_counted_not_silent() -> None:
    """The accounting itself: postings read from an object without Whoosh's W3 term dictionary are counted."""

    class PublicOnlySegment:
        def __init__(self) -> None:
            self.schema = {"body": type("Field", (), {"to_bytes": staticmethod(lambda text: text.encode())})()}

        def postings(self, fieldname: str, text: str) -> object:
            from whoosh.reading import TermNotFound

            raise TermNotFound(text)

    before = whoosh_io.SLOW_PATHS.copy()
    assert len(whoosh_io.read_segment_postings(PublicOnlySegment(), "body", "موسكو")) == 0
    assert whoosh_io.SLOW_PATHS - before == {"postings: segment without a W3 term dictionary": 1}

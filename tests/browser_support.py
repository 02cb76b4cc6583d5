"""Running the real app for browser tests: a Streamlit server on a free local port and Debian's chromium.

Used by tests/test_browser.py; also handy by hand:
    .venv/bin/python -c "from tests.browser_support import *; ..."
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

# An article whose title, body, outlet and URL try to run script in the page. It must show as text.
HOSTILE_TITLE = "بوتين <script>window.__pwned=1</script> في موسكو"
HOSTILE_BODY = (
    'قال الرئيس الروسي فلاديمير بوتين في موسكو إن <img src=x onerror="window.__pwned=1"> الأمر محسوم. '
    "<script>window.__pwned=1</script>\n"
    "وأضاف بوتين أن زيارة الرئيس السوري بشار الأسد إلى موسكو كانت مهمة للعلاقات بين البلدين، "
    "وأن الكرملين يرحب بالتعاون في كل المجالات."
)
HOSTILE_RECORD = {
    "id": "hostile-1",
    "title": HOSTILE_TITLE,
    "body": HOSTILE_BODY,
    "source": 'وكالة <img src=x onerror="window.__pwned=1">',
    "date": "2023-03-16",
    "url": "javascript:window.__pwned=1",
    "persons": ["فلاديمير بوتين", '<b onmouseover="window.__pwned=1">بشار</b>'],
}


def chromium_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: run `make browser` (apt-get install chromium) to run the browser tests"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: pip install -e '.[test]'"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy on port {port} after {timeout:.0f} s")


@contextlib.contextmanager
def streamlit_server(index_dir: Path, extra_env: dict[str, str] | None = None,
                     log_path: Path | None = None) -> Iterator[str]:
    """`streamlit run app.py` on 127.0.0.1 and a free port against `index_dir`; yields the base URL."""
    port = free_port()
    env = dict(os.environ, NEWS_ARCHIVE_INDEX=str(index_dir), **(extra_env or {}))
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()  # type: ignore[union-attr]


def launch_chromium(playwright):  # type: ignore[no-untyped-def]
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def wait_for_app_idle(page, timeout: float = 15_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished the current run and the page is drawn."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning';
        }""",
        timeout=timeout,
    )
    # widgets are drawn by lazily loaded code: wait until no placeholder is left
    page.wait_for_function(
        """() => !document.querySelector(
            '[data-testid="stSkeleton"], [data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"]')""",
        timeout=timeout,
    )
    page.wait_for_timeout(300)


# ---------------------------------------------------------------- the test index

# Outlets and months given to the paragraph articles, so the facets and paging have something to work on.
TEST_SOURCES = ("سانا", "سبوتنيك", "روسيا اليوم", "الجزيرة")
TEST_MONTHS = ("2023-01-10", "2023-02-12", "2023-03-14", "2023-04-16", None)
PERSON_CUES = {"بوتين": "فلاديمير بوتين", "الأسد": "بشار الأسد", "بيسكوف": "ديمتري بيسكوف"}


def paragraph_records(seeds_dir: Path = ROOT / "seeds", min_chars: int = 120) -> list[dict[str, object]]:
    """Real text for a bigger test index: every long paragraph of the seeds becomes an article of its own,
    with an outlet, a date (some undated) and the people it names given as metadata."""
    records: list[dict[str, object]] = []
    for path in sorted(seeds_dir.glob("*.txt")):
        for paragraph in path.read_text(encoding="utf-8").split("\n"):
            paragraph = paragraph.strip()
            if len(paragraph) < min_chars:
                continue
            n = len(records)
            words = paragraph.split()
            records.append({
                "id": f"para-{n:03d}",
                "title": " ".join(words[:9]),
                "body": paragraph,
                "source": TEST_SOURCES[n % len(TEST_SOURCES)],
                "date": TEST_MONTHS[n % len(TEST_MONTHS)],
                "persons": sorted({name for cue, name in PERSON_CUES.items() if cue in paragraph}),
                # a metadata field the archive does not know: it becomes the `section` facet
                "category": TEST_SECTIONS[n % len(TEST_SECTIONS)],
            })
    return records


TEST_SECTIONS = ("politics", "economy", "culture")

# One article republished the same day by the same outlet with a new headline and a corrected figure: two versions
# that search results show as one result ("2 versions").
VERSION_BODY = (
    "أعلنت وزارة الصحة في دمشق اليوم افتتاح مستشفى جديد للأطفال في حي المزة بسعة مئتي سرير، على أن يستقبل المرضى "
    "بدءا من الشهر المقبل. وقال وزير الصحة إن المستشفى مجهز بأحدث الأجهزة الطبية وإن كادره يضم أكثر من ثلاثمئة "
    "طبيب وممرض، مضيفا أن الوزارة تعمل على افتتاح مستشفيين آخرين في حلب وحمص قبل نهاية العام."
)
VERSION_RECORDS = [
    {"id": "version-a", "title": "افتتاح مستشفى جديد للأطفال في دمشق", "body": VERSION_BODY, "source": "سانا",
     "date": "2023-05-02", "category": "health"},
    {"id": "version-b", "title": "وزارة الصحة تفتتح مستشفى للأطفال في دمشق",
     "body": VERSION_BODY.replace("مئتي سرير", "مئتين وخمسين سريرا"), "source": "سانا", "date": "2023-05-02",
     "category": "health"},
]


def write_test_inputs(folder: Path) -> list[Path]:
    """The seeds, their paragraphs as articles, and the hostile article: the inputs of the test index."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    records = [*paragraph_records(), *VERSION_RECORDS, HOSTILE_RECORD]
    jsonl = folder / "test-articles.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return [ROOT / "seeds", jsonl]


def build_test_index(folder: Path) -> Path:
    from archive.index.writer import rebuild_index

    index_dir = folder / "index"
    rebuild_index(write_test_inputs(folder / "inputs"), index_dir, workers=1)
    return index_dir

"""The `news-archive` command line: a thin layer that parses arguments and prints what the library returns.

Exit codes: 0 success, 1 failure (one-line message on stderr, traceback only with --debug), 2 usage error.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError, InputError
from archive.extract import loops as extraction_loops
from archive.extract.fetch import is_url
from archive.extract.ingest import iter_articles, learn_boilerplate
from archive.extract.records import ReadOptions
from archive.extract.report import IngestReport
from archive.index import kernels
from archive.index.shards import MAX_SHARDS
from archive.index.writer import add_to_index, rebuild_index
from archive.interfaces.progress import TerminalProgress
from archive.resources import APP_FILE, SEEDS_DIR
from archive.search.archive import MATCHES, SORTS, Archive, SearchResult
from archive.search.names import person_spellings
from archive.text.analysis import analyze_terms

DEFAULT_INDEX = "index"


def index_dir(args: argparse.Namespace) -> Path:
    """`--index`, else $NEWS_ARCHIVE_INDEX, else ./index."""
    return Path(args.index or os.environ.get("NEWS_ARCHIVE_INDEX") or DEFAULT_INDEX)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (want yyyy-mm-dd): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def _shards(text: str) -> int:
    value = _positive(text)
    if value > MAX_SHARDS:
        raise argparse.ArgumentTypeError(f"at most {MAX_SHARDS} shards: {text!r}")
    return value


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- commands


def cmd_analyze(args: argparse.Namespace) -> int:
    lines = [args.text] if args.text is not None else (line.rstrip("\n") for line in sys.stdin)
    for line in lines:
        terms = analyze_terms(line)
        if args.json:
            _print_json(terms)
        else:
            sys.stdout.write(" ".join(terms) + "\n")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    report = IngestReport()
    options = ReadOptions(any_language=args.any_language)
    # boilerplate is learned from the inputs inspected: paragraphs recurring across their outlet's articles (a feed
    # URL is not fetched twice for it)
    learned = None if any(is_url(str(path)) for path in args.paths) else learn_boilerplate(args.paths, options=options)
    articles = list(iter_articles(args.paths, report, options=options,
                                  boilerplate=learned.boilerplate() if learned else None))
    if args.json:
        # DESIGN.md's keys keep their meaning; provenance, language, author and captured are extra keys
        _print_json([
            {
                "id": a.id, "origin": a.origin, "title": a.title, "source": a.source, "date": a.date_iso,
                "persons": a.persons, "url": a.url, "body_chars": len(a.body), "removed_lines": a.removed_lines,
                "places": a.places, "organizations": a.organizations,
                # extra key: the registered people's other spellings (no archive here: nothing merged across it)
                "person_spellings": person_spellings(a.persons),
                "provenance": a.provenance, "language": a.language, "author": a.author, "captured": a.captured,
            }
            for a in articles
        ])
    else:
        for a in articles:
            origins = ", ".join(f"{field} {origin}" for field, origin in a.provenance.items())
            web = "".join(f"\n  {label:<8} {value}" for label, value in
                          (("author:", a.author), ("language:", a.language), ("captured:", a.captured)) if value)
            print(f"{a.origin}\n  id:      {a.id}\n  title:   {a.title}\n  source:  {a.source or '-'}\n"
                  f"  date:    {a.date_iso or 'undated'}\n  persons: {'، '.join(a.persons) or '-'}\n"
                  f"  places:  {'، '.join(a.places) or '-'}\n  orgs:    {'، '.join(a.organizations) or '-'}\n"
                  f"  url:     {a.url or '-'}\n  body:    {len(a.body)} characters, "
                  f"{len(a.removed_lines)} lines of page furniture removed{web}\n  from:    {origins}")
    for skipped in report.skipped:
        print(f"skipped {skipped.origin}: {skipped.reason}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return 0


def _cluster() -> Any:
    """archive.cluster, imported only by a command given a scheduler: `distributed` takes ~0.7 s to import, which
    every other command would pay for nothing."""
    import archive.cluster.build
    import archive.cluster.connect
    import archive.cluster.search

    return archive.cluster


def open_archive(args: argparse.Namespace) -> Any:
    """The index to search: on the Dask cluster of --scheduler / $NEWS_ARCHIVE_SCHEDULER when one is given, else in
    this process (a sharded index's shards side by side)."""
    address = _scheduler(args)
    if address is None:
        return Archive.open(index_dir(args))
    cluster = _cluster()
    return cluster.search.open_on_cluster(index_dir(args),
                                          cluster.connect.connect(cluster.connect.scheduler_address(address)))


def _scheduler(args: argparse.Namespace) -> str | None:
    given = getattr(args, "scheduler", None)
    return (given or os.environ.get("NEWS_ARCHIVE_SCHEDULER") or "").strip() or None


def cmd_rebuild_index(args: argparse.Namespace) -> int:
    paths = args.paths or [SEEDS_DIR]
    bar = TerminalProgress() if sys.stderr.isatty() and not args.quiet else None
    address = _scheduler(args)
    try:
        options = ReadOptions(any_language=args.any_language)
        if address is None:
            summary = rebuild_index(paths, index_dir(args), workers=args.workers, progress=bar, shards=args.shards,
                                    options=options)
            Archive.prepare(index_dir(args))
        else:
            cluster = _cluster()
            client = cluster.connect.connect(cluster.connect.scheduler_address(address))
            try:
                summary = cluster.build.rebuild_on_cluster(paths, index_dir(args), client, shards=args.shards,
                                                           progress=bar, options=options)
            finally:
                cluster.connect.close_quietly(client)
    finally:
        if bar is not None:
            bar.close()
    for skipped in summary.skipped:
        print(f"skipped {skipped.origin}: {skipped.reason}", file=sys.stderr)
    print(summary.line())
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    address = _scheduler(args)
    options = ReadOptions(any_language=args.any_language)
    if address is None:
        summary = add_to_index(args.paths, index_dir(args), options=options)
        Archive.prepare(index_dir(args))
    else:
        cluster = _cluster()
        client = cluster.connect.connect(cluster.connect.scheduler_address(address))
        try:
            summary = cluster.build.add_on_cluster(args.paths, index_dir(args), client, options=options)
        finally:
            cluster.connect.close_quietly(client)
    for skipped in summary.skipped:
        print(f"skipped {skipped.origin}: {skipped.reason}", file=sys.stderr)
    print(summary.line())
    return 0


def _facet_filter(text: str) -> tuple[str, str]:
    """`--facet NAME=VALUE` (also NAME:VALUE) -> (name, value)."""
    for separator in ("=", ":"):
        name, found, value = text.partition(separator)
        if found and name.strip() and value.strip():
            return name.strip(), value.strip()
    raise argparse.ArgumentTypeError(f"want NAME=VALUE, e.g. section=sport: {text!r}")


def _search_options(args: argparse.Namespace) -> dict:
    facets: dict[str, list[str]] = {}
    for name, value in args.facet or ():
        facets.setdefault(name, []).append(value)
    return {
        "persons": args.person or (), "sources": args.source or (),
        "places": args.place or (), "organizations": args.org or (),
        "date_from": args.date_from, "date_to": args.date_to, "include_undated": args.include_undated,
        "sort": args.sort, "match": args.match, "limit": args.limit, "page": args.page, "facets": facets,
        "collapse": args.collapse,
    }


def _print_result(result: SearchResult, as_json: bool) -> None:
    if as_json:
        _print_json(result.to_dict())
        return
    print(result.summary_line())
    for number, hit in enumerate(result.hits, start=(result.page - 1) * result.limit + 1):
        metadata = "".join(f" | {name}: {value}" for name, value in hit.metadata.items())
        versions = f" | {len(hit.versions) + 1} versions: {', '.join(v.id for v in hit.versions)}" \
            if hit.versions else ""
        print(f"\n{number}. {hit.title}\n   {hit.source or 'unknown source'} | {hit.date_iso or 'undated'}"
              f" | {hit.id}{metadata}{versions}" + (f"\n   {'، '.join(hit.persons)}" if hit.persons else "")
              + _entities_line(hit.places, hit.organizations) + f"\n   {hit.plain_snippet}")


def _entities_line(places: list[str], organizations: list[str]) -> str:
    parts = ([f"places: {'، '.join(places)}"] if places else []) + \
        ([f"organizations: {'، '.join(organizations)}"] if organizations else [])
    return f"\n   {' | '.join(parts)}" if parts else ""


def _from_argv(text: str) -> str:
    """An argument that was not valid UTF-8 reaches Python as lone surrogates (U+DC80..U+DCFF); they become U+FFFD,
    so the query echoed back (terminal or JSON) can be printed."""
    return "".join("\ufffd" if "\ud800" <= char <= "\udfff" else char for char in text)


def cmd_search(args: argparse.Namespace) -> int:
    if args.batch is not None and args.query:
        print("news-archive search: give a QUERY or --batch FILE, not both", file=sys.stderr)
        return 2
    stream = None
    if args.batch is not None and args.batch != "-":
        try:
            stream = open(args.batch, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError as error:
            raise InputError(f"cannot read the batch file {args.batch}: {error.strerror or error}") from None
    try:
        archive = open_archive(args)
        options = _search_options(args)
        if args.batch is not None:
            # one open index for every line; one JSON object per line, flushed so a pipe sees it at once
            for line in stream if stream is not None else sys.stdin:
                _print_json(archive.search(line.rstrip("\r\n"), **options).to_dict())
                sys.stdout.flush()
            return 0
        _print_result(archive.search(_from_argv(" ".join(args.query or ())), **options), args.json)
        return 0
    finally:
        if stream is not None:
            stream.close()


def cmd_stats(args: argparse.Namespace) -> int:
    # how this process searches and extracts: with the compiled loops or, without a C compiler at install, numpy
    # and Python (slower)
    stats = {**open_archive(args).stats(), "search_loops": kernels.state(),
             "extraction_loops": extraction_loops.state()}
    if args.json:
        _print_json(stats)
    else:
        for key, value in stats.items():
            if isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False)
            print(f"{key}: {value}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    app = APP_FILE
    env = dict(os.environ, NEWS_ARCHIVE_INDEX=str(index_dir(args).resolve()))
    address = _scheduler(args)
    if address is not None:
        # the app searches on the cluster (app.py reads it); checked here so a wrong address fails at once
        cluster = _cluster()
        env["NEWS_ARCHIVE_SCHEDULER"] = cluster.connect.scheduler_address(address)
        cluster.connect.close_quietly(cluster.connect.connect(env["NEWS_ARCHIVE_SCHEDULER"]))
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.address", args.address, "--server.port", str(args.port),
               "--browser.gatherUsageStats", "false"]
    print(f"news-archive: serving {env['NEWS_ARCHIVE_INDEX']} on http://{args.address}:{args.port}", file=sys.stderr)
    if os.name == "posix":
        # become the server, so a signal to this process (kill, a supervisor) stops it instead of orphaning it
        sys.stdout.flush()
        os.execve(sys.executable, command, env)
    return subprocess.call(command, env=env)


# ---------------------------------------------------------------- parser


def _any_language_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--any-language", action="store_true",
                     help="also index web pages and feed entries whose text is not Arabic (skipped by default)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="news-archive", description="A searchable archive of Arabic news.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_index(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--index", metavar="DIR",
                         help="index directory (default: $NEWS_ARCHIVE_INDEX, else ./index)")
        return sub

    def with_scheduler(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--scheduler", metavar="ADDRESS",
                         help="run on the Dask cluster of this scheduler (default: $NEWS_ARCHIVE_SCHEDULER; "
                              "none: this machine only)")

    sub = with_index(commands.add_parser("rebuild-index", help="build a fresh index and swap it in atomically"))
    sub.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the bundled seeds)")
    sub.add_argument("--workers", type=_positive, default=min(2, os.cpu_count() or 1),
                     help="processes for extraction and analysis (default: 2)")
    sub.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_argument("--shards", type=_shards, default=None,
                     help="split the index into N shards by a hash of the article id (default: as many as the "
                          "current index has; 1, no split, for a new one)")
    _any_language_option(sub)
    with_scheduler(sub)
    sub.set_defaults(handler=cmd_rebuild_index)

    sub = with_index(commands.add_parser("add", help="add or update articles in an existing index"))
    sub.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or feed URLs (http, https)")
    _any_language_option(sub)
    with_scheduler(sub)
    sub.set_defaults(handler=cmd_add)

    sub = with_index(commands.add_parser("search", help="search the index"))
    sub.add_argument("query", nargs="*", help="the query, one argument or several words (empty: browse everything, "
                     "newest first); a word may start with - to leave it out: search -دمشق موسكو")
    sub.add_argument("--batch", metavar="FILE", help="one query per line of FILE ('-': standard input), JSON out")
    sub.add_argument("--person", action="append", metavar="P", help="only articles naming P (repeatable: any)")
    sub.add_argument("--source", action="append", metavar="S", help="only articles from S (repeatable: any)")
    sub.add_argument("--place", action="append", metavar="P",
                     help="only articles naming the place P, in any registered spelling or in Latin letters "
                          "(مصر, جمهورية مصر العربية, Egypt; repeatable: any)")
    sub.add_argument("--org", action="append", metavar="O",
                     help="only articles naming the organization O (الأمم المتحدة, UN; repeatable: any)")
    sub.add_argument("--from", dest="date_from", type=_date, metavar="DATE", help="published on or after")
    sub.add_argument("--to", dest="date_to", type=_date, metavar="DATE", help="published on or before")
    sub.add_argument("--facet", action="append", type=_facet_filter, metavar="NAME=VALUE",
                     help="only articles whose metadata facet NAME is VALUE, e.g. section=sport (repeatable: any "
                          "value of one facet, every facet given)")
    sub.add_argument("--collapse", action="store_true",
                     help="show versions of one article (same outlet and day, lightly edited) as one result")
    sub.add_argument("--include-undated", action="store_true", default=None,
                     help="keep undated articles even when a date range is set")
    sub.add_argument("--sort", choices=SORTS, default=None)
    sub.add_argument("--match", choices=MATCHES, default=None,
                     help="all words (default, falling back to any when nothing matches) or any word")
    sub.add_argument("--limit", type=_positive, default=10)
    sub.add_argument("--page", type=_positive, default=1)
    sub.add_argument("--json", action="store_true")
    with_scheduler(sub)
    sub.set_defaults(handler=cmd_search)

    sub = commands.add_parser("inspect", help="show what extraction makes of articles, without indexing")
    sub.add_argument("paths", nargs="+", metavar="PATH")
    _any_language_option(sub)
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=cmd_inspect)

    sub = commands.add_parser("analyze", help="print the index terms of TEXT or of each line of stdin")
    sub.add_argument("text", nargs="?")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=cmd_analyze)

    sub = with_index(commands.add_parser("stats", help="what the index holds"))
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=cmd_stats)

    sub = with_index(commands.add_parser("serve", help="start the browser app"))
    sub.add_argument("--port", type=_positive, default=8501)
    sub.add_argument("--address", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    with_scheduler(sub)
    sub.set_defaults(handler=cmd_serve)
    return parser


def _query_words_first(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """A search query may start with `-` (`search -دمشق موسكو`), which argparse would take for an unknown option.
    The words of the query (any argument of `search` that is not one of its options or an option's value) are
    moved behind `--`, in their order, so argparse reads them as the query."""
    try:
        at = argv.index("search")
    except ValueError:
        return argv
    if any(arg == "--" for arg in argv[at:]):
        return argv
    search = next(action for action in parser._subparsers._group_actions  # type: ignore[union-attr]
                  if isinstance(action, argparse._SubParsersAction)).choices["search"]
    takes_value = {option for action in search._actions if action.nargs != 0 for option in action.option_strings}
    known = {option for action in search._actions for option in action.option_strings}
    options: list[str] = []
    words: list[str] = []
    rest = argv[at + 1:]
    index = 0
    while index < len(rest):
        arg = rest[index]
        name = arg.split("=", 1)[0]
        if name in known or (arg.startswith("--") and len(arg) > 2):  # an unknown --option stays a usage error
            options.append(arg)
            if name in takes_value and "=" not in arg and index + 1 < len(rest):
                index += 1
                options.append(rest[index])
        else:
            words.append(arg)
        index += 1
    return [*argv[: at + 1], *options, *(["--", *words] if words else [])]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_query_words_first(parser, list(sys.argv[1:] if argv is None else argv)))
    try:
        return args.handler(args)
    except ArchiveError as error:
        if args.debug:
            raise
        print(f"news-archive: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("news-archive: interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except Exception as error:  # a bug, but the user still deserves one line, not a traceback
        if args.debug:
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"news-archive: {type(error).__name__}: {message} (run with --debug for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The ``geokg`` command: serve, validate, export, import, path, backup, restore, migrate."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import logging
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import ValidationError

from app.auth import Token, TokenError, parse_tokens
from app.config import SettingError, Settings, load_settings
from app.params import comma_separated
from app.progress import CountingReader, Progress
from graph import queries
from graph.errors import GeokgError, RecordValidationError, SeedValidationError
from graph.formats import FORMATS, export
from graph.imports import READERS, format_for_path, import_stream
from graph.model import Event
from graph.seed import validate_seed_paths
from graph.service import KnowledgeGraph, freeze_heap, return_free_memory
from graph.storage import is_postgres_location, migrate_store, open_record_store, schema_status
from graph.storage.sqlite import restore_backup
from graph.store import GraphStore

__all__ = ["main"]


def _graph(args: argparse.Namespace, *, reading: bool = False) -> KnowledgeGraph:
    """The store of record (``--db``/``GEOKG_DB``), seeded on first use; with only ``--seeds``
    on the command line, a throwaway store of those seeds (as before there was a store).

    A command that only reads (``reading``) uses the saved read model beside the store when it
    can, but never writes one there: that file is the service's."""
    db = getattr(args, "db", None)
    if getattr(args, "seeds", None) is not None and db is None:
        db = ":memory:"
    settings = load_settings(db=db, seeds=getattr(args, "seeds", None))
    return KnowledgeGraph.open(settings.db, settings.seeds, saving=not reading)


def _counts(graph: KnowledgeGraph) -> str:
    with graph.reading() as store:
        return ", ".join(f"{n} {k}" for k, n in store.counts().items())


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app, serving_process

    settings = load_settings(
        host=args.host,
        port=args.port,
        seeds=args.seeds,
        db=args.db,
        workers=args.workers,
        access_log=args.access_log,
    )
    if settings.workers > 1 and settings.db == ":memory:":
        raise OutputError("--workers above 1 needs a store file: a :memory: store is per process")
    serving_process()
    if settings.workers == 1:
        app = create_app(settings)  # checks the tokens before it opens (and maybe seeds) the store
        freeze_heap()
        _announce(settings, app.state.graph, app.state.tokens)
        uvicorn.run(app, host=settings.host, port=settings.port, access_log=settings.access_log)
        return 0
    # Several processes: the store is seeded and the read model saved here, once, and let go
    # of; each worker then opens the store (loading the saved model) with the same settings,
    # from the environment it inherits.
    try:
        tokens = parse_tokens(settings.tokens, settings.tokens_file)
    except TokenError as exc:
        raise OutputError(str(exc)) from None
    graph = KnowledgeGraph.open(settings.db, settings.seeds)
    try:
        _announce(settings, graph, tokens)
    finally:
        graph.close()
    del graph
    gc.collect()
    return_free_memory()  # the parent only watches its workers: keep none of the model
    os.environ.update(
        GEOKG_DB=settings.db
        if is_postgres_location(settings.db)
        else str(Path(settings.db).resolve()),
        GEOKG_SEEDS=str(settings.seeds.resolve()),
        GEOKG_WORKERS=str(settings.workers),
    )
    print(f"geokg: starting {settings.workers} worker processes", file=sys.stderr)
    uvicorn.run(
        "app.main:create_worker_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=settings.access_log,
        # uvicorn kills a worker that does not answer its ping within this many seconds (5 by
        # default): a worker building its read model on a busy machine can take longer.
        timeout_worker_healthcheck=60,
    )
    return 0


def _announce(settings: Settings, graph: KnowledgeGraph, tokens: Sequence[Token]) -> None:
    url = f"http://{settings.host}:{settings.port}"
    print(
        f"geokg: store {graph.records.location} at change {graph.position}: {_counts(graph)}",
        file=sys.stderr,
    )
    if not any(t.role == "write" for t in tokens):
        print(
            "geokg: no write token configured: the graph is read-only (see GEOKG_TOKENS)",
            file=sys.stderr,
        )
    print(f"geokg: serving {url}  (docs: {url}/docs, {url}/redoc)", file=sys.stderr)


_PG_DUMP = (
    "GEOKG_DB is a PostgreSQL database: back it up with pg_dump and restore it with "
    "pg_restore (geokg backup and restore copy SQLite stores)"
)


def _backup(args: argparse.Namespace) -> int:
    settings = load_settings(db=args.db)
    if is_postgres_location(settings.db):
        raise OutputError(_PG_DUMP)
    if settings.db == ":memory:" or not Path(settings.db).is_file():
        raise OutputError(f"no store at {settings.db} to back up")
    target = Path(args.file)
    if target.is_dir():
        raise OutputError(f"{target} is a directory; give a file name")
    records = open_record_store(settings.db)
    try:
        records.backup(target)
        position = records.position()
    finally:
        records.close()
    print(f"geokg: backed up {settings.db} (change {position}) to {target}", file=sys.stderr)
    return 0


def _restore(args: argparse.Namespace) -> int:
    settings = load_settings(db=args.db)
    if settings.db == ":memory:":
        raise OutputError("GEOKG_DB is :memory:; restore into a file")
    if is_postgres_location(settings.db):
        raise OutputError(_PG_DUMP)
    position = restore_backup(Path(args.file), Path(settings.db), force=args.force)
    print(f"geokg: restored {args.file} into {settings.db} (change {position})", file=sys.stderr)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    settings = load_settings(db=args.db)
    if args.status:
        found = schema_status(settings.db)
        print(found)
        return 0 if found.current else 1
    print(migrate_store(settings.db))
    return 0


def _validate(args: argparse.Namespace) -> int:
    paths = args.paths or [load_settings().seeds]
    store = validate_seed_paths(paths)
    counts = ", ".join(f"{n} {k}" for k, n in store.counts().items())
    print(f"ok: {' '.join(map(str, paths))}: {counts}")
    return 0


def _export(args: argparse.Namespace) -> int:
    if args.depth != 1 and not args.root:
        raise OutputError("--depth needs --root")
    graph = _graph(args, reading=True)
    try:
        with graph.reading() as store:
            node_ids = queries.export_scope(store, args.root, args.depth) if args.root else None
            # From a snapshot, as the service exports: a whole store of record joins its
            # pre-rendered views.
            chunks = export(store.snapshot(), args.format, node_ids)
            return _write_export(args, chunks)
    finally:
        graph.close()


def _write_export(args: argparse.Namespace, chunks: Iterator[bytes]) -> int:
    if args.output is None:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return 0
    target = Path(args.output)
    if target.is_dir():
        raise OutputError(f"{target} is a directory; give a file name")
    if target.exists() and not target.is_file():
        # A device, pipe or the like: write into it as it is (nothing to replace atomically).
        with target.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        return 0
    target = target.resolve()  # replace the file a symlink points to, not the link
    with Progress(f"writing {target.name}") as progress:
        _write_file(target, progress.track(chunks))
    print(f"wrote {target}", file=sys.stderr)
    return 0


def _write_file(target: Path, chunks: Iterator[bytes]) -> None:
    # Write beside the target and rename, so a failure never leaves a half-written file.
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class OutputError(Exception):
    """The export's output file cannot be written."""


class ImportFileError(Exception):
    """A file to import cannot be read or holds something wrong (one line per problem)."""


def _problem_line(file: str, location: str, reason: str) -> str:
    """``FILE:LINE: field: reason`` when the location has a line, else ``FILE: where: reason``."""
    line, sep, rest = location.partition(": ")
    if line.startswith("line ") and line[5:].isdigit():
        return f"{file}:{line[5:]}: {rest + ': ' if sep else ''}{reason}"
    return f"{file}: {location}: {reason}"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def _first_line(text: str, limit: int = 200) -> str:
    """The default title: the first non-blank line, cut at a word to ``limit`` characters."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _ingest(args: argparse.Namespace) -> int:
    from graph.ingest.desk import MAX_ARTICLE_CHARS, IngestIn, ingest

    path = Path(args.file)
    limit = 4 * MAX_ARTICLE_CHARS  # UTF-8 takes at most 4 bytes a character
    try:
        with path.open("rb") as file:
            raw = file.read(limit + 1)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > limit:
        raise ImportFileError(
            f"{path}: text: longer than an article may be ({MAX_ARTICLE_CHARS} characters)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = (
            len(raw[raw.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8", "replace")) + 1
        )
        raise ImportFileError(
            f"{path}:{line}:{column}: text: not UTF-8 (byte {exc.start})"
        ) from None
    text = text.removeprefix("\ufeff")  # a byte-order mark is no part of the article
    title = args.title or _first_line(text)
    try:
        body = IngestIn(text=text, title=title, published=args.published, url=args.url)
    except ValidationError as exc:
        errors = exc.errors()
        error = next((e for e in errors if e["loc"] and e["loc"][0] == "text"), errors[0])
        field = ".".join(str(p) for p in error["loc"])
        where = str(path)
        offset = re.search(r"at offset ([0-9]+)", error["msg"])
        if field == "text" and offset is not None:
            at = int(offset.group(1))
            where = f"{path}:{text.count(chr(10), 0, at) + 1}:{at - text.rfind(chr(10), 0, at)}"
        raise ImportFileError(f"{where}: {field}: {error['msg']}") from None
    graph = _graph(args)
    try:
        found, _ = ingest(graph, body, "cli")
    finally:
        graph.close()
    if args.json:
        print(found.model_dump_json(indent=2))
        return 0
    kinds = Counter(f"{i.type} ({i.action.replace('_', ' ')})" for i in found.items)
    print(f"proposal set {found.id}: {len(found.items)} proposals from {found.sentences} sentences")
    for kind, n in sorted(kinds.items()):
        print(f"  {n:4d} {kind}")
    print(f"  {len(found.skipped):4d} spans skipped (title, markup, captions, bylines)")
    print(f"read in {sum(found.timings_ms.values()):.0f} ms; review: GET /proposals/{found.id}")
    return 0


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    fmt = args.format or format_for_path(path)
    if fmt is None:
        raise ImportFileError(
            f"{path}: cannot tell the format from the extension; give --format "
            f"({', '.join(READERS)})"
        )
    graph = _graph(args)
    try:
        with (
            path.open("rb", buffering=0) as raw,
            Progress(f"reading {path.name}", total=path.stat().st_size) as progress,
        ):
            progress.set_items(0)
            stream = io.BufferedReader(CountingReader(raw, progress.add_bytes), 1 << 16)
            report, position = import_stream(
                graph,
                stream,
                fmt,
                actor="cli",
                dry_run=args.dry_run,
                progress=progress.set_items,
                follow=False,  # the next start builds the read model; this process ends here
            )
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    except RecordValidationError as exc:
        first, more = exc.problems[0], len(exc.problems) - 1
        extra = f" (and {more} more problem(s); --dry-run lists them all)" if more else ""
        raise ImportFileError(
            _problem_line(str(path), first.location, first.reason) + extra
        ) from None
    finally:
        graph.close()
    for problem in report.problems:
        print(
            f"geokg: error: {_problem_line(str(path), problem.location, problem.reason)}",
            file=sys.stderr,
        )
    counts = ", ".join(
        f"{sum(getattr(report, k).values())} {k}"
        for k in ("added", "changed", "unchanged", "rejected")
    )
    done = "would import" if args.dry_run else "imported"
    print(
        f"geokg: {done} {path} ({fmt}, {report.items} records): {counts}; at change {position}",
        file=sys.stderr,
    )
    return 1 if report.problems else 0


def _describe(node: object) -> str:
    label = getattr(node, "label", "?")
    text = f"{label} [{getattr(node, 'id', '?')}]"
    if isinstance(node, Event):
        when = node.date.value.isoformat() if node.date.value else "undated"
        code = f"CAMEO {node.cameo.code} {node.cameo.name}" if node.cameo else "no CAMEO code"
        text += f" (event: {node.kind.value}, {when}, {code})"
    return text


def _path(args: argparse.Namespace) -> int:
    graph = _graph(args, reading=True)
    try:
        with graph.reading() as store:
            return _print_path(store, args)
    finally:
        graph.close()


def _print_path(store: GraphStore, args: argparse.Namespace) -> int:
    flt = queries.path_filter(
        directed=args.directed, types=comma_separated(args.types), kinds=comma_separated(args.kinds)
    )
    source = queries.resolve_node(store, args.source)
    target = queries.resolve_node(store, args.target)
    path = queries.shortest_path(store, source, target, flt)
    print(f"{path.length} hop(s) from {source} to {target}")
    print(f"  {_describe(path.nodes[0])}")
    for edge, node in zip(path.edges, path.nodes[1:], strict=True):
        title = f" ({edge.attributes['title']})" if "title" in edge.attributes else ""
        print(f"  --[{edge.type}{title}: {edge.source} -> {edge.target}]--")
        for ev in edge.evidence:
            print(f'      "{ev.quote}"  ({ev.source} {ev.start}..{ev.end})')
        print(f"  {_describe(node)}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="geokg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the HTTP service")
    serve.add_argument("--host", help="address to bind (GEOKG_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (GEOKG_PORT, default 8000)")
    serve.add_argument("--seeds", type=Path, help="seed directory (GEOKG_SEEDS)")
    serve.add_argument("--db", help="store of record, a SQLite file (GEOKG_DB)")
    serve.add_argument(
        "--workers",
        type=int,
        help="processes answering requests (GEOKG_WORKERS, default 1; each holds a read model)",
    )
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log a line per request (GEOKG_ACCESS_LOG, default off)",
    )
    serve.set_defaults(run=_serve)

    validate = sub.add_parser("validate", help="check seed files or directories")
    validate.add_argument(
        "paths", nargs="*", type=Path, help="files or directories (default: GEOKG_SEEDS)"
    )
    validate.set_defaults(run=_validate)

    exp = sub.add_parser("export", help="export the graph")
    exp.add_argument("--format", "-f", required=True, choices=list(FORMATS))
    exp.add_argument("--root", help="export only the neighbourhood of this node (id or name)")
    exp.add_argument(
        "--depth", type=int, default=1, help=f"neighbourhood depth (1..{queries.MAX_DEPTH})"
    )
    exp.add_argument("--output", "-o", help="file to write (default: standard output)")
    exp.add_argument("--seeds", type=Path, help="export these seeds instead of the store")
    exp.add_argument("--db", help="store of record, a SQLite file (GEOKG_DB)")
    exp.set_defaults(run=_export, log_level=logging.WARNING)

    imp = sub.add_parser(
        "import", help="import an export (any format) into the store, all or nothing"
    )
    imp.add_argument("file", help="the file to import")
    imp.add_argument(
        "--format", "-f", choices=list(READERS), help="the file's format (default: its extension)"
    )
    imp.add_argument(
        "--dry-run", action="store_true", help="only report what would change; write nothing"
    )
    imp.add_argument("--db", help="store of record, a SQLite file (GEOKG_DB)")
    imp.set_defaults(run=_import)

    ing = sub.add_parser(
        "ingest", help="read an article into proposals for review (nothing enters the graph)"
    )
    ing.add_argument("file", help="the article's text, UTF-8")
    ing.add_argument("--published", required=True, type=_date, help="publication date, YYYY-MM-DD")
    ing.add_argument("--title", help="the title (default: the file's first line)")
    ing.add_argument("--url", help="where the article was published")
    ing.add_argument("--json", action="store_true", help="print the whole proposal set as JSON")
    ing.add_argument("--db", help="store of record, a SQLite file (GEOKG_DB)")
    ing.set_defaults(run=_ingest)

    path = sub.add_parser("path", help="shortest path between two nodes, with evidence")
    path.add_argument("source", help="node id or entity name (a label, alias or surname)")
    path.add_argument("target", help="node id or entity name (a label, alias or surname)")
    path.add_argument(
        "--directed", action="store_true", help="follow edges only in their direction"
    )
    path.add_argument("--types", help="comma-separated edge types allowed")
    path.add_argument("--kinds", help="comma-separated node kinds allowed")
    path.add_argument("--seeds", type=Path, help="search these seeds instead of the store")
    path.add_argument("--db", help="store of record, a SQLite file (GEOKG_DB)")
    path.set_defaults(run=_path, log_level=logging.WARNING)

    backup = sub.add_parser("backup", help="copy the store of record, even while it is served")
    backup.add_argument("file", help="the backup file to write")
    backup.add_argument("--db", help="store of record, a SQLite file (GEOKG_DB)")
    backup.set_defaults(run=_backup)

    restore = sub.add_parser("restore", help="replace the store of record with a backup")
    restore.add_argument("file", help="a backup made by 'geokg backup' or POST /admin/backup")
    restore.add_argument("--db", help="store of record, a SQLite file (GEOKG_DB)")
    restore.add_argument("--force", action="store_true", help="overwrite a store that holds data")
    restore.set_defaults(run=_restore)

    migrate = sub.add_parser(
        "migrate", help="create the store's schema, or upgrade it to this geokg's version"
    )
    migrate.add_argument(
        "--db", help="store of record, a SQLite file or a postgresql:// URL (GEOKG_DB)"
    )
    migrate.add_argument(
        "--status",
        action="store_true",
        help="only say which schema version the store is at (exit 1 unless this geokg's)",
    )
    migrate.set_defaults(run=_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Commands that only read (``export``, ``path``) log warnings and errors only: their output
    is the answer, and stderr is for what went wrong."""
    args = _parser().parse_args(argv)
    level = getattr(args, "log_level", logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        status: int = args.run(args)
    except SeedValidationError as exc:
        print(f"geokg: {exc}", file=sys.stderr)
        return 1
    except (GeokgError, OutputError, SettingError, TokenError, ImportFileError) as exc:
        print(f"geokg: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())

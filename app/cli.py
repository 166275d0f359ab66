"""The ``geokg`` command: serve, validate, export, path, backup, restore."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.auth import TokenError
from app.config import SettingError, load_settings
from app.params import comma_separated
from graph import queries
from graph.errors import GeokgError, SeedValidationError
from graph.formats import FORMATS, export
from graph.model import Event
from graph.seed import validate_seed_paths
from graph.service import KnowledgeGraph
from graph.storage import open_record_store
from graph.storage.sqlite import restore_backup
from graph.store import GraphStore

__all__ = ["main"]


def _graph(args: argparse.Namespace) -> KnowledgeGraph:
    """The store of record (``--db``/``GEOKG_DB``), seeded on first use; with only ``--seeds``
    on the command line, a throwaway store of those seeds (as before there was a store)."""
    db = getattr(args, "db", None)
    if getattr(args, "seeds", None) is not None and db is None:
        db = ":memory:"
    settings = load_settings(db=db, seeds=getattr(args, "seeds", None))
    return KnowledgeGraph.open(settings.db, settings.seeds)


def _counts(graph: KnowledgeGraph) -> str:
    with graph.reading() as store:
        return ", ".join(f"{n} {k}" for k, n in store.counts().items())


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app

    settings = load_settings(host=args.host, port=args.port, seeds=args.seeds, db=args.db)
    graph = KnowledgeGraph.open(settings.db, settings.seeds)
    app = create_app(settings, graph)
    url = f"http://{settings.host}:{settings.port}"
    print(
        f"geokg: store {settings.db} at change {graph.position}: {_counts(graph)}",
        file=sys.stderr,
    )
    if not any(t.role == "write" for t in app.state.tokens):
        print(
            "geokg: no write token configured: the graph is read-only (see GEOKG_TOKENS)",
            file=sys.stderr,
        )
    print(f"geokg: serving {url}  (docs: {url}/docs, {url}/redoc)", file=sys.stderr)
    try:
        uvicorn.run(app, host=settings.host, port=settings.port)
    finally:
        graph.close()
    return 0


def _backup(args: argparse.Namespace) -> int:
    settings = load_settings(db=args.db)
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
    position = restore_backup(Path(args.file), Path(settings.db), force=args.force)
    print(f"geokg: restored {args.file} into {settings.db} (change {position})", file=sys.stderr)
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
    graph = _graph(args)
    with graph.reading() as store:
        node_ids = queries.export_scope(store, args.root, args.depth) if args.root else None
        chunks = export(store, args.format, node_ids)
        return _write_export(args, chunks)


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
    print(f"wrote {target}", file=sys.stderr)
    return 0


class OutputError(Exception):
    """The export's output file cannot be written."""


def _describe(node: object) -> str:
    label = getattr(node, "label", "?")
    text = f"{label} [{getattr(node, 'id', '?')}]"
    if isinstance(node, Event):
        when = node.date.value.isoformat() if node.date.value else "undated"
        text += f" (event: {node.kind.value}, {when}, CAMEO {node.cameo.code} {node.cameo.name})"
    return text


def _path(args: argparse.Namespace) -> int:
    with _graph(args).reading() as store:
        return _print_path(store, args)


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
    exp.set_defaults(run=_export)

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
    path.set_defaults(run=_path)

    backup = sub.add_parser("backup", help="copy the store of record, even while it is served")
    backup.add_argument("file", help="the backup file to write")
    backup.add_argument("--db", help="store of record, a SQLite file (GEOKG_DB)")
    backup.set_defaults(run=_backup)

    restore = sub.add_parser("restore", help="replace the store of record with a backup")
    restore.add_argument("file", help="a backup made by 'geokg backup' or POST /admin/backup")
    restore.add_argument("--db", help="store of record, a SQLite file (GEOKG_DB)")
    restore.add_argument("--force", action="store_true", help="overwrite a store that holds data")
    restore.set_defaults(run=_restore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except SeedValidationError as exc:
        print(f"geokg: {exc}", file=sys.stderr)
        return 1
    except (GeokgError, OutputError, SettingError, TokenError) as exc:
        print(f"geokg: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())

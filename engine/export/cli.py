"""``engine export PAPER DEST``, ``engine export-list`` and ``engine export-verify BUNDLE``.

Data goes to stdout, notes to stderr; failures are ``EngineError`` for the main CLI to print.
The catalog is ``--catalog`` or ``$ENGINE_EXPORT_CATALOG``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..cli import add_command, existing_path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the export subcommands to the main CLI."""
    cmd = add_command(sub, "export", run_export, "write the bundle of a paper's logged analyses (docs/export.md)")
    cmd.add_argument("paper", help="paper id, as given to start_export / Dataset.export")
    cmd.add_argument("dest", type=Path, help="bundle directory to write (replaced if it exists)")
    _catalog_option(cmd)
    cmd.add_argument("--format", choices=("parquet", "sqlite"), default="parquet",
                     help="sqlite: also write each dataset's slice as one sqlite file (Parquet is always written)")
    cmd.add_argument("--files-root", type=existing_path, metavar="DIR",
                     help="directory under which relative external file paths (NWB) are read for size and sha256")

    listing = add_command(sub, "export-list", run_list, "list a catalog's papers, analyses, logged tables and exports")
    listing.add_argument("paper", nargs="?", help="only this paper")
    _catalog_option(listing)
    listing.add_argument("--json", action="store_true", help="JSON instead of text")

    verify = add_command(sub, "export-verify", run_verify, "check every file of a bundle against its sha256")
    verify.add_argument("bundle", type=existing_path, help="bundle directory written by `engine export`")


def _catalog_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--catalog", type=Path, metavar="PATH", help="export catalog file (default: $ENGINE_EXPORT_CATALOG)")


def run_export(args: argparse.Namespace) -> int:
    from .bundle import export_paper

    formats = ("parquet", "sqlite") if args.format == "sqlite" else ("parquet",)
    dest = export_paper(args.paper, args.dest, catalog=args.catalog, formats=formats, files_root=args.files_root)
    manifest = json.loads((dest / "manifest.json").read_text("utf-8"))
    rows = sum(t["rows"] for s in manifest["sources"] for t in s["tables"].values())
    print(f"wrote {dest} (export {manifest['export']['export_id']}, {rows} rows, "
          f"{len(manifest['external_files'])} external files)", file=sys.stderr)
    print(dest)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from .catalog import resolve_catalog

    cat = resolve_catalog(args.catalog)
    papers = [args.paper] if args.paper else cat.papers()
    exports = {e["paper_id"]: e for e in cat.exports()}
    out = []
    for paper in papers:
        logged = cat.restrictions(paper)
        out.append({
            "paper_id": paper,
            "export_id": cat.paper_export_id(paper),
            "analyses": [{"analysis_id": s.analysis_id, "export_id": s.export_id, "time": s.time,
                          "tables": sorted({f"{i.source.name}/{i.table}" for i in logged
                                            if i.analysis_id == s.analysis_id})}
                         for s in cat.selections(paper)],
            "files": len(cat.list_file_paths(paper)),
            "bundle": exports.get(paper),
        })
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    for paper in out:
        bundle = paper["bundle"]
        where = f"bundle {bundle['dest']} ({bundle['time']})" if bundle else "no bundle yet"
        print(f"{paper['paper_id']}  export {paper['export_id']}  {paper['files']} files  {where}")
        for a in paper["analyses"]:
            print(f"  {a['analysis_id']}  (id {a['export_id']}, {a['time']}): {', '.join(a['tables']) or '-'}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from .reader import verify_bundle

    manifest = verify_bundle(args.bundle)
    print(f"{args.bundle}: {len(manifest['files'])} files verified "
          f"(paper {manifest['export']['paper_id']}, export {manifest['export']['export_id']})")
    return 0

"""The ``README.md`` of a bundle: what it holds and how to open it with or without the engine."""

from __future__ import annotations

from typing import Any

OPENERS = {
    "dataset": [
        "import engine",
        "ds = engine.connect(\"{path}\")        # verifies every sha256 first",
        "# synaptic physiology: engine.synphys.SynphysDatabase.open(\"{path}\")",
    ],
    "cave": [
        "from engine.materialize import MaterializationClient",
        "client = MaterializationClient(\"{path}\", \"{name}\")",
    ],
}


def readme_text(manifest: dict[str, Any]) -> str:
    """A short Markdown description of the bundle (paper, analyses, sources, tables, files, how to read)."""
    export = manifest["export"]
    lines = [
        f"# Export of paper `{export['paper_id']}` (export id {export['export_id']})",
        "",
        f"Written by engine {manifest['engine_version']} from {len(export['analyses'])} logged analyses: "
        + ", ".join(f"`{a['analysis_id']}`" for a in export["analyses"]) + ".",
        "Each table holds exactly the rows the analyses read plus every row those reference "
        "(foreign keys), so re-running the analyses on this directory gives the same results.",
        "`manifest.json` lists every file with its sha256, the schema and row count of every table, "
        "and the restrictions that were logged.",
        "",
    ]
    for source in manifest["sources"]:
        identity = source["identity"]
        origin = identity.get("file") or identity.get("datastack") or source["name"]
        lines += [f"## Source `{source['name']}` ({source['kind']}, from `{origin}`, "
                  f"sha256 `{str(identity.get('sha256', '?'))[:16]}...`)", ""]
        lines += [f"- `{t['file']}`: {t['rows']} rows" for t in source["tables"].values() if t["rows"]]
        empty = sorted(name for name, t in source["tables"].items() if not t["rows"])
        if empty:
            lines.append(f"- empty (not read, kept for the schema): {', '.join(empty)}")
        kind = "cave" if source["kind"] == "cave" else "dataset"
        path = source["dir"] if kind == "cave" else ("<this directory>" if source["dir"] == "." else source["dir"])
        lines += ["", "```python", *(line.format(path=path, name=source["name"]) for line in OPENERS[kind]), "```", ""]
    lines += [
        "Without the engine: every table is a zstd Parquet file (pyarrow, polars, pandas, DuckDB "
        "`read_parquet`); with `--format sqlite` a dataset's tables are also in `export.sqlite`.",
        "",
    ]
    external = manifest["external_files"]
    if external:
        readable = sum(1 for f in external if f["readable"])
        lines += [f"External files referenced by the rows: {len(external)} ({readable} with size and sha256) "
                  "in `manifest.json` under `external_files`; they are not copied into the bundle.", ""]
    return "\n".join(lines)

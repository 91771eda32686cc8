"""``engine demo``: a tour on the embedded synthetic data, offline, in about a minute."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..cli import add_command

DEMO_RELEASE = "synphys_r2.1_small.sqlite"


def register(sub: argparse._SubParsersAction) -> None:
    cmd = add_command(sub, "demo", demo, "generate the default synthetic data and tour the engine")
    cmd.add_argument("--cache-dir", type=Path, help="default: $ENGINE_CACHE_DIR or the user cache dir")


def demo(args: argparse.Namespace) -> int:
    from .. import connect
    from ..catalog import get_db_path
    from ..catalog.cache import cache_dir

    root = cache_dir(args.cache_dir)
    section("1. A synaptic-physiology release (generated locally from a seed; no network)")
    path = get_db_path(DEMO_RELEASE, cache_dir=args.cache_dir)
    print(f"release file: {path}")
    release = connect(path)
    counts = {t: release.table(t).count() for t in ("experiment", "cell", "pair", "synapse")}
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))

    section("2. Mirror it to zstd Parquet (a no-op when the mirror is current)")
    start = time.perf_counter()
    mirror_dir = release.mirror(root / "mirrors" / Path(DEMO_RELEASE).stem)
    print(f"mirror: {mirror_dir} ({time.perf_counter() - start:.2f} s)")
    mirror = connect(mirror_dir)

    section("3. The same query on the attached sqlite file and on the mirror")
    query = (
        "SELECT pre.cre_type AS pre, post.cre_type AS post, count(*) AS probed, "
        "sum(CASE WHEN pair.has_synapse THEN 1 ELSE 0 END) AS connected "
        "FROM pair JOIN cell pre ON pre.id = pair.pre_cell_id JOIN cell post ON post.id = pair.post_cell_id "
        "WHERE pair.has_synapse IS NOT NULL AND pre.cre_type = ANY($types) AND post.cre_type = ANY($types) "
        "GROUP BY ALL ORDER BY connected DESC LIMIT 8"
    )
    params = {"types": ["sst", "pvalb", "vip", "tlx3", "sim1", "ntsr1"]}
    for name, ds in (("sqlite", release), ("mirror", mirror)):
        start = time.perf_counter()
        table = ds.sql(query, params).arrow()
        print(f"{name:>7}: {table.num_rows} rows in {time.perf_counter() - start:.3f} s")
    print(mirror.sql(query, params).pl())

    section("4. Filter dicts compiled to parameterized SQL")
    result = mirror.query(
        "pair",
        ["id", "pre_cell_id", "post_cell_id", "distance"],
        filter_equal_dict={"has_synapse": True},
        filter_less_dict={"distance": 50e-6},
        order_by="id",
        limit=5,
    )
    print(result.sql)
    print(result.params)
    print(result.pl())

    synphys_section(mirror_dir)
    connectome_section(root / "connectome")
    return 0


def synphys_section(mirror_dir: Path) -> None:
    """A 17x17 cell-class connectivity matrix in one statement (the reference runs 289 queries)."""
    from ..synphys import SynphysDatabase, class_set

    section("5. Synaptic physiology: the mouse 17-class connectivity matrix in one query")
    db = SynphysDatabase.open(mirror_dir)
    start = time.perf_counter()
    cp = db.connectivity_matrix(
        class_set("mouse17"),
        pair_query_args={"experiment_type": "standard multipatch", "species": "mouse"},
        sigma=100e-6,
        dist_measure="lateral_distance",
    )
    print(f"{cp.num_rows} class pairs in {time.perf_counter() - start:.2f} s; the best-sampled:")
    import polars as pl

    frame = pl.from_arrow(cp).sort("n_probed", descending=True).head(6)
    print(frame.select([c for c in frame.columns if c in
                        ("pre_class", "post_class", "n_probed", "n_connected", "cp", "cp_lower", "cp_upper")]))


def connectome_section(root: Path) -> None:
    """Connectome annotation tables at a version and at any timestamp, from a local mirror."""
    from ..materialize import MaterializationClient
    from ..synth import connectome

    section("6. Connectome tables: versions and time travel without a service (caveclient API)")
    stack = root / "synthetic"
    if not (stack / "datastack.json").is_file():
        connectome.write(root, "synthetic", size="small")
    client = MaterializationClient(root, "synthetic")
    versions = client.get_versions()
    print(f"datastack {stack}: versions {versions}, tables {client.get_tables()}")
    neuron = int(client.query_table("synapses", limit=1, select_columns=["pre_pt_root_id"])["pre_pt_root_id"][0])
    now = client.synapse_query(pre_ids=[neuron])
    between = client.get_timestamp(versions[0]) + (client.get_timestamp(versions[1]) - client.get_timestamp(versions[0])) / 2
    print(f"neuron {neuron}: {len(now)} output synapses at version {client.version}")
    print(f"counts by cell type at {between:%Y-%m-%d %H:%M} (between versions {versions[0]} and {versions[1]}):")
    print(client.connectivity(by=("cell_type", "cell_type"), timestamp=between).head(8).to_string(index=False))


def section(title: str) -> None:
    print(f"\n== {title}")

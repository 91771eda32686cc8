"""``client.tables`` / ``client.views``: one attribute per table, called with keyword filters.

``client.tables.synapses(pre_pt_root_id=[...], size={">": 100}, post_pt_position_bbox=box).query()``:
a list means "one of", a dict of ``<``, ``>``, ``<=``, ``>=`` bounds a numeric column, a
``<point>_position_bbox`` field is a spatial box, anything else is an equality. A table that
references another gets the target's fields too; colliding names of the referencing table
get ``_ref`` (the reference's TableManager convention).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import BadFilterError, UnknownColumnError, UnknownNameError
from ..filters.values import family
from ..schema import TableSchema
from .tables import ModelColumns

if TYPE_CHECKING:
    from .client import MaterializationClient

BOUNDS = {"<": "filter_less_dict", ">": "filter_greater_dict", "<=": "filter_less_equal_dict",
          ">=": "filter_greater_equal_dict"}
BBOX = "_bbox"
SKIP = {"valid"}


@dataclass(frozen=True)
class Field:
    """A keyword: the table and model column it filters, and whether it is numeric or a box."""

    table: str
    column: str
    numeric: bool = False
    spatial: bool = False


def _fields(tables: list[tuple[str, TableSchema, str]]) -> dict[str, Field]:
    """Keyword -> Field for ``(table, schema, suffix)`` parts; a name in several parts takes each suffix."""
    per_part = []
    for table, schema, _ in tables:
        model = ModelColumns(schema)
        names: dict[str, Field] = {}
        for name, split in model.groups.items():
            if len(split) == 3:
                names[name + BBOX] = Field(table, name, spatial=True)
            elif name not in SKIP and not name.endswith("_supervoxel_id"):
                names[name] = Field(table, name, numeric=family(schema.column(name).type) in ("int", "float", "decimal"))
        per_part.append(names)
    counts: dict[str, int] = {}
    for names in per_part:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    out = {}
    for (_, _, suffix), names in zip(tables, per_part):
        for name, field in names.items():
            key = name if counts[name] == 1 else (name[: -len(BBOX)] + suffix + BBOX if field.spatial else name + suffix)
            out[key] = field
    return out


class TableQuery:
    """Keyword filters on one table; ``query()`` / ``live_query()`` run them through the client."""

    _client: MaterializationClient
    _table: str
    _reference: str | None = None
    _view: bool = False
    _fields: dict[str, Field] = {}
    fields: list[str] = []

    def __init__(self, **filters: Any) -> None:
        self.filter_kwargs = _filter_kwargs(self._fields, filters, type(self).__name__)

    def _flat(self) -> dict[str, Any]:
        """Filter dicts of a single relation, unnested (what query_table / query_view take)."""
        return {k: v.get(self._table) for k, v in self.filter_kwargs.items() if v.get(self._table)}

    def query(self, select_columns: Any = None, offset: int | None = None, limit: int | None = None,
              split_positions: bool = False, materialization_version: int | None = None, timestamp: Any = None,
              metadata: bool = True, desired_resolution: Any = None, get_counts: bool = False,
              log_warning: bool = True, random_sample: int | None = None, **kwargs: Any) -> Any:
        """Run the filters at a version (default: the client's) or ``timestamp``."""
        common = dict(select_columns=select_columns, offset=offset, limit=limit, split_positions=split_positions,
                      materialization_version=materialization_version, metadata=metadata,
                      desired_resolution=desired_resolution, random_sample=random_sample, **kwargs)
        if self._view:
            return self._client.query_view(self._table, get_counts=get_counts, timestamp=timestamp,
                                           log_warning=log_warning, **common, **self._flat())
        if self._reference is None:
            return self._client.query_table(self._table, timestamp=timestamp, get_counts=get_counts,
                                            log_warning=log_warning, merge_reference=False, **common, **self._flat())
        return self._client.join_query(
            [[self._table, "target_id"], [self._reference, "id"]], timestamp=timestamp,
            suffixes={self._table: "_ref", self._reference: ""}, log_warning=log_warning, **common,
            **{k: v for k, v in self.filter_kwargs.items() if v},
        )

    def live_query(self, timestamp: Any, offset: int | None = None, limit: int | None = None,
                   split_positions: bool = False, metadata: bool = True, desired_resolution: Any = None,
                   allow_missing_lookups: bool = False, log_warning: bool = True,
                   random_sample: int | None = None, **kwargs: Any) -> Any:
        """Run the filters at ``timestamp`` (live_live_query, joined to the reference table if any)."""
        joins = [[self._table, "target_id", self._reference, "id"]] if self._reference else None
        suffixes = {self._table: "_ref", self._reference: ""} if self._reference else None
        return self._client.live_live_query(
            self._table, timestamp, joins=joins, suffixes=suffixes, offset=offset, limit=limit,
            split_positions=split_positions, metadata=metadata, desired_resolution=desired_resolution,
            allow_missing_lookups=allow_missing_lookups, log_warning=log_warning, random_sample=random_sample,
            **kwargs, **{k: v for k, v in self.filter_kwargs.items() if v},
        )


def _filter_kwargs(fields: Mapping[str, Field], filters: Mapping[str, Any], where: str) -> dict[str, dict[str, Any]]:
    """Keyword filters -> ``{filter arg: {table: {column: value}}}``."""
    out: dict[str, dict[str, Any]] = {}

    def put(key: str, field: Field, value: Any) -> None:
        out.setdefault(key, {}).setdefault(field.table, {})[field.column] = value

    for name, value in filters.items():
        if name not in fields:
            raise UnknownColumnError(name, fields, where)
        field = fields[name]
        if value is None:
            continue
        if field.spatial:
            put("filter_spatial_dict", field, value)
        elif isinstance(value, Mapping):
            unknown = set(value) - set(BOUNDS)
            if unknown or not field.numeric:
                raise BadFilterError(f"{name}: bounds take {{'<', '>', '<=', '>='}} on a numeric field, got {value!r}")
            for op, bound in value.items():
                put(BOUNDS[op], field, bound)
        elif hasattr(value, "__len__") and not isinstance(value, (str, bytes)):
            put("filter_in_dict", field, value)
        else:
            put("filter_equal_dict", field, value)
    return out


def _make(
    client: MaterializationClient, name: str, base: dict[str, Any], fields: dict[str, Field], doc: str | None
) -> type:
    attrs = {**base, "_client": client, "_table": name, "_fields": fields, "fields": list(fields),
             "numeric_fields": [k for k, f in fields.items() if f.numeric],
             "spatial_fields": [k for k, f in fields.items() if f.spatial], "__doc__": doc}
    cls = type(name, (TableQuery,), attrs)
    cls.get_all = lambda **kw: cls().query(**kw)  # type: ignore[attr-defined]
    return cls


class _Manager:
    """Names -> query classes, as attributes and by ``[name]``."""

    def __init__(self, classes: dict[str, type]) -> None:
        self._classes = classes
        for name, cls in classes.items():
            setattr(self, name, cls)

    kind = "table"

    def __getitem__(self, name: str) -> type:
        if name not in self._classes:
            raise UnknownNameError(self.kind, name, self._classes, f"client.{self.kind}s")
        return self._classes[name]

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __len__(self) -> int:
        return len(self._classes)

    def __repr__(self) -> str:
        return str(self.table_names)

    @property
    def table_names(self) -> list[str]:
        return sorted(self._classes)

    def find(self, search: str) -> list[str]:
        """Names containing ``search`` (case ignored)."""
        return [n for n in self.table_names if search.lower() in n.lower()]


class TableManager(_Manager):
    """``client.tables``: one query class per table."""

    def __init__(self, client: MaterializationClient) -> None:
        mirror = client._mirror
        classes = {}
        for name, table in mirror.tables.items():
            reference = table.reference_table
            parts = [(name, table.schema, "_ref" if reference else "")]
            if reference:
                parts.append((reference, mirror.table(reference).schema, ""))
            fields = {k: f for k, f in _fields(parts).items() if not (reference and f.column == "target_id")}
            classes[name] = _make(client, name, {"_reference": reference}, fields, table.metadata.get("description"))
        super().__init__(classes)


class ViewManager(_Manager):
    """``client.views``: one query class per view."""

    kind = "view"

    def __init__(self, client: MaterializationClient) -> None:
        mirror = client._mirror
        classes = {}
        for name, files in mirror.layout.views.items():
            fields = _fields([(name, mirror.view_schema(name), "")])
            classes[name] = _make(client, name, {"_view": True}, fields, files.metadata.get("description"))
        super().__init__(classes)

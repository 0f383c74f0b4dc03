"""Writes the Iceberg test tables with pyiceberg (a SQLite SqlCatalog, no server) and the
rows each snapshot must read as, computed here from our own bookkeeping, never by the
reader under test.

Position and equality delete files (which pyiceberg 0.12 cannot write) are written with
pyarrow, Parquet field ids set as the spec says, and committed in a snapshot of their own
through a small delete-manifest producer on pyiceberg's snapshot machinery.

Example:
    .venv/bin/python scripts/iceberg/write_tables.py events.jsonl /tmp/wh
    # -> /tmp/wh/rdg.db/playback/metadata/*.metadata.json, /tmp/wh/fixtures.json,
    #    /tmp/wh/expected/<table>-<snapshot>.jsonl
"""

import json
import os
import sys
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.expressions import In
from pyiceberg.manifest import DataFile, DataFileContent, FileFormat, ManifestContent, ManifestEntry, ManifestEntryStatus, ManifestWriterV2
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table.snapshots import Operation
from pyiceberg.table.update.snapshot import _FastAppendFiles
from pyiceberg.transforms import DayTransform, HourTransform
from pyiceberg.typedef import Record
from pyiceberg.types import IntegerType, LongType, NestedField, StringType, TimestamptzType

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


# ---------------------------------------------------------------- delete commits


class _DeleteManifestWriter(ManifestWriterV2):
    def content(self):
        return ManifestContent.DELETES

    @property
    def _meta(self):
        return {**super()._meta, "content": "deletes"}


class _AddDeletes(_FastAppendFiles):
    """A snapshot that adds delete files (row-level deletes), keeping every manifest."""

    def __init__(self, txn, delete_files, spec):
        super().__init__(operation=Operation.DELETE, transaction=txn, io=txn._table.io)
        self._delete_files = delete_files
        self._delete_spec = spec

    def _manifests(self):
        writer = _DeleteManifestWriter(
            spec=self._delete_spec,
            schema=self.schema(),
            output_file=self.new_manifest_output(),
            snapshot_id=self._snapshot_id,
            avro_compression=self._compression,
        )
        with writer:
            for f in self._delete_files:
                writer.add(ManifestEntry.from_args(status=ManifestEntryStatus.ADDED, snapshot_id=self._snapshot_id, data_file=f))
        return [writer.to_manifest_file()] + self._existing_manifests()


def commit_deletes(table, delete_files, spec):
    with table.transaction() as txn:
        _AddDeletes(txn, delete_files, spec).commit()


def _with_id(name, typ, field_id, nullable=False):
    return pa.field(name, typ, nullable=nullable, metadata={b"PARQUET:field_id": str(field_id).encode()})


def delete_file(path, arrow_table, content, partition, spec_id, equality_ids=None):
    pq.write_table(arrow_table, path)
    return DataFile.from_args(
        content=content,
        file_path="file://" + path,
        file_format=FileFormat.PARQUET,
        partition=partition,
        record_count=arrow_table.num_rows,
        file_size_in_bytes=os.path.getsize(path),
        equality_ids=equality_ids,
        spec_id=spec_id,
    )


def position_deletes(table, data_path, positions, out_path, partition, spec_id):
    t = pa.Table.from_pylist(
        [{"file_path": data_path, "pos": p} for p in sorted(positions)],
        schema=pa.schema([_with_id("file_path", pa.string(), 2147483546), _with_id("pos", pa.int64(), 2147483545)]),
    )
    commit_deletes(table, [delete_file(out_path, t, DataFileContent.POSITION_DELETES, partition, spec_id)], table.specs()[spec_id])


def equality_deletes(table, column, values, out_path, partition, spec_id):
    field_id = table.schema().find_field(column).field_id
    t = pa.Table.from_pylist([{column: v} for v in values], schema=pa.schema([_with_id(column, pa.string(), field_id)]))
    commit_deletes(table, [delete_file(out_path, t, DataFileContent.EQUALITY_DELETES, partition, spec_id, [field_id])], table.specs()[spec_id])


# ---------------------------------------------------------------- rows and bookkeeping


def to_row(e, shift_us, i):
    ts_us = e["ts"] * 1000 + shift_us + (i * 7919) % 1000
    return {
        "eventId": e["eventId"],
        "accountId": e["accountId"],
        "profileId": e["profileId"],
        "deviceId": e["deviceId"],
        "deviceType": e["deviceType"],
        "titleId": e["titleId"],
        "action": e["action"],
        "positionSec": e["positionSec"],
        "ts_us": ts_us,
        "appVersion": e["appVersion"],
        "traceId": e["traceId"],
        "kafka_partition": i % 3,
        "kafka_offset": i // 3,
    }


def arrow_rows(rows, columns):
    """rows in our neutral names -> an arrow table in the table's current column names."""
    out = []
    for r in rows:
        o = {}
        for col, src in columns:
            v = r.get(src)
            if col == "ts":
                v = datetime.fromtimestamp(v // 1_000_000, tz=timezone.utc).replace(microsecond=v % 1_000_000)
            o[col] = v
        out.append(o)
    return out


def append(table, rows, columns):
    fields = []
    for col, _ in columns:
        f = table.schema().find_field(col)
        typ = {
            "string": pa.string(),
            "int": pa.int32(),
            "long": pa.int64(),
            "timestamptz": pa.timestamp("us", tz="UTC"),
        }[str(f.field_type)]
        fields.append(pa.field(col, typ, nullable=not f.required))
    table.append(pa.Table.from_pylist(arrow_rows(rows, columns), schema=pa.schema(fields)))


class Book:
    """The live rows of a table, kept by us: what every snapshot must read as."""

    def __init__(self, out_dir, name):
        self.rows = []  # (seq, row)
        self.seq = 0
        self.out_dir = out_dir
        self.name = name
        self.snapshots = []

    def add(self, rows):
        self.seq += 1
        self.rows += [(self.seq, r) for r in rows]

    def remove(self, pred):
        self.seq += 1
        self.rows = [(s, r) for (s, r) in self.rows if not pred(s, r)]

    def snapshot(self, table, label, fields):
        snap = table.current_snapshot()
        path = os.path.join(self.out_dir, "expected", f"{self.name}-{label}.jsonl")
        with open(path, "w") as f:
            for _, r in sorted(self.rows, key=lambda sr: (sr[1]["ts_us"], sr[1]["eventId"])):
                o = {k: r.get(k) for k in fields}
                o["ts"] = r["ts_us"] // 1000
                o["tsMicros"] = str(r["ts_us"])
                f.write(json.dumps(o) + "\n")
        self.snapshots.append(
            {"label": label, "id": str(snap.snapshot_id), "timestampMs": snap.timestamp_ms, "sequenceNumber": snap.sequence_number, "rows": len(self.rows), "expected": path}
        )


def data_files(table):
    return [t.file for t in table.scan().plan_files()]


def write_big(events_path, out_dir, files):
    """One table of every event in `files` appends by time (day partitions), no deletes:
    for kill-and-restart runs and the benchmark."""
    os.makedirs(out_dir, exist_ok=True)
    events = [json.loads(line) for line in open(events_path) if line.strip()]
    catalog = SqlCatalog("rdg", uri=f"sqlite:///{out_dir}/catalog.db", warehouse=f"file://{out_dir}")
    catalog.create_namespace("rdg")
    schema = Schema(
        NestedField(1, "eventId", StringType(), required=True),
        NestedField(2, "accountId", StringType(), required=True),
        NestedField(3, "profileId", StringType(), required=True),
        NestedField(4, "deviceId", StringType(), required=True),
        NestedField(5, "deviceType", StringType(), required=True),
        NestedField(6, "titleId", StringType(), required=True),
        NestedField(7, "action", StringType(), required=True),
        NestedField(8, "positionSec", IntegerType(), required=True),
        NestedField(9, "ts", TimestamptzType(), required=True),
        NestedField(10, "appVersion", StringType(), required=True),
        NestedField(11, "traceId", StringType(), required=True),
    )
    spec = PartitionSpec(PartitionField(source_id=9, field_id=1000, transform=DayTransform(), name="ts_day"))
    table = catalog.create_table("rdg.playback_big", schema=schema, partition_spec=spec)
    cols = [(f.name, "ts_us" if f.name == "ts" else f.name) for f in schema.fields]
    for e in events:
        e["ts_us"] = e["ts"] * 1000
    events.sort(key=lambda e: e["ts_us"])
    step = (len(events) + files - 1) // files
    for i in range(0, len(events), step):
        append(table, events[i : i + step], cols)
    with open(os.path.join(out_dir, "fixtures.json"), "w") as f:
        json.dump({"metadata": table.metadata_location.removeprefix("file://"), "rows": len(events)}, f)


def write_kafka_export(events_path, out_dir):
    """A topic's export: the events with their Kafka partition and offset columns (given
    in the JSON lines), snake_case like a typical export, one append per partition."""
    os.makedirs(out_dir, exist_ok=True)
    rows = [json.loads(line) for line in open(events_path) if line.strip()]
    catalog = SqlCatalog("rdg", uri=f"sqlite:///{out_dir}/catalog.db", warehouse=f"file://{out_dir}")
    catalog.create_namespace("rdg")
    names = ["eventId", "accountId", "profileId", "deviceId", "deviceType", "titleId", "action", "positionSec", "ts", "appVersion", "traceId"]
    fields = [NestedField(i + 1, n, TimestamptzType() if n == "ts" else IntegerType() if n == "positionSec" else StringType(), required=True) for i, n in enumerate(names)]
    fields += [NestedField(20, "kafka_partition", IntegerType(), required=True), NestedField(21, "kafka_offset", LongType(), required=True)]
    schema = Schema(*fields)
    spec = PartitionSpec(PartitionField(source_id=9, field_id=1000, transform=HourTransform(), name="ts_hour"))
    table = catalog.create_table("rdg.playback_export", schema=schema, partition_spec=spec)
    cols = [(f.name, "ts_us" if f.name == "ts" else f.name) for f in schema.fields]
    for r in rows:
        r["ts_us"] = r["ts"] * 1000
    for p in sorted({r["kafka_partition"] for r in rows}):
        append(table, [r for r in rows if r["kafka_partition"] == p], cols)
    with open(os.path.join(out_dir, "fixtures.json"), "w") as f:
        json.dump({"metadata": table.metadata_location.removeprefix("file://"), "rows": len(rows)}, f)


def main():
    if sys.argv[1] == "--kafka":
        write_kafka_export(sys.argv[2], sys.argv[3])
        return
    if sys.argv[1] == "--big":
        write_big(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    events_path, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(out_dir, "expected"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "deletes"), exist_ok=True)
    events = [json.loads(line) for line in open(events_path) if line.strip()]
    catalog = SqlCatalog("rdg", uri=f"sqlite:///{out_dir}/catalog.db", warehouse=f"file://{out_dir}")
    catalog.create_namespace("rdg")
    fixtures = {"warehouse": out_dir, "tables": {}}

    # ---- rdg.playback: format v2, every evolution and delete kind
    schema = Schema(
        NestedField(1, "eventId", StringType(), required=True),
        NestedField(2, "account_id", StringType(), required=True),
        NestedField(3, "profileId", StringType(), required=True),
        NestedField(4, "deviceId", StringType(), required=True),
        NestedField(5, "deviceType", StringType(), required=True),
        NestedField(6, "titleId", StringType(), required=True),
        NestedField(7, "action", StringType(), required=True),
        NestedField(8, "positionSec", IntegerType(), required=True),
        NestedField(9, "ts", TimestamptzType(), required=True),
        NestedField(10, "appVersion", StringType(), required=True),
        NestedField(11, "traceId", StringType(), required=True),
        NestedField(12, "kafka_partition", IntegerType(), required=True),
        NestedField(13, "kafka_offset", LongType(), required=True),
    )
    spec = PartitionSpec(PartitionField(source_id=9, field_id=1000, transform=DayTransform(), name="ts_day"))
    table = catalog.create_table("rdg.playback", schema=schema, partition_spec=spec)
    book = Book(out_dir, "playback")
    fields = ["eventId", "accountId", "profileId", "deviceId", "deviceType", "titleId", "action", "positionSec", "appVersion", "kafka_partition", "kafka_offset"]
    n = len(events)
    a, b = n * 4 // 10, n * 8 // 10
    rows = [to_row(e, 0 if i < a else DAY_US if i < b else 2 * DAY_US + 5 * HOUR_US, i) for i, e in enumerate(events)]
    for r in rows:
        r["accountId"] = r["account_id"] = r["accountId"]
    rows_a, rows_b, rows_c = rows[:a], rows[a:b], rows[b:]
    cols_v1 = [(c, "account_id" if c == "account_id" else c) for c in [f.name for f in schema.fields]]
    cols_v1 = [(c, "ts_us" if c == "ts" else c) for c, _ in cols_v1]

    # S1: day 0
    append(table, rows_a, cols_v1)
    book.add(rows_a)
    book.snapshot(table, "s1", fields)
    files_a = sorted(data_files(table), key=lambda f: f.file_path)

    # schema evolution: rename titleId -> title_id, int -> long, drop traceId, add region
    with table.update_schema() as u:
        u.rename_column("titleId", "title_id")
        u.update_column("positionSec", field_type=LongType())
        u.delete_column("traceId")
        u.add_column("region", StringType())
    for r in rows_b + rows_c:
        r["region"] = "eu" if r["kafka_partition"] == 0 else "us"
    cols_v2 = [(c, {"title_id": "titleId", "ts": "ts_us"}.get(c, c)) for c in [f.name for f in table.schema().fields]]

    # S2, S3: day 1 in two overlapping files (even and odd rows)
    append(table, rows_b[0::2], cols_v2)
    book.add(rows_b[0::2])
    append(table, rows_b[1::2], cols_v2)
    book.add(rows_b[1::2])
    book.snapshot(table, "s3", fields + ["region"])

    # S4: copy-on-write delete of a few day-1 rows (before any equality delete: pyiceberg
    # cannot plan a scan over those)
    gone = [r["eventId"] for r in rows_b[::25]]
    table.delete(In("eventId", gone))
    book.remove(lambda s, r: r["eventId"] in gone)

    # S5: equality delete of one profile in the day-0 partition only (spec 0): its day-1 rows survive
    in_b = {r["profileId"] for r in rows_b}
    victim = next(r["profileId"] for r in rows_a if r["profileId"] in in_b)
    day0 = rows_a[0]["ts_us"] // DAY_US
    equality_deletes(table, "profileId", [victim], os.path.join(out_dir, "deletes", "eq-profile.parquet"), Record(day0), 0)
    book.remove(lambda s, r: r["profileId"] == victim and r["ts_us"] // DAY_US == day0)

    # S6: the same profile again in day 0, after the delete: a higher sequence number, survives
    late = [dict(r, eventId=r["eventId"] + "-late", ts_us=r["ts_us"] + 1000, kafka_offset=r["kafka_offset"] + 100_000, region="eu") for r in rows_a if r["profileId"] == victim][:3]
    append(table, late, cols_v2)
    book.add(late)
    book.snapshot(table, "s6", fields + ["region"])

    # partition spec evolution: day -> hour
    with table.update_spec() as u:
        u.remove_field("ts_day")
        u.add_field("ts", HourTransform(), "ts_hour")

    # S7: day 2, hourly partitions
    append(table, rows_c, cols_v2)
    book.add(rows_c)

    # S8: position deletes in the first day-0 file (spec 0)
    target = files_a[0]
    ids = pq.read_table(target.file_path.removeprefix("file://"), columns=["eventId"]).column(0).to_pylist()
    positions = [p for p in range(0, len(ids), 9)]
    position_deletes(table, target.file_path, positions, os.path.join(out_dir, "deletes", "pos-day0.parquet"), target.partition, 0)
    dead = {ids[p] for p in positions}
    book.remove(lambda s, r: r["eventId"] in dead)
    book.snapshot(table, "s8", fields + ["region"])
    fixtures["tables"]["rdg.playback"] = {"metadata": table.metadata_location.removeprefix("file://"), "snapshots": book.snapshots, "victimProfile": victim}

    # ---- rdg.playback_v1: format v1, two appends and a copy-on-write delete
    v1_schema = Schema(*[f for f in schema.fields])
    t1 = catalog.create_table("rdg.playback_v1", schema=v1_schema, partition_spec=spec, properties={"format-version": "1"})
    b1 = Book(out_dir, "playback_v1")
    half = len(rows_a) // 2
    append(t1, rows_a[:half], cols_v1)
    b1.add(rows_a[:half])
    append(t1, rows_a[half:], cols_v1)
    b1.add(rows_a[half:])
    gone1 = [r["eventId"] for r in rows_a[::10]]
    t1.delete(In("eventId", gone1))
    b1.remove(lambda s, r: r["eventId"] in gone1)
    b1.snapshot(t1, "last", fields)
    fixtures["tables"]["rdg.playback_v1"] = {"metadata": t1.metadata_location.removeprefix("file://"), "snapshots": b1.snapshots}

    with open(os.path.join(out_dir, "fixtures.json"), "w") as f:
        json.dump(fixtures, f, indent=1)


if __name__ == "__main__":
    main()

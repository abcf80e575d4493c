"""``--engine spark``: the same load, with the pure stages run as Spark DataFrame work.

Why this shape: one implementation of every stage, used by both engines, so the engines cannot
drift apart. Spark runs the local engine's own functions: ``prepare.prepare`` in a ``mapInPandas``
(segments, credits, quotes, shingles, MinHash, band keys); candidate pairs from the exploded
(sentence, band key) rows, repartitioned by key so that every bucket is whole in one task, paired by
``candidates.bucket_heads``, ``outlet_pairs`` and ``band_pairs`` with every row new (a load at once:
these rules are functions of each bucket's final membership, so they meet a batch-by-batch local
load exactly); the sketch screen and exact comparison of ``candidates._checked``
(``worth_comparing``, ``verify_pairs``) in a ``mapInPandas`` over the pairs joined to their
sentences; ``align.align_links`` in a ``mapInPandas`` over the article pairs the links join, each task
given what it reads of their articles (``_aligned``); the connected components of the links, by
iterative joins (``_components``); ``clusters.recluster`` of whole components and ``provenance.trace``
of whole groups of articles joined through clusters, each task running the local code on a corpus in
memory that holds the rows the call reads (``_slice``). What runs in Spark is a pure function of the
records and of rows the driver ships: a lost executor reruns a task.
URIs (``hdfs://``, ``s3a://``…) are read by ``ingest``'s own file readers on the executors, so their
records and errors are a local read's. Parquet (a ``.parquet`` file, or a folder of part files as Spark
writes one, local or not) is read by Spark's Parquet source, each row checked as the JSON Lines record of
its columns by ``ingest``'s line reader, numbered by its row in its file.

The SQLite corpus is written on the driver, by the local engine's code (``load._new_articles``,
``load._insert_articles``) in the local engine's batches and article order, and from the rows the
tasks return (clusters numbered as calls one after another would number them, templates flagged,
derivations; the outlet graph refreshed once). The band keys are sorted by Spark into the index's
order and appended at the end (``_store_band_keys``). A Spark-built corpus is row for row a local
one, so Datasette serves it alike and a later local load continues it. It is written in one
transaction: a failed job leaves the corpus as it was.

The prepared articles stay in Spark (persisted); the driver streams them in input order to write
them, and gets back the verified links, then the aligned ones. Records never stay on the driver
(``_Records``: local input is staged as Parquet files the executors read; URIs' and Parquet's are
read there). The driver writes every row and reads from the corpus what it ships to the alignment,
clustering and provenance tasks, a wave of tasks at a time. Into a corpus that already holds
articles Spark prepares them and the driver links each batch against the stored corpus as the local
engine does (the stored band-key index is in SQLite, not in Spark).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from functools import cache, reduce
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np

# Absolute imports: spark-submit runs this file as a script (see main).
from datasette_provenance import ingest, provenance, store
from datasette_provenance import load as local
from datasette_provenance.align import align_links, compared_articles, sentence_rows
from datasette_provenance.attributions import SourceAliases
from datasette_provenance.candidates import (
    StoredKeys, _article_ranks, _Rows, _within_window, band_pairs, bucket_heads, outlet_pairs, store_band_keys,
    lone_word_links, store_sketches, verify_pairs,
)
from datasette_provenance.clusters import recluster
from datasette_provenance.ingest import LoadError
from datasette_provenance.prepare import PreparedBatch, prepare
from datasette_provenance.signatures import NO_KEY, Settings, sketch_jaccard, sketches, worth_comparing
from datasette_provenance.store import next_id
from datasette_provenance.templates import mark_templates

INSTALL = "pip install 'datasette-provenance[spark]'"
ROWS_PER_BUCKET_TASK = 1_000_000  # band-key rows a candidate task pairs at once (about 0.5 GB of its memory)
ARTICLES_PER_TASK = 250  # records a prepare task gets: small enough to spread a small load over the cores


class SparkUnavailable(Exception):
    """pyspark or Java is missing, or the corpus cannot be built by this engine."""


class SparkFailed(Exception):
    """A Spark job failed (a task that kept failing, executors lost, the connection to the cluster gone)."""


def session(master: str | None = None, remote: str | None = None, conf: Mapping[str, str] | None = None):
    """A SparkSession on ``master`` or a Spark Connect server at ``remote``, with ``conf`` (Spark
    settings) besides. Without either: spark-submit's master when it runs this, else ``local[*]``."""
    if not master and not remote:
        master = None if _submitted() else "local[*]"
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise SparkUnavailable(f"--engine spark needs pyspark: {INSTALL} ({e})") from None
    if (remote or master or "").startswith("local"):  # the workers run this interpreter, with this package
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # (on a cluster: spark.pyspark.python)
    # On one machine, Spark's 200 shuffle partitions are mostly task overhead (a cluster sets its own).
    conf = {**({"spark.sql.shuffle.partitions": str(4 * (os.cpu_count() or 1))}
               if (remote or master or "").startswith("local") else {}), **(conf or {})}
    if remote:  # sc://host:port, or local[N] for a Connect server started here
        builder = SparkSession.builder.remote(remote).appName("datasette-provenance")
        for name, value in (conf or {}).items():
            builder = builder.config(name, value)
        try:
            return builder.getOrCreate()
        except ImportError as e:  # the Connect client's own dependencies (grpcio, …)
            raise SparkUnavailable(f"--spark-remote needs the Spark Connect client: {INSTALL} ({e})") from None
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailable("--engine spark needs Java 17 or later for a local or cluster master"
                               " (Debian: apt-get install default-jre-headless), or --spark-remote sc://…")
    builder = SparkSession.builder if master is None else SparkSession.builder.master(master)
    if (master or "").startswith("local") and not os.environ.get("SPARK_DRIVER_MEMORY"):
        # One JVM is the whole engine here: Spark's 1 GB default does not hold 20,000 articles' work.
        builder = builder.config("spark.driver.memory", local_memory())
    builder = (builder.appName("datasette-provenance")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.ui.showConsoleProgress", "false"))  # the command has its own progress bar
    for name, value in (conf or {}).items():
        builder = builder.config(name, value)
    return builder.getOrCreate()


def local_memory() -> str:
    """The JVM's heap for a local master, where it is the whole engine (driver and executors): half this
    machine's memory (at 100,000 articles it needs about 10 GB; the other half is for the Python driver
    and workers). ``conf=`` or ``SPARK_DRIVER_MEMORY`` overrides it."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # no sysconf (Windows)
        return "4g"
    return f"{max(1, total // 2 // 2**20)}m"


def _submitted() -> bool:
    """Run by spark-submit, whose --master and --conf the session takes."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _active():
    """The SparkSession running in this process, if any."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def load_paths(
    db_path: str,
    paths: Iterable[str | Path],
    *,
    outlet: str | None = None,
    published: str | None = None,
    fields: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    aliases: str | None = None,
    sources: str | None = None,
    settings: Settings | Mapping[str, Any] | None = None,
    batch_size: int = 2000,
    spark=None,
    master: str | None = None,
    remote: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    timings: dict[str, float] | None = None,
) -> local.LoadSummary:
    """``load.load_paths`` with the pure stages in Spark: ``spark`` (a SparkSession), else one made on
    ``master`` or the Spark Connect server ``remote`` and stopped afterwards. Same arguments, same result.
    ``timings`` gains the seconds each stage took (read, prepare, insert, candidates, align, cluster, provenance)."""
    clock = _Clock(timings)
    local._check_options(batch_size, 1)
    paths = [str(p) for p in paths]
    names, credits, files = local.name_files(db_path, aliases, sources)
    opts = ingest.reading_options(outlet, published, names, fields)
    own = spark is None and _active() is None  # a session the caller runs is the caller's to stop
    if spark is None:
        spark = session(master, remote)
    clock.tag(spark)
    try:
        with _Records(spark) as records:
            with clock("read"):
                _read(spark, records, paths, opts)
            with local._reporting_a_full_disk(db_path):
                conn, settings = store.open_corpus(db_path, settings)
                try:
                    with local._transaction(conn):
                        local.keep_names(conn, names, files)
                    return _load(spark, conn, paths, records, settings, credits, batch_size, progress, clock)
                finally:
                    conn.close()
    except Exception as e:
        if not type(e).__module__.startswith(("pyspark", "py4j")):
            raise
        raise SparkFailed(f"the Spark job failed ({_said(e)[:300]}); {db_path} is as it was before this load:"
                          " run the same command again once the cause is fixed") from e
    finally:
        if own:
            spark.stop()


_LOST_TASK = re.compile(r"Job aborted due to stage failure: (Task \S+ in stage \S+ failed \d+ times?), most recent"
                        r" failure: Lost task .*?\(TID \d+\) \([^)]*\): (?:[\w$.]+(?:Exception|Error): )?(.*)")


_CAUSE = re.compile(r"^(?:Caused by: |: )[\w$.]+(?:Exception|Error): (.+)$", re.MULTILINE)
# A Python task's traceback inside a JVM error: its first line not indented is the exception raised.
_RAISED = re.compile(r"Traceback \(most recent call last\):\n(?:(?:[ \t].*)?\n)*?(\S.*)")


def _said(e: Exception) -> str:
    """What went wrong, in one line: a Python task's exception (its traceback's last line), a task
    that failed as often as it may (a crashed Python worker, a lost executor: Spark's reason), a JVM
    out of memory, the innermost cause of a JVM error (a file that is not Parquet), else the first
    line of the error."""
    text = str(e)
    if "OutOfMemoryError" in text or "TaskResultLost" in text:  # a result lost: on one machine, the heap full
        return ("a Spark JVM ran out of memory" + (" (a task's result was lost)" if "TaskResultLost" in text else "")
                + ": give it more with SPARK_DRIVER_MEMORY=… (a local master: the whole engine; spark-submit:"
                " --driver-memory) or, on a cluster, spark.executor.memory")
    lines = [line.strip() for line in text.splitlines() if line.strip()] or [type(e).__name__]
    if lines[0].endswith(":"):  # "An exception was thrown from the Python worker:", then its traceback
        return lines[-1]
    if (lost := _LOST_TASK.search(text)) and not lost[2].startswith("Traceback"):
        return f"{lost[1]}: {lost[2].split(' Consider setting')[0].rstrip('.')}"
    if lines[0].startswith("An error occurred while calling"):  # py4j's: the innermost cause says what
        causes = _CAUSE.findall(text)
        if causes and causes[-1].endswith("Traceback (most recent call last):") and (raised := _RAISED.findall(text)):
            return raised[-1]  # a task's own exception (the results read back through a local iterator)
        return causes[-1] if causes else lines[0]
    return lines[0]


def _to_pandas(df):
    """``df.toPandas()``, without the warning pyspark gives first when the job fails: the error that
    follows is the one load_paths reports, in one line."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "toPandas attempted Arrow optimization", UserWarning)
        return df.toPandas()


def _load(spark, conn, paths: list[str], records: _Records, settings: Settings, credits: SourceAliases,
          batch_size: int, progress: Callable[[int, int], None] | None, clock: _Clock) -> local.LoadSummary:
    load_id = conn.execute("insert into loads(started, paths) values (?, ?)",
                           (local._now(), json.dumps(paths))).lastrowid
    summary = local.LoadSummary()
    with clock("prepare"):
        prepared = _prepare(spark, records, settings, credits)
    try:
        return _write(spark, conn, records.items, prepared, load_id, summary, settings, batch_size, progress, clock)
    finally:
        prepared.unpersist()


def _write(spark, conn, items: list[LoadError | None], prepared, load_id: int, summary: local.LoadSummary,
           settings: Settings, batch_size: int, progress: Callable[[int, int], None] | None,
           clock: _Clock) -> local.LoadSummary:
    """The driver's part, in one transaction: articles, band keys and sketches in the local engine's
    batches of ``items`` (prepared articles streamed from Spark in input order in place of the Nones),
    then the links Spark verifies, aligned, clustered and traced by the local engine's code.

    Into a corpus that holds articles, each batch is linked as the local engine links it
    (``load._load_batch``: candidates from the stored band-key index, alignment, clustering,
    provenance): the stored corpus is in SQLite on the driver, not in Spark, so Spark prepares."""
    incremental = bool(conn.execute("select exists (select 1 from articles)").fetchone()[0])
    stream = _stream(prepared, incremental)
    assigned = _Assigned()
    done = chars = 0
    with local._transaction(conn):
        clock.start("insert and link" if incremental else "insert")
        local.refresh_old_counts(conn, settings, summary)  # into a new corpus: notes the rules it is derived by
        if incremental:
            stored_keys = StoredKeys.read(conn)
        # The local engine's batches, in its order: the same ids, duplicates, errors.
        for chunk in local._chunks(enumerate(items), batch_size, local.first_batch(conn, batch_size)):
            errors = [r for _, r in chunk if r is not None]
            batch, idx = _batch([_next(stream, at) for at, r in chunk if r is None], errors)
            if incremental:
                local._load_batch(conn, batch, settings, summary, load_id, stored_keys)
            else:
                _insert_batch(conn, batch, idx, settings, summary, load_id, assigned)
            done += len(chunk)
            chars += sum(len(a.record.text) for a in batch.articles)
            if progress:
                progress(done, chars)
        clock.stop()
        if not incremental:
            _link(spark, conn, prepared, assigned, settings, summary, clock)
        clock.start("commit")
    clock.stop()
    summary.clusters = conn.execute("select count(*) from clusters").fetchone()[0]
    conn.execute("update loads set finished = ?, articles_added = ?, articles_skipped = ?, errors = ? where id = ?",
                 (local._now(), summary.articles_added, summary.articles_unchanged, len(summary.errors), load_id))
    conn.execute("pragma wal_checkpoint(truncate)")
    return summary


def _link(spark, conn, prepared, assigned: _Assigned, settings: Settings, summary: local.LoadSummary,
          clock: _Clock) -> None:
    """The links of a new corpus found in Spark, then aligned, clustered and traced."""
    with clock("candidates"):  # grouping, the sketch screen and the exact comparison: one Spark job
        links, keys = _links(spark, conn, prepared, assigned, settings, summary)
    with clock("band keys"):
        _store_band_keys(conn, keys)
    # Shingle sets are made again from the stored text where alignment and clustering need them:
    # the same sets (one normal form, one shingling), without holding the load's on the driver.
    with clock("align"):
        links = _aligned(spark, conn, links, settings)
        _store_links(conn, links)
    summary.links_added += len(links)
    with clock("cluster"):  # the local rule on the executors, whole components a task
        touched = _clustered(spark, conn, _components(spark, links), settings)
    with clock("provenance"):  # and the local tracing, articles joined through clusters a task
        _traced(spark, conn, sorted(touched | set(assigned.article)))


class _Clock:
    """Wall seconds by stage, into ``timings`` (when given); Spark's jobs are described by their stage,
    so that its UI and its monitoring API (``scripts/spark_compare.py``: shuffle bytes) name them."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.running: tuple[str, float] | None = None
        self.context = None

    def tag(self, spark) -> None:
        try:
            self.context = spark.sparkContext
        except Exception:  # Spark Connect has no SparkContext on the client
            self.context = None

    def start(self, name: str) -> None:
        self.running = (name, time.perf_counter())
        if self.context is not None:
            self.context.setJobDescription(name)

    def stop(self) -> None:
        if self.running and self.timings is not None:
            name, began = self.running
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - began
        self.running = None

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.start(name)
        try:
            yield
        finally:
            self.stop()


# ------------------------------------------------------------------------- reading


def is_uri(path: str) -> bool:
    """A path for Spark's file systems (``hdfs://``, ``s3a://``, ``file:/``…) rather than this machine's."""
    return bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]+:/", path))


class _Records:
    """The load's input. Its records stay off the driver: DataFrames of (idx, rec: a pickled Article),
    idx being the record's place in the input. The driver holds ``items``, what batching needs: each
    input item in order, None for a record, or its LoadError. Records read on this machine are staged
    as Parquet files for the executors (in a temporary folder, with a local master; on a cluster they
    travel in the job, through the driver's memory: large input belongs where the executors read it)."""

    STAGED = 2000  # records a staged file holds

    def __init__(self, spark) -> None:
        self.spark = spark
        self.items: list[LoadError | None] = []
        self.frames: list = []
        self.kept: list = []  # persisted frames, unpersisted at the end
        self.folder: str | None = None

    def __enter__(self) -> _Records:
        return self

    def __exit__(self, *exc) -> None:
        for df in self.kept:
            df.unpersist()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def frame(self):
        """All the records, or None."""
        frames = self.frames + ([self.spark.read.parquet(self.folder)] if self.folder else [])
        return reduce(lambda a, b: a.unionByName(b), frames) if frames else None

    def add_local(self, items: Iterable) -> None:
        """Records (and errors) read on this machine, staged ``STAGED`` at a time."""
        import pandas as pd
        staged = _local_master(self.spark)
        parts: list = []
        idx: list[int] = []
        recs: list[bytes] = []
        for item in chain(items, [None]):  # None: the end, where the last file is written
            if isinstance(item, LoadError):
                self.items.append(item)
            elif item is not None:
                idx.append(len(self.items))
                recs.append(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
                self.items.append(None)
            if idx and (item is None or len(idx) == self.STAGED):
                frame = pd.DataFrame({"idx": np.array(idx, dtype=np.int64), "rec": recs})
                if staged:
                    import pyarrow as pa
                    import pyarrow.parquet as pq
                    self.folder = self.folder or tempfile.mkdtemp(prefix="provenance-spark-")
                    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                                   os.path.join(self.folder, f"part-{idx[0]:012d}.parquet"))
                else:
                    parts.append(frame)
                idx, recs = [], []
        if parts:
            self.frames.append(self.spark.createDataFrame(pd.concat(parts, ignore_index=True), "idx long, rec binary"))

    def add_read(self, rows, key: Callable[[Any], Any] = lambda unit: unit) -> int:
        """Records read on the executors: ``rows`` of (unit, item, rec, error), a unit being a file, its
        items numbered from 0, each a pickled record or a pickled LoadError; units in input order by
        ``key``. Returns the number of items."""
        import pandas as pd
        from pyspark.sql import functions as F
        rows = self.keep(rows)
        counts = {r["unit"]: r["count"] for r in rows.groupBy("unit").count().collect()}
        errors = {(r["unit"], r["item"]): pickle.loads(r["error"])
                  for r in rows.filter(F.col("error").isNotNull()).select("unit", "item", "error").collect()}
        units = sorted(counts, key=key)
        offsets = np.cumsum([len(self.items)] + [counts[u] for u in units])[:-1]
        for unit in units:
            self.items += [errors.get((unit, i)) for i in range(counts[unit])]
        if len(errors) < sum(counts.values()):
            at = self.spark.createDataFrame(pd.DataFrame({"unit": units, "offset": offsets.astype(np.int64)}),
                                            f"unit {rows.schema['unit'].dataType.simpleString()}, offset long")
            self.frames.append(rows.filter(F.col("rec").isNotNull()).join(F.broadcast(at), "unit")
                               .select((F.col("offset") + F.col("item")).alias("idx"), "rec"))
        return sum(counts.values())

    def keep(self, df):
        from pyspark import StorageLevel
        df = df.persist(StorageLevel.MEMORY_AND_DISK)
        self.kept.append(df)
        return df


def _local_master(spark) -> bool:
    """Spark runs on this machine and reads its files: a local master, not over Spark Connect."""
    if type(spark).__module__.startswith("pyspark.sql.connect"):
        return False
    try:
        return spark.sparkContext.master.startswith("local")
    except Exception:
        return False


def _read(spark, records: _Records, paths: list[str], opts: ingest._Options) -> None:
    """The records and errors of every path, in the order given: this machine's paths by
    ``ingest.read_paths`` here, Spark's (``hdfs://``, ``s3a://``…) by ``ingest``'s own file readers on
    the executors, each file whole (Spark's binaryFile source), in the order a local folder is read."""
    for path in paths:
        if is_uri(path):
            _read_uri(spark, records, path, opts)
        elif _is_parquet(path):
            _read_parquet(spark, records, path, opts)
        else:
            records.add_local(ingest._read_all([path], opts))


_READ = "unit {}, item long, rec binary, error binary"


def _read_item(unit, i: int, item) -> tuple:
    blob = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    return (unit, i, None, blob) if isinstance(item, LoadError) else (unit, i, blob, None)


def _read_uri(spark, records: _Records, root: str, opts: ingest._Options) -> None:
    listed = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(root)
              .select("path").collect())  # Spark's listing: no hidden (. or _) files, as Spark writes them
    if listed and all(urlsplit(row.path).path.endswith(".parquet") for row in listed):
        return _read_parquet(spark, records, root, opts)
    base = urlsplit(root).path.rstrip("/")
    wanted = _files_to_read(root, base, sorted(row.path for row in listed))
    if not wanted:
        records.items.append(LoadError(root, None, "no such file or directory"))
        return
    import pandas as pd
    names = spark.createDataFrame(pd.DataFrame({"path": [p for p, _, _ in wanted], "name": [n for _, n, _ in wanted],
                                                "order": np.arange(len(wanted), dtype=np.int64),
                                                "explicit": [e for _, _, e in wanted]}),
                                  "path string, name string, order long, explicit boolean")
    files = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(root)
    joined = files.join(names, "path").select("path", "name", "order", "explicit", "content")

    def read_files(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in frames:
            rows = [_read_item(order, i, item)
                    for path, name, order, explicit, content in zip(part["path"], part["name"], part["order"],
                                                                     part["explicit"], part["content"])
                    for i, item in enumerate(_read_bytes(path, name, bool(explicit), content, opts))]
            yield pd.DataFrame(rows, columns=["unit", "item", "rec", "error"])

    records.add_read(joined.mapInPandas(read_files, _READ.format("long")))


def _is_parquet(path: str) -> bool:
    """A local Parquet dataset: a ``.parquet`` file, or a folder of Parquet part files (partition
    folders too) beside only what Spark hides (``_SUCCESS``, ``.crc`` files)."""
    if os.path.isfile(path):
        return path.endswith(".parquet")
    found = False
    for folder, subfolders, files in os.walk(path):
        subfolders[:] = [d for d in subfolders if not d.startswith((".", "_"))]
        for name in files:
            if not name.startswith((".", "_")):
                if not name.endswith(".parquet"):
                    return False
                found = True
    return found


def _read_parquet(spark, records: _Records, root: str, opts: ingest._Options) -> None:
    """A Parquet dataset read by Spark's Parquet source, each row as the JSON Lines record of its
    columns (a null is an absent field; timestamps in ISO 8601 with their offset) checked by
    ``ingest``'s own line reader: the records and errors of a JSON Lines file of the same rows,
    numbered by row in their file (from 1, as lines are), in the order a local walk reads the files."""
    import pandas as pd
    from pyspark.sql import functions as F
    base = unquote(urlsplit(root if is_uri(root) else Path(root).absolute().as_uri()).path).rstrip("/")
    df = spark.read.parquet(root if is_uri(root) else str(Path(root).absolute()))
    record = F.to_json(F.struct(*(F.col(f"`{c}`") for c in df.columns)),
                       {"ignoreNullFields": "true", "timestampFormat": "yyyy-MM-dd'T'HH:mm:ssXXX"})
    rows = df.select(F.col("_metadata.file_path").alias("file"), F.col("_metadata.row_index").alias("row"),
                     record.alias("record"))

    def where(file: str) -> tuple[str, str]:
        """The file as a local read names it (source), and its name below the root (for made-up ids)."""
        path = unquote(urlsplit(file).path)
        rel = path[len(base):].lstrip("/") if path.startswith(base + "/") else ""
        if is_uri(root):
            return file, rel or Path(path).name
        return (str(Path(root) / rel) if rel else root), rel or Path(root).name

    def read_rows(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in frames:
            out = []
            for file, row, line in zip(part["file"], part["row"], part["record"]):
                source, name = where(file)
                raw = line.encode("utf-8")
                item, _ = ingest._jsonl_line(source, name, int(row) + 1, 0, raw, len(raw), opts)
                out.append(_read_item(file, int(row), ingest._checked(item)))
            yield pd.DataFrame(out, columns=["unit", "item", "rec", "error"])

    if not records.add_read(rows.mapInPandas(read_rows, _READ.format("string")), key=lambda f: where(f)[1].split("/")):
        records.items.append(LoadError(root, None, "no records: the Parquet data holds no rows"))


def _files_to_read(root: str, base: str, paths: list[str]) -> list[tuple[str, str, bool]]:
    """(path, name, given as a file) of each file under ``root`` that a local walk reads, in its
    order: by name at each level, leaving out hidden files and a saved page's ``_files`` folder."""
    rel = {p: urlsplit(p).path[len(base):].lstrip("/") for p in paths}
    if len(paths) == 1 and not rel[paths[0]]:  # the root is a file
        return [(paths[0], Path(base).name, True)]
    listed = {tuple(r.split("/")) for r in rel.values()}
    folders: dict[tuple, set[str]] = {}
    for parts in listed:
        for depth in range(len(parts)):
            folders.setdefault(parts[:depth], set()).add(parts[depth].lower())
    out = []
    for p in sorted(paths, key=lambda p: tuple(rel[p].split("/"))):
        parts = tuple(rel[p].split("/"))
        if any(c.startswith(".") for c in parts) or any(
                c.endswith("_files") and depth < len(parts) - 1
                and any(f"{c[:-6].lower()}{suffix}" in folders[parts[:depth]] for suffix in ingest._HTML_SUFFIXES)
                for depth, c in enumerate(parts)):
            continue
        out.append((p, rel[p], False))
    return out


def _read_bytes(path: str, name: str, explicit: bool, content: bytes, opts: ingest._Options) -> list:
    """One file's records and errors by ``ingest``'s reader for its name, each reporting ``path``."""
    with tempfile.TemporaryDirectory() as folder:
        local_file = Path(folder) / Path(urlsplit(path).path).name
        local_file.write_bytes(content)
        items = [ingest._checked(item) for item in ingest._read_file(local_file, name, opts, set(), explicit=explicit)]
    for item in items:
        item.source = path
    return items


# ------------------------------------------------------------------------- preparing


def _prepare(spark, records: _Records, settings: Settings, credits: SourceAliases):
    """Each article prepared by ``prepare.prepare`` on the executors, kept there (persisted): its
    PreparedArticle (pickled), and its matchable sentences' band keys, sketches, shingle counts and
    shingles as raw arrays. Partitions are ranges of input order, each sorted."""
    import pandas as pd
    from pyspark import StorageLevel
    tasks = max(1, -(-sum(r is None for r in records.items) // ARTICLES_PER_TASK))
    df = records.frame() or spark.createDataFrame([], "idx long, rec binary")
    df = df.repartitionByRange(tasks, "idx").sortWithinPartitions("idx")

    def prepare_partition(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in frames:
            batch = prepare([pickle.loads(b) for b in part["rec"]], settings, credits)
            ends = [a.first_norm for a in batch.articles[1:]] + [len(batch.signatures)]
            out: dict[str, list] = {c: [] for c in ("art", "n", "keys", "sketches", "sizes", "shingles")}
            sizes = np.diff(batch.bounds)
            for art, end in zip(batch.articles, ends):
                rows = slice(art.first_norm, end)
                art.first_norm = 0  # numbered again in the driver's batches (``_batch``)
                out["art"].append(pickle.dumps(art, protocol=pickle.HIGHEST_PROTOCOL))
                out["n"].append(end - rows.start)
                keys = batch.keys[rows] if end - rows.start == 1 else batch.keys[rows, :settings.bands]
                out["keys"].append(keys.astype(np.int64).tobytes())  # lone bands: one-sentence articles
                out["sketches"].append(sketches(batch.signatures[rows]).tobytes())
                out["sizes"].append(sizes[rows].astype(np.int64).tobytes())
                out["shingles"].append(batch.shingles[batch.bounds[rows.start]:batch.bounds[end]]
                                       .astype(np.uint32).tobytes())
            yield pd.DataFrame({"idx": part["idx"].to_numpy(), **out})

    schema = "idx long, art binary, n long, keys binary, sketches binary, sizes binary, shingles binary"
    return df.mapInPandas(prepare_partition, schema).persist(StorageLevel.MEMORY_AND_DISK)


def _stream(prepared, shingles: bool = False) -> Iterator[tuple]:
    """The prepared articles in input order, a partition at a time: (idx, PreparedArticle, sizes,
    sketches, band keys, and the shingles when ``shingles``, else None)."""
    columns = ["idx", "art", "n", "keys", "sketches", "sizes"] + ["shingles"] * shingles
    for row in prepared.select(*columns).toLocalIterator():
        n = row["n"]
        yield (row["idx"], pickle.loads(row["art"]), np.frombuffer(row["sizes"], dtype=np.int64),
               np.frombuffer(row["sketches"], dtype=np.uint8).reshape(n, -1) if n else None,
               np.frombuffer(row["keys"], dtype=np.int64).reshape(n, -1) if n else None,
               np.frombuffer(row["shingles"], dtype=np.uint32) if shingles else None)


def _next(stream: Iterator[tuple], at: int) -> tuple:
    """The prepared article of input item ``at``, which the stream must give next."""
    got = next(stream, None)
    if got is None or got[0] != at:  # range partitions, each sorted: never, unless Spark's contract changes
        raise RuntimeError(f"prepared article {None if got is None else got[0]} came where {at} was due")
    return got


def _batch(prepared: list[tuple], errors: list[LoadError]) -> tuple[PreparedBatch, dict[int, int]]:
    """The local engine's PreparedBatch of these prepared articles (its signatures are the sketches,
    all that is stored of them; its shingles only if streamed), and each article's input index."""
    articles, sizes, sigs, keys, shingles, idx = [], [], [], [], [], {}
    rows = 0
    for i, art, art_sizes, art_sketches, art_keys, art_shingles in prepared:
        art.first_norm = rows
        rows += len(art_sizes)
        articles.append(art)
        idx[id(art)] = i
        sizes.append(art_sizes)
        if art_sketches is not None:
            sigs.append(art_sketches.astype(np.uint32))
            keys.append(art_keys)
        if art_shingles is not None:
            shingles.append(art_shingles)
    counts = np.concatenate(sizes) if sizes else np.zeros(0, dtype=np.int64)
    bounds = np.concatenate(([0], np.cumsum(counts)))
    return PreparedBatch(articles, errors, np.concatenate(shingles) if shingles else np.zeros(0, dtype=np.uint32),
                         bounds, np.concatenate(sigs) if sigs else np.zeros((0, 0), dtype=np.uint32),
                         _padded(keys)), idx


def _padded(keys: list[np.ndarray]) -> np.ndarray:
    """Articles' band keys as one array: those of articles of one sentence are wider (lone bands)."""
    width = max((k.shape[1] for k in keys), default=0)
    return np.concatenate([np.pad(k, ((0, 0), (0, width - k.shape[1])), constant_values=NO_KEY) for k in keys]
                          ) if keys else np.zeros((0, 0), dtype=np.int64)


class _Assigned:
    """Each inserted article with matchable sentences: input index, article id, day, sentence ids."""

    def __init__(self) -> None:
        self.idx: list[int] = []
        self.article: list[int] = []
        self.day: list[int] = []
        self.sids: list[bytes] = []


def _insert_batch(conn, batch: PreparedBatch, idx: dict[int, int], settings: Settings, summary: local.LoadSummary,
                  load_id: int, assigned: _Assigned) -> None:
    """``load._load_batch`` up to the candidates: new articles, errors, band keys and sketches stored."""
    first_article = next_id(conn, "articles")
    added = local.add_articles(conn, batch, summary, load_id)
    if added is None:
        return
    articles, new = added
    if not len(new.id):
        return
    store_sketches(conn, new, batch)  # the band keys are written at the end, in index order (_store_band_keys)
    starts = np.flatnonzero(np.concatenate(([True], new.article[1:] != new.article[:-1])))
    ends = np.append(starts[1:], len(new.id))
    for lo, hi in zip(starts.tolist(), ends.tolist()):
        aid = int(new.article[lo])
        assigned.idx.append(idx[id(articles[aid - first_article])])
        assigned.article.append(aid)
        assigned.day.append(int(new.day[lo]))
        assigned.sids.append(new.id[lo:hi].astype(np.int64).tobytes())


# ------------------------------------------------------------------------- candidates and verification


def _links(spark, conn, prepared, assigned: _Assigned, settings: Settings, summary: local.LoadSummary):
    """The verified sentence links of the load: (sentence, band key) rows exploded from the prepared
    articles, grouped by key and paired by the local rules with every row new, then screened and
    compared exactly; and those rows, for the index."""
    import pandas as pd
    from pyspark import StorageLevel
    if not assigned.article:
        return _link_frame([], {}), None
    # Ranks and kin over all the load's articles: only their order and equality within a bucket count.
    rank, kin = _article_ranks(conn, np.array(assigned.article, dtype=np.int64))
    ids = spark.createDataFrame(pd.DataFrame({
        "idx": np.array(assigned.idx, dtype=np.int64), "article": np.array(assigned.article, dtype=np.int64),
        "day": np.array(assigned.day, dtype=np.int64), "rank": rank.astype(np.int64), "kin": kin.astype(np.int64),
        "sids": assigned.sids}), "idx long, article long, day long, rank long, kin long, sids binary")
    sentences = prepared.select("idx", "n", "keys", "sketches", "sizes", "shingles").join(ids, "idx")
    window = settings.window

    def band_rows(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in frames:
            sid = [np.frombuffer(b, dtype=np.int64) for b in part["sids"]]
            if not sid:
                continue
            keys = [np.frombuffer(b, dtype=np.int64).reshape(len(x), -1) for b, x in zip(part["keys"], sid)]
            key = np.concatenate([k.ravel() for k in keys])
            held = key != NO_KEY
            count = np.array([k.size for k in keys], dtype=np.int64)
            day = np.repeat(part["day"].to_numpy(dtype=np.int64), count)[held]
            yield pd.DataFrame({"period": store.band_periods(day, window), "key": key[held],
                                "sid": np.concatenate([np.repeat(x, k.shape[1]) for x, k in zip(sid, keys)])[held],
                                "article": np.repeat(part["article"].to_numpy(dtype=np.int64), count)[held],
                                "day": day,
                                "rank": np.repeat(part["rank"].to_numpy(dtype=np.int64), count)[held],
                                "kin": np.repeat(part["kin"].to_numpy(dtype=np.int64), count)[held]})

    def sentence_facts(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in frames:
            out: dict[str, list] = {"sid": [], "article": [], "sketch": [], "size": [], "shingles": []}
            for sids, aid, sk, sizes, flat in zip(part["sids"], part["article"], part["sketches"], part["sizes"],
                                                  part["shingles"]):
                sid = np.frombuffer(sids, dtype=np.int64)
                size = np.frombuffer(sizes, dtype=np.int64)
                sketch = np.frombuffer(sk, dtype=np.uint8).reshape(len(sid), -1)
                ends = np.cumsum(size) * 4
                starts = ends - size * 4
                out["sid"] += sid.tolist()
                out["article"] += [int(aid)] * len(sid)
                out["sketch"] += [bytes(row) for row in sketch]
                out["size"] += size.tolist()
                out["shingles"] += [flat[lo:hi] for lo, hi in zip(starts.tolist(), ends.tolist())]
            yield pd.DataFrame(out)

    schema = "period long, key long, sid long, article long, day long, rank long, kin long"
    bucket_schema = "a long, b long"

    def buckets(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """The pairs of whole buckets: a partition holds every row of its keys in every period
        (``band_pairs`` pairs across periods, as the local load does), and the rules are vectorised
        over buckets, so they take the partition at once, as they take a local batch's rows."""
        frame = pd.concat(list(frames), ignore_index=True)
        if not len(frame):
            return
        r = _Rows(*(frame[c].to_numpy(dtype=np.int64) for c in ("period", "key", "sid", "article", "day")))
        rank_, kin_ = frame["rank"].to_numpy(dtype=np.int64), frame["kin"].to_numpy(dtype=np.int64)
        keep, head = bucket_heads(r, rank_, settings.max_bucket)
        near = outlet_pairs(r, keep, rank_, kin_, settings)
        pairs = band_pairs(r, keep, head, np.ones(len(r.sid), dtype=bool), kin_, near)
        if settings.window:
            pairs = _within_window(pairs, r.sid, r.day, settings.window)
        yield pd.DataFrame({"a": pairs[:, 0], "b": pairs[:, 1]})

    # A task takes its partition's rows at once: partitions of about ROWS_PER_BUCKET_TASK rows bound its memory.
    rows = sum(len(sids) // 8 for sids in assigned.sids) * settings.bands
    tasks = max(int(spark.conf.get("spark.sql.shuffle.partitions")), -(-rows // ROWS_PER_BUCKET_TASK))
    # Made once for the candidates, then the index (_store_band_keys); on disk: 42 rows a sentence
    # (106 for the sentence of an article of one: its lone bands).
    band = sentences.mapInPandas(band_rows, schema).persist(StorageLevel.DISK_ONLY)
    pairs = band.repartition(tasks, "key").mapInPandas(buckets, bucket_schema).distinct()
    keys = _KeyRows(band, tasks)
    facts = sentences.mapInPandas(sentence_facts, "sid long, article long, sketch binary, size long, shingles binary")
    facts = facts.persist()
    sides = {side: facts.select(*(facts[c].alias(f"{c}_{side}") for c in ("sid", "article", "sketch", "size")))
             for side in "ab"}
    screened_schema = "a long, b long, candidates long"

    def screen(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """``candidates._checked``'s screen: the pairs whose sketches leave them within reach of a link
        (on a small fraction of them is the exact comparison worth its shingles); and a tally row."""
        for part in frames:
            if not len(part):
                continue
            sk_a = np.frombuffer(b"".join(part["sketch_a"]), dtype=np.uint8).reshape(len(part), -1)
            sk_b = np.frombuffer(b"".join(part["sketch_b"]), dtype=np.uint8).reshape(len(part), -1)
            worth = worth_comparing(sketch_jaccard(sk_a, sk_b), part["size_a"].to_numpy(),
                                    part["size_b"].to_numpy(), settings)
            kept = part.loc[worth, ["a", "b"]].astype(np.int64)
            kept["candidates"] = 0
            yield pd.concat((kept, pd.DataFrame({"a": [-1], "b": [-1], "candidates": [len(part)]})),
                            ignore_index=True)

    screened = (pairs.join(sides["a"], pairs["a"] == sides["a"]["sid_a"])
                .join(sides["b"], pairs["b"] == sides["b"]["sid_b"])
                .mapInPandas(screen, screened_schema).persist())
    try:
        tally = screened.filter("a < 0").agg({"candidates": "sum"}).collect()[0][0] or 0
        summary.candidates += int(tally)
        worth = screened.filter("a >= 0").select("a", "b")
        shingled = {side: facts.select(*(facts[c].alias(f"{c}_{side}") for c in ("sid", "article", "shingles")))
                    for side in "ab"}
        joined = (worth.join(shingled["a"], worth["a"] == shingled["a"]["sid_a"])
                  .join(shingled["b"], worth["b"] == shingled["b"]["sid_b"]))
        found = _verified(conn, joined, settings, summary)
    finally:
        screened.unpersist()
        facts.unpersist()
    return found, keys


class _KeyRows:
    """The load's band-key rows (persisted) and the tasks that sort them."""

    def __init__(self, band, tasks: int):
        self.band, self.tasks = band, tasks


def _store_band_keys(conn, keys: _KeyRows | None) -> None:
    """Every band-key row of the load, streamed in the index's order (range partitions, each sorted),
    so that the index only grows at its end. Written batch by batch, each batch's rows reach every
    page of its period: once a period no longer fits SQLite's cache (a few thousand articles a window
    at 42 rows a sentence; a year of a national archive has hundreds of thousands), every batch
    rewrites it."""
    import pandas as pd
    if keys is None:
        return

    def pack(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in frames:
            if len(part):
                rows = np.stack([part[c].to_numpy(dtype=np.int64) for c in ("period", "key", "sid")], axis=1)
                yield pd.DataFrame({"rows": [rows.tobytes()]})

    ordered = (keys.band.select("period", "key", "sid").repartitionByRange(keys.tasks, "period", "key", "sid")
               .sortWithinPartitions("period", "key", "sid"))
    try:
        # The next partition is sorted while the driver writes this one.
        for row in ordered.mapInPandas(pack, "rows binary").toLocalIterator(prefetchPartitions=True):
            rows = np.frombuffer(row["rows"], dtype=np.int64).reshape(-1, 3)
            store_band_keys(conn, rows[:, 0], rows[:, 1], rows[:, 2])
    finally:
        keys.band.unpersist()


LINK_COLUMNS = ["a", "b", "article_a", "article_b", "jaccard", "containment"]  # the driver's frame of links


def _verified(conn, joined, settings: Settings, summary: local.LoadSummary):
    """``verify_pairs`` on each partition of the screened pairs joined to their shingles: a frame of
    ``LINK_COLUMNS`` in (a, b) order. Columns of numbers, not a tuple a link: at 10⁷ articles the
    driver holds some 28 M links. The pairs just below the bar come back marked ``near``: whether
    two articles have one sentence each is the database's to say (``lone_word_links``)."""
    import pandas as pd
    out_schema = ("a long, b long, article_a long, article_b long, jaccard double, containment double, checked long,"
                  " near boolean")

    def verify(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in frames:
            if not len(part):
                continue
            shingles, article_of = {}, {}
            for side in "ab":
                for sid, aid, raw in zip(part[f"sid_{side}"], part[f"article_{side}"], part[f"shingles_{side}"]):
                    shingles[int(sid)] = np.frombuffer(raw, dtype=np.uint32)
                    article_of[int(sid)] = int(aid)
            near: list = []
            found = verify_pairs(part[["a", "b"]].to_numpy(dtype=np.int64), shingles, article_of, settings, near=near)
            frame = _link_frame(found + near, article_of)
            frame["checked"] = 0
            frame["near"] = np.arange(len(frame)) >= len(found)
            tally = _link_frame([(-1, -1, 0.0, 0.0)], {-1: -1})
            tally["checked"], tally["near"] = len(part), False
            yield pd.concat((frame, tally), ignore_index=True)

    result = _to_pandas(joined.mapInPandas(verify, out_schema))
    summary.checked += int(result.loc[result["a"] < 0, "checked"].sum())
    near = result.loc[result["near"]]  # the tally rows are not near
    near_links = list(zip(*(near[c].tolist() for c in ("a", "b", "jaccard", "containment"))))
    passed = {link[:2] for link in lone_word_links(conn, near_links, settings)}
    found = pd.concat((result.loc[(result["a"] >= 0) & ~result["near"]],
                       near.loc[[link[:2] in passed for link in near_links]]))
    return found[LINK_COLUMNS].sort_values(["a", "b"], ignore_index=True)


def _link_frame(links: list, article_of: Mapping[int, int]):
    """Links (a, b, jaccard, containment[, aligned]) as a frame of ``LINK_COLUMNS`` (and ``aligned``)."""
    import pandas as pd
    columns = ["a", "b", "jaccard", "containment", "aligned"][:len(links[0]) if links else 4]
    frame = pd.DataFrame(links, columns=columns).astype({"a": np.int64, "b": np.int64, "jaccard": np.float64,
                                                          "containment": np.float64})
    frame.insert(2, "article_a", np.array([article_of[n] for n in frame["a"].tolist()], dtype=np.int64))
    frame.insert(3, "article_b", np.array([article_of[n] for n in frame["b"].tolist()], dtype=np.int64))
    return frame


PAIRS_PER_TASK = 2000  # article pairs an alignment task gets
TASKS_PER_WAVE = 256  # alignment tasks shipped at once: enough for a cluster's cores, bounding the driver's memory


def _aligned(spark, conn, links, settings: Settings):
    """``align.align_links`` on the executors, ``PAIRS_PER_TASK`` article pairs a task, each task with
    its pairs' links and their articles' heads and sentences, shipped ``TASKS_PER_WAVE`` tasks at a
    time: a pair's alignment is a function of its two articles. But for one thing: an article in no
    pair of two outlets has no shingle sets made (its same-outlet pairs use upper bounds of their
    sizes), so each task is told which articles the whole load compares, as one call for all pairs
    would. ``links`` is a frame of ``LINK_COLUMNS``; returns the links to store, the same with
    ``aligned``, in (a, b) order; alignments are stored."""
    import pandas as pd
    if not len(links):
        return _link_frame([], {}).assign(aligned=np.zeros(0, dtype=np.int64))
    links, x, y, bounds = by_pair(links)
    starts = bounds[:-1]
    compared = _compared(conn, x[starts], y[starts])
    tasks = [(bounds[i], bounds[min(i + PAIRS_PER_TASK, len(starts))]) for i in range(0, len(starts), PAIRS_PER_TASK)]

    def align_pairs(task_links, task_article_of, articles) -> tuple:
        rows = sorted(row for *_, own in articles for row in own)
        found, alignments = align_links(task_links, task_article_of, {aid: head for aid, head, *_ in articles},
                                        rows, {}, settings,
                                        compared={aid for aid, _, is_compared, _ in articles if is_compared})
        return _link_frame(found, {sid: aid for sid, aid, *_ in rows}), alignments

    found, alignments = [], []
    for wave in _waves(tasks):
        articles = {int(aid) for lo, hi in wave for aid in np.concatenate((x[lo:hi], y[lo:hi])).tolist()}
        sentences: dict[int, list] = {aid: [] for aid in articles}
        for row in sentence_rows(conn, articles):
            sentences[row[1]].append(row)
        heads = {aid: (digest, outlet) for aid, digest, outlet in
                 store.select_in(conn, "select id, content_hash, outlet from articles where id in ({})", sorted(articles))}
        work = []
        for lo, hi in wave:
            part = links.iloc[lo:hi]
            task_links = list(zip(*(part[c].tolist() for c in ("a", "b", "jaccard", "containment"))))
            task_article_of = dict(zip(part["a"].tolist() + part["b"].tolist(),
                                       part["article_a"].tolist() + part["article_b"].tolist()))
            mine = sorted(set(x[lo:hi].tolist()) | set(y[lo:hi].tolist()))
            work.append(_task(task_links, task_article_of,
                              [(aid, heads[aid], aid in compared, sentences[aid]) for aid in mine]))
        del sentences
        for part_links, part_rows in _run(spark, work, align_pairs):
            found.append(part_links)
            alignments += part_rows
    conn.executemany("insert or replace into alignments(article_a, article_b, pairs, anchors, covered_a, covered_b)"
                     " values (?, ?, ?, ?, ?, ?)", sorted(alignments))
    return pd.concat(found, ignore_index=True).sort_values(["a", "b"], ignore_index=True)


def _task(*args) -> bytes:
    """A task's arguments, pickled as the driver makes them: a wave of tasks is held as bytes."""
    return pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)


def _run(spark, work: list[bytes], fn: Callable[..., Any]) -> list:
    """``fn`` of each task's arguments (``_task``) on the executors, one partition a task (a frame made
    from the driver's rows may come as one partition, one core's work); the results in task order."""
    import pandas as pd
    if not work:
        return []

    def run(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in frames:
            yield pd.DataFrame({"i": part["i"], "blob": [pickle.dumps(fn(*pickle.loads(b)),
                                                                      protocol=pickle.HIGHEST_PROTOCOL)
                                                         for b in part["work"]]})

    frame = spark.createDataFrame(pd.DataFrame({"i": np.arange(len(work)), "work": work}), "i long, work binary")
    done = _to_pandas(frame.repartition(len(work)).mapInPandas(run, "i long, blob binary")).sort_values("i")
    return [pickle.loads(b) for b in done["blob"]]


def by_pair(links) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """The links sorted by article pair (x < y), each pair's in (a, b) order, each row's x and y, and
    the pairs' bounds: pair i's links are rows bounds[i]:bounds[i + 1]."""
    art_a, art_b = links["article_a"].to_numpy(), links["article_b"].to_numpy()
    x, y = np.minimum(art_a, art_b), np.maximum(art_a, art_b)
    order = np.lexsort((links["b"].to_numpy(), links["a"].to_numpy(), y, x))
    x, y = x[order], y[order]
    starts = np.flatnonzero(np.concatenate(([True], (x[1:] != x[:-1]) | (y[1:] != y[:-1]))))
    return links.iloc[order].reset_index(drop=True), x, y, np.append(starts, len(x))


def _compared(conn, x: np.ndarray, y: np.ndarray) -> set[int]:
    """``align.compared_articles`` of the article pairs (x, y), with their articles' outlets."""
    outlet = dict(store.select_in(conn, "select id, outlet from articles where id in ({})",
                                  np.unique(np.concatenate((x, y))).tolist()))
    return compared_articles(zip(x.tolist(), y.tolist()), outlet)


def _store_links(conn, links, chunk: int = 1 << 20) -> None:
    """The links to store, a chunk of rows at a time."""
    for i in range(0, len(links), chunk):
        part = links.iloc[i:i + chunk]
        conn.executemany("insert or ignore into links values (?, ?, ?, ?, ?)",
                         zip(*(part[c].tolist() for c in ("a", "b", "jaccard", "containment", "aligned"))))


SENTENCES_PER_CLUSTERING = 10_000  # linked sentences a clustering task gets (whole components, so often more)
ARTICLES_PER_TRACE = 2000  # articles a provenance task gets (whole groups joined through clusters, so often more)
EDGES_PER_PARTITION = 1_000_000  # edges a task joins itself before the rounds of joins (scipy: about 100 MB)
PAIR_NODE = 1 << 32  # an article pair's node in the link graph: -(x * PAIR_NODE + y) - 1, below every sentence id


def _components(spark, links):
    """(component, sid) rows: the connected components of the links, the components
    ``clusters.recluster`` walks: every link of one article pair lies in one component, so each
    link's two sentences are joined through a node for their articles' pair."""
    if not len(links):
        return None
    a, b = links["a"].to_numpy(dtype=np.int64), links["b"].to_numpy(dtype=np.int64)
    x, y = links["article_a"].to_numpy(dtype=np.int64), links["article_b"].to_numpy(dtype=np.int64)
    pair = -(np.minimum(x, y) * PAIR_NODE + np.maximum(x, y)) - 1
    return _connected(spark, np.column_stack((a, b)).ravel(), np.repeat(pair, 2))


def _connected(spark, src: np.ndarray, dst: np.ndarray):
    """(component, node) rows of the nodes >= 0: the connected components of the edges, by iterative
    joins. Each partition of the edges, ``EDGES_PER_PARTITION`` at most, first joins what its own
    edges join (``_local_components``), and the rounds run on what that gives, an edge from each node
    to the least node of its part of its component: as connected as the edges, with paths only as
    long as they cross partitions. Each round a node takes the least label among its own and its
    neighbours', then its label's label (pointer jumping: a chain of n links settles in about log n
    rounds, not n), until none changes: one round, to confirm, when the edges fit one partition."""
    import pandas as pd
    from pyspark.sql import functions as F
    parts = (spark.createDataFrame(pd.DataFrame({"src": src, "dst": dst}), "src long, dst long")
             .coalesce(-(-len(src) // EDGES_PER_PARTITION) or 1)
             .mapInPandas(_local_components, "node long, label long").localCheckpoint())
    stars = parts.filter("node != label")
    edges = stars.select(F.col("node").alias("src"), F.col("label").alias("dst")).union(
        stars.select(F.col("label").alias("src"), F.col("node").alias("dst"))).persist()
    labels = parts.groupBy("node").agg(F.min("label").alias("label")).localCheckpoint()
    try:
        while True:
            offered = edges.join(labels, edges["src"] == labels["node"]).select(edges["dst"].alias("node"), "label")
            least = offered.union(labels).groupBy("node").agg(F.min("label").alias("label"))
            jump = least.select(F.col("node").alias("label"), F.col("label").alias("further"))
            least = (least.join(jump, "label", "left")
                     .select("node", F.least("label", F.coalesce("further", "label")).alias("label"))
                     .join(labels.withColumnRenamed("label", "before"), "node")
                     .select("node", "label", (F.col("label") != F.col("before")).alias("moved")).localCheckpoint())
            labels = least.select("node", "label")
            if least.filter("moved").isEmpty():
                return labels.filter("node >= 0").select(F.col("label").alias("component"), "node")
    finally:
        edges.unpersist()


def _local_components(frames: Iterator[Any]) -> Iterator[Any]:
    """(node, label) of a partition's edges: each node labelled with the least node its component in
    these edges holds (scipy's connected components)."""
    import pandas as pd
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    batches = [f for f in frames if len(f)]
    if not batches:
        return
    edges = pd.concat(batches)
    nodes, ends = np.unique(np.concatenate((edges["src"].to_numpy(), edges["dst"].to_numpy())), return_inverse=True)
    src, dst = ends[:len(edges)], ends[len(edges):]
    _, component = connected_components(coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)),
                                                   shape=(len(nodes), len(nodes))), directed=False)
    first = np.unique(component, return_index=True)[1]  # nodes are sorted: a component's first is its least
    least = np.empty(len(first), dtype=np.int64)
    least[component[first]] = nodes[first]
    yield pd.DataFrame({"node": nodes, "label": least[component]})


def _chunks_of(components, size: int) -> Iterator[list[int]]:
    """The nodes, whole components at a time, about ``size`` a chunk: nothing a component's result
    depends on lies outside it, so chunks give what one call for all would."""
    chunk: list[int] = []
    for group in _groups(components):
        chunk += group
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _groups(components) -> Iterator[list[int]]:
    """Each component's nodes, in order."""
    if components is None:
        return
    group: list[int] = []
    last = None
    for component, node in components.orderBy("component", "node").toLocalIterator():
        if component != last and group:
            yield group
            group = []
        group.append(node)
        last = component
    if group:
        yield group


def _waves(tasks: Iterable[Any]) -> Iterator[list[Any]]:
    """``TASKS_PER_WAVE`` tasks at a time: the driver holds one wave's rows."""
    wave: list[Any] = []
    for task in tasks:
        wave.append(task)
        if len(wave) == TASKS_PER_WAVE:
            yield wave
            wave = []
    if wave:
        yield wave


def _clustered(spark, conn, components, settings: Settings) -> set[int]:
    """``clusters.recluster`` of each chunk of whole components, on the executors, each task in a
    corpus in memory holding what the call reads (``_slice``); the driver writes the clusters, numbered
    as the calls one after another on the driver would number them, and flags the templates. The
    articles whose clusters changed."""
    touched: set[int] = set()
    inserts = {table: _insert(table) for table in ("clusters", "cluster_members")}
    for wave in _waves(_chunks_of(components, SENTENCES_PER_CLUSTERING)):
        work = []
        for seeds in wave:
            articles = {a for (a,) in store.select_in(conn, "select distinct article_id from sentences"
                                                             " where id in ({})", seeds)}
            # The articles each one shares an alignment with: the templates' rule asks whether they tell one story.
            articles |= {a for row in store.select_in(conn, "select article_a, article_b from alignments where"
                                                            " article_a in ({0}) or article_b in ({0})",
                                                      sorted(articles), repeat=2) for a in row}
            work.append(_task(_slice(conn, sorted(articles), CLUSTER_TABLES), seeds, settings))
        for clusters, members, templates, changed in _run(spark, work, _cluster_task):
            shift = next_id(conn, "clusters") - 1
            for table, rows in (("clusters", clusters), ("cluster_members", members)):  # the id column first
                conn.executemany(inserts[table], [(cid + shift, *rest) for cid, *rest in rows])
            mark_templates(conn, templates)
            touched.update(changed)
    return touched


def _cluster_task(tables: dict[str, list[tuple]], seeds: list[int], settings: Settings) -> tuple:
    with closing(_in_slice(tables)) as mem:
        flagged = {s for (s,) in mem.execute("select id from sentences where kind = 'template'")}
        changed = recluster(mem, seeds, settings, {})
        return (mem.execute("select * from clusters order by id").fetchall(),
                mem.execute("select * from cluster_members order by cluster_id, sentence_id").fetchall(),
                {s for (s,) in mem.execute("select id from sentences where kind = 'template'")} - flagged, changed)


def _traced(spark, conn, articles: list[int]) -> None:
    """``provenance.trace`` of these articles on the executors, whole groups of articles joined
    through clusters a task (what it writes depends on nothing outside them), each in a corpus in
    memory holding what it reads; the driver writes the rows, then refreshes the outlet graph once."""
    members = np.array(store.select_in(conn, "select distinct article_id, cluster_id from cluster_members"
                                             " where article_id in ({})", articles), dtype=np.int64).reshape(-1, 2)
    alone = sorted(set(articles) - set(members[:, 0].tolist()))
    groups = (_trace_chunks(conn, _connected(spark, members[:, 0], -members[:, 1] - 1), ARTICLES_PER_TRACE)
              if len(members) else iter(()))
    chunks = chain(groups, ((alone[i:i + ARTICLES_PER_TRACE], None) for i in range(0, len(alone), ARTICLES_PER_TRACE)))
    roles = conn.execute("select * from outlet_roles").fetchall()
    days: set[str | None] = set()
    for wave in _waves(chunks):
        work = [_task({**_slice(conn, read, TRACE_TABLES), "outlet_roles": roles}, own or read, own is not None)
                for read, own in wave]
        for chunk_days, shares, speakers, derivations in _run(spark, work, _trace_task):
            days |= chunk_days
            conn.executemany("update articles set reuse_share = ? where id = ?", shares)
            conn.executemany("update clusters set speaker = ? where id = ?", speakers)
            conn.executemany(provenance.INSERT_DERIVATIONS, derivations)
    if days:
        provenance.refresh_outlet_edges(conn, days)


def _trace_chunks(conn, components, size: int) -> Iterator[tuple[list[int], list[int] | None]]:
    """(articles a provenance task reads, the articles it traces, or None: all it reads): whole groups
    joined through clusters, about ``size`` articles a task. A group of more than twice that (stories
    that chain through shared passages: an archive's topic over months) is traced in parts of
    ``size``, each read with the articles within two clusters of it, all ``provenance.trace`` reads
    for them; unless those reads come to more than twice the group (a story in every paper, where
    each part reads the whole group), which is then one task."""
    chunk: list[int] = []
    for group in _groups(components):
        if len(group) > 2 * size and (parts := _parts(conn, group, size)):
            yield from parts
            continue
        chunk += group
        if len(chunk) >= size:
            yield chunk, None
            chunk = []
    if chunk:
        yield chunk, None


def _parts(conn, group: list[int], size: int) -> list[tuple[list[int], list[int]]]:
    """The group's parts of ``size`` with what each reads, or none when together they read more than
    twice the group."""
    parts, read = [], 0
    for i in range(0, len(group), size):
        part = group[i:i + size]
        around = sorted(provenance.neighbours(conn, provenance.neighbours(conn, set(part)) | set(part)) | set(part))
        read += len(around)
        if read > 2 * len(group):
            return []
        parts.append((around, part))
    return parts


def _trace_task(tables: dict[str, list[tuple]], articles: list[int], part: bool = False) -> tuple:
    """``provenance.trace`` of the articles in a corpus of what it reads; with ``part``, only the rows
    of these articles and of their clusters: the others' neighbours are not all there."""
    with closing(_in_slice(tables)) as mem:
        days = provenance.trace(mem, articles)
        shares = mem.execute("select id, reuse_share from articles").fetchall()
        speakers = mem.execute("select id, speaker from clusters").fetchall()
        derivations = mem.execute(f"select {provenance.DERIVATION_COLUMNS} from derivations order by id").fetchall()
        if part:
            own = set(articles)
            clusters = {c for (c,) in store.select_in(mem, "select cluster_id from cluster_members"
                                                           " where article_id in ({})", articles)}
            shares = [(aid, share) for aid, share in shares if aid in own]
            speakers = [(cid, speaker) for cid, speaker in speakers if cid in clusters]
            derivations = [row for row in derivations if row[0] in own]
        return (days, [(share, aid) for aid, share in shares], [(speaker, cid) for cid, speaker in speakers],
                derivations)


# What a task reads of the corpus, for a set of articles: their rows (the article text left out: the
# stages read paragraphs), every link with an end in their sentences, and what clusters they are in.
_SLICES = {
    "articles": "select {} from articles where id in ({{}})",
    "paragraphs": "select {} from paragraphs where article_id in ({{}})",
    "sentences": "select {} from sentences where article_id in ({{}})",
    "links": "select {0} from links where sentence_a in (select id from sentences where article_id in ({{0}}))"
             " union all select {0} from links where sentence_b in (select id from sentences where article_id in ({{0}}))",
    "alignments": "select {0} from alignments where article_a in ({{0}}) union all"
                  " select {0} from alignments where article_b in ({{0}})",
    "cluster_members": "select {} from cluster_members where article_id in ({{}})",
    "clusters": "select {} from clusters where id in (select cluster_id from cluster_members where article_id in ({{}}))",
    "attributions": "select {} from attributions where article_id in ({{}})",
    "quotes": "select {} from quotes where article_id in ({{}})",
}
CLUSTER_TABLES = ("articles", "paragraphs", "sentences", "links", "alignments")
TRACE_TABLES = ("articles", "paragraphs", "sentences", "links", "cluster_members", "clusters", "attributions", "quotes")


def _slice(conn, articles: list[int], tables: Iterable[str]) -> dict[str, list[tuple]]:
    """The rows of ``tables`` a task needs for these articles, in the columns of a new corpus."""
    out = {}
    for table in tables:
        columns = ", ".join("''" if (table, c) == ("articles", "text") else f'"{c}"' for c in _columns()[table])
        sql = _SLICES[table].format(columns)
        out[table] = store.select_in(conn, sql, articles, repeat=sql.count("{0}") or 1)
    return out


@cache
def _columns() -> dict[str, list[str]]:
    """Each table's columns in a new corpus, in order: what a task's corpus in memory has."""
    with closing(_in_slice({})) as mem:
        tables = [name for (name,) in mem.execute("select name from sqlite_master where type = 'table'")]
        return {name: [c[1] for c in mem.execute(f'pragma table_info("{name}")')] for name in tables}


def _insert(table: str) -> str:
    """An insert into every column of ``table``, by name, in a new corpus's order."""
    names = ", ".join(f'"{c}"' for c in _columns()[table])
    return f"insert into {table}({names}) values ({', '.join('?' * len(_columns()[table]))})"


def _in_slice(tables: dict[str, list[tuple]]) -> sqlite3.Connection:
    """A corpus in memory holding these rows: the local engine's code runs on it in a task."""
    mem = sqlite3.connect(":memory:")
    mem.executescript(store.SCHEMA)
    for table, rows in tables.items():
        if rows:
            mem.executemany(f"insert or ignore into {table} values ({', '.join('?' * len(rows[0]))})", rows)
    return mem


def main(argv: list[str] | None = None) -> None:
    """``spark-submit [--master URL …] …/datasette_provenance/spark.py DATABASE PATH… [load options]``:
    ``datasette provenance load --engine spark`` on spark-submit's master and settings."""
    from datasette_provenance.commands import provenance as cli
    cli.main(["load", "--engine", "spark", *(sys.argv[1:] if argv is None else argv)],
             prog_name="spark-submit datasette_provenance/spark.py")


if __name__ == "__main__":
    main()

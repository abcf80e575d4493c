"""``datasette provenance …``: a thin command line over ``load.load_paths``."""

from __future__ import annotations

import functools
import os
import signal
import sys
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import click

from .load import DiskFull, load_paths, upgrade_due
from .signatures import Settings
from .spark import is_uri  # the module imports pyspark only when the engine runs
from .store import IncompatibleSettings, NotACorpus


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@click.group(help="Find the passages that outlets share and trace who took them from whom.")
def provenance() -> None:
    pass


class _Input(click.ParamType):
    """A file or folder here, or a URI for --engine spark (``hdfs://``, ``s3a://``…), checked by Spark when read."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value if is_uri(value) else click.Path(exists=True).convert(value, param, ctx)


@provenance.command()
@click.argument("database", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, required=True, type=_Input())
@click.option("--outlet", help="Outlet of every article loaded (overrides what is inferred).")
@click.option("--published", help="Publication date of every article loaded, e.g. 2022-02-03.")
@click.option("--field", "fields", multiple=True, metavar="OURS=KEY", callback=lambda ctx, param, value: _fields(value),
              help="Where JSON or CSV records keep one of our fields (id, outlet, url, published, title, text):"
                   " a key or column, or a path into nested objects, e.g. --field text=body"
                   " --field outlet=source.name. Repeatable; for one of ours, the first KEY a record has.")
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False),
              help="JSON file extending outlet names and domains (shape of data/outlets.json).")
@click.option("--sources", type=click.Path(exists=True, dir_okay=False),
              help="JSON file extending credited source names (shape of data/sources.json).")
@click.option("--batch-size", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Articles committed per transaction (larger: fewer passes over the band-key index, more memory).")
@click.option("--num-perm", type=click.IntRange(min=1),
              help=f"MinHash permutations for a new database [{Settings.num_perm}].")
@click.option("--bands", type=click.IntRange(min=1), help=f"LSH bands for a new database [{Settings.bands}].")
@click.option("--rows", type=click.IntRange(min=1), help=f"Rows per LSH band for a new database [{Settings.rows}].")
@click.option("--lone-bands", type=click.IntRange(min=0),
              help=f"More LSH bands of {Settings.lone_rows} rows for articles of one sentence, for a new database"
                   f" (0: none) [{Settings.lone_bands}].")
@click.option("--lone-words", type=click.FloatRange(0, 1),
              help="Word-stem Jaccard at which two articles of one sentence each, of two outlets, link a little"
                   " below --jaccard,"
                   f" for a new database (0: never) [{Settings.lone_words}].")
@click.option("--jaccard", type=click.FloatRange(0, 1, min_open=True),
              help=f"Character 5-gram Jaccard that links two sentences [{Settings.jaccard}].")
@click.option("--window", type=click.IntRange(min=0),
              help="Compare only articles published at most this many days apart, for a new database"
                   " (undated ones with all) [0: any].")
@click.option("--jobs", type=click.IntRange(min=1), default=_cores(), show_default="this machine's cores",
              help="Worker processes preparing batches while the loader links (1: none).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Where the work runs: worker processes here, or Apache Spark (needs the [spark] extra).")
@click.option("--spark-master", metavar="URL",
              help="Spark master for --engine spark (local[N], spark://…, yarn, k8s://…) [local[*], or spark-submit's].")
@click.option("--spark-remote", metavar="sc://HOST:PORT",
              help="A Spark Connect server for --engine spark, instead of a master (local[N]: one started here).")
def load(database: str, paths: tuple[str, ...], outlet: str | None, published: str | None, fields: list[tuple[str, str]],
         aliases: str | None, sources: str | None, batch_size: int, num_perm: int | None, bands: int | None,
         rows: int | None, lone_bands: int | None, lone_words: float | None, jaccard: float | None, window: int | None,
         jobs: int, quiet: bool, engine: str, spark_master: str | None, spark_remote: str | None) -> None:
    """Load articles from PATHS (files or folders; with --engine spark also hdfs://, s3a://… URIs) into DATABASE.

    Settings are fixed when the database is created: a later load takes them from the database and
    refuses options that contradict them.
    """
    chosen = {k: v for k, v in dict(num_perm=num_perm, bands=bands, rows=rows, lone_bands=lone_bands,
                                   lone_words=lone_words, jaccard=jaccard, window=window).items()
              if v is not None}  # the rest: the database's own settings, or the defaults for a new one
    total = 0 if quiet else sum(_sizes(p) for p in paths)
    bar = None if quiet else click.progressbar(length=total, label="Loading", file=sys.stderr)
    last = 0
    interrupted = False

    def interrupt(signum: int, frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    def unraisable(info: Any) -> None:
        """A KeyboardInterrupt raised in a finalizer is ignored by Python (and printed): not printed
        here, and raised again after the batch (``progress``)."""
        if not issubclass(info.exc_type, KeyboardInterrupt):
            hooks[1](info)

    def progress(records: int, chars: int) -> None:
        """Article characters stand in for input bytes: close enough for a bar. Called after each batch."""
        nonlocal last
        if interrupted:
            raise KeyboardInterrupt
        if bar is not None:
            bar.update(min(chars, total) - last)
            last = min(chars, total)

    if engine == "spark":
        from .spark import SparkFailed, SparkUnavailable, load_paths as spark_load  # pyspark: only when it runs
        loader: Any = functools.partial(spark_load, master=spark_master, remote=spark_remote)
        refused: tuple[type[Exception], ...] = (SparkUnavailable, SparkFailed)
    else:
        if spark_master or spark_remote:
            raise click.UsageError("--spark-master and --spark-remote need --engine spark")
        if uris := [p for p in paths if is_uri(p)]:
            raise click.UsageError(f"{uris[0]}: a URI is read by --engine spark only")
        loader = functools.partial(load_paths, jobs=jobs)
        refused = ()
    if due := upgrade_due(database):
        click.echo(f"the {' and '.join(due)} in {database} were made by an older version's rules: redoing them"
                   " first, which can take a while on a large corpus", err=True)
    summary = None
    hooks = signal.signal(signal.SIGINT, interrupt), sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        summary = loader(database, paths, outlet=outlet, published=published, fields=fields, aliases=aliases,
                         sources=sources, batch_size=batch_size, settings=chosen, progress=progress)
    except (IncompatibleSettings, NotACorpus, DiskFull, ValueError, *refused) as e:
        raise click.ClickException(str(e))
    except BrokenProcessPool:
        raise click.ClickException("a worker process died (out of memory? try fewer --jobs or a smaller"
                                   " --batch-size); the batches committed so far are kept: run the same"
                                   " command again to load the rest")
    except KeyboardInterrupt:  # the load has stopped its workers and rolled back its batch: one line, no traceback
        pass
    finally:
        signal.signal(signal.SIGINT, hooks[0])
        sys.unraisablehook = hooks[1]
        if bar is not None:
            bar.render_finish()
    if summary is None:
        click.echo("interrupted: the batches committed so far are kept; run the same command again to load the rest",
                   err=True)
        sys.exit(130)
    click.echo(str(summary))


def _fields(given: tuple[str, ...]) -> list[tuple[str, str]]:
    """``--field OURS=KEY`` options as pairs, in order; the names are checked by the reader."""
    if bad := [f for f in given if "=" not in f]:
        raise click.BadParameter(f"{bad[0]!r}: write it as OURS=KEY, e.g. text=body", param_hint="'--field'")
    return [tuple(f.split("=", 1)) for f in given]


def _sizes(path: str) -> int:
    """Bytes of the files under a path, walked with a stack: folders can nest deeper than recursion allows."""
    total, stack, seen = 0, [path], set()
    while stack:
        current = stack.pop()
        try:
            if os.path.isfile(current):
                total += os.path.getsize(current)
                continue
            st = os.stat(current)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(current) as entries:
                stack.extend(e.path for e in entries if not e.is_symlink())
        except OSError:
            continue
    return total

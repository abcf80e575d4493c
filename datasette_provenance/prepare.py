"""The per-batch work that needs no database, run in worker processes while the loader links.

Segmenting, finding credits and quotes, shingling and MinHash depend only on the article text, so
a batch is prepared on another core while the main process writes and matches the previous one.
The result is the same whatever the number of workers: preparing is a pure function of the batch,
and batches come back in input order.
"""

from __future__ import annotations

import ctypes
import hashlib
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .attributions import Attribution, SourceAliases, Speaker, find_attributions, find_speakers
from .ingest import Article, LoadError
from .segment import Paragraph, language_of, normal_form, segment
from .signatures import Settings, band_keys, minhash_signatures, shingle_sets


@dataclass
class PreparedArticle:
    record: Article
    digest: str
    paragraphs: list[Paragraph]
    credits: list[Attribution]
    quotes: list[Speaker]
    first_norm: int  # this article's matchable sentences are rows first_norm.. of the batch arrays
    language: str  # the record's language tag, else the one guessed from its text (ISO 639)


@dataclass
class PreparedBatch:
    articles: list[PreparedArticle]
    errors: list[LoadError]
    shingles: np.ndarray  # every matchable sentence's sorted unique shingles, concatenated
    bounds: np.ndarray  # sentence i's shingles are shingles[bounds[i]:bounds[i + 1]]
    signatures: np.ndarray  # (sentences, num_perm) uint32
    keys: np.ndarray  # (sentences, bands) int64 band keys
    norms: list[str] | None = None  # every matchable sentence's normal form, which alignment reads again

    def sets(self, rows: Iterable[int]) -> list[np.ndarray]:
        return [self.shingles[self.bounds[i]:self.bounds[i + 1]] for i in rows]


def prepare(batch: list[Article | LoadError], settings: Settings, credits: SourceAliases) -> PreparedBatch:
    """Segments, credits, quotes, shingles, signatures and band keys of one batch of records."""
    articles, errors, norms = [], [], []
    for rec in batch:
        if isinstance(rec, LoadError):
            errors.append(rec)
            continue
        found = find_attributions(rec.text, credits)
        tag = rec.extra.get("language")
        language = language_of(rec.text, tag if isinstance(tag, str) else None)
        art = PreparedArticle(rec, hashlib.sha256(rec.text.encode("utf-8")).hexdigest(),
                              segment(rec.text, rec.title, language), found, find_speakers(rec.text, credits, found),
                              len(norms), language)
        for p in art.paragraphs:  # the normal forms go back as one list, not on each sentence
            norms += [s.norm or normal_form(p.text[s.start:s.end]) for s in p.sentences if s.matchable]
            for s in p.sentences:
                s.norm = None
        articles.append(art)
    sets = shingle_sets(norms, settings.k)
    sizes = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    sigs = minhash_signatures(sets, settings)
    flat = np.concatenate(sets) if sets else np.zeros(0, dtype=np.uint32)
    return PreparedBatch(articles, errors, flat, bounds, sigs, band_keys(sigs, settings, lone_rows(
        np.array([a.first_norm for a in articles], dtype=np.int64), len(norms))), norms)


def lone_rows(firsts: np.ndarray, n: int) -> np.ndarray:
    """Mask of the rows that are their article's only matchable sentence (``firsts``: each article's
    first row, ascending; the articles own rows ``firsts[i]:firsts[i + 1]``)."""
    ends = np.append(firsts[1:], n)
    lone = np.zeros(n, dtype=bool)
    lone[firsts[ends - firsts == 1]] = True
    return lone


def prepared(
    batches: Iterable[list[Article | LoadError]], settings: Settings, credits: SourceAliases, jobs: int = 1
) -> Iterator[PreparedBatch]:
    """Prepare batches in order, ``jobs`` at a time in worker processes (in this one if ``jobs`` is 1)."""
    if jobs <= 1:
        for batch in batches:
            yield prepare(batch, settings, credits)
        return
    ctx = _context()
    if ctx.get_start_method() == "fork":
        warm_up(settings, credits)  # once, here: every worker starts warm
    init = (settings, credits, os.getpid())
    pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_init, initargs=init)
    with _sigint_held():  # every worker starts now, while the first records are read
        for _ in range(jobs):
            pool.submit(int)
    pending: deque[Future[PreparedBatch]] = deque()
    finished = False
    try:
        for batch in batches:
            with _sigint_held():  # a submit may start a worker
                pending.append(pool.submit(_prepare_in_worker, batch))
            if len(pending) > jobs:  # enough queued to keep every worker busy, no more in memory
                yield _result(pending.popleft(), pool)
        while pending:
            yield _result(pending.popleft(), pool)
        finished = True
    finally:
        if not finished:  # a worker died, the load was interrupted or failed: their work is not needed
            _abandon(pool)
        pool.shutdown(wait=finished, cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    """Fork on Linux when this process runs one thread: a worker then starts from this process's
    warmed-up state, where a spawned one imports the package and warms up on its own (about a second
    of each core, which the loading process waits for before its first batch). A lock another thread
    held at the fork would stay locked in the worker, and elsewhere fork is unsafe or absent: spawn.
    The worker never touches the database handle it inherits, and exits without closing it."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _result(future: Future[PreparedBatch], pool: ProcessPoolExecutor) -> PreparedBatch:
    """The batch, or BrokenProcessPool as soon as a worker is seen dead, even if the pool has not noticed."""
    while True:
        try:
            return future.result(timeout=1)
        except TimeoutError:
            if any(p.exitcode is not None for p in _workers(pool)):
                raise BrokenProcessPool("a worker process exited") from None


def _workers(pool: ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    return list((getattr(pool, "_processes", None) or {}).values())


def _abandon(pool: ProcessPoolExecutor) -> None:
    """Stop the workers, and never wait on the queue that fed them (a worker killed while reading
    its batch can leave that queue's lock held and its pipe half written). A worker killed while
    writing its result leaves the pool's reading thread waiting for the rest of it, and the
    interpreter waits for that thread at exit: with the workers gone, closing this process's own
    end of that pipe ends the wait."""
    workers = _workers(pool)
    for process in workers:
        process.kill()
    queue = getattr(pool, "_call_queue", None)
    if queue is not None:
        queue.cancel_join_thread()
    for process in workers:
        process.join(timeout=5)
    results = getattr(pool, "_result_queue", None)
    if results is not None and all(p.exitcode is not None for p in workers):
        results._writer.close()


_WORKER: tuple[Settings, SourceAliases] | None = None


def _worker_init(settings: Settings, credits: SourceAliases, parent: int) -> None:
    global _WORKER
    _WORKER = (settings, credits)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the loader's to handle: it stops the workers
    _die_with_parent(parent)
    warm_up(settings, credits)


def warm_up(settings: Settings, credits: SourceAliases) -> None:
    """What every batch needs once (the credit patterns, the language model, datasketch's permutations),
    loaded before the first batch arrives, not on the loading process's critical path after it."""
    find_attributions("Warm-up, Reuters said.", credits)
    minhash_signatures(shingle_sets(["warm-up"], settings.k), settings)
    language_of("A sentence to load the language model.")


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT held back while a worker may start: it inherits the mask, so a Ctrl-C during its
    start-up (before it ignores SIGINT) cannot print its traceback; here it arrives afterwards."""
    if not hasattr(signal, "pthread_sigmask"):  # no signal masks (Windows)
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _prepare_in_worker(batch: list[Article | LoadError]) -> PreparedBatch:
    assert _WORKER is not None
    return prepare(batch, *_WORKER)


def _die_with_parent(parent: int) -> None:
    """A loader killed mid-load must not leave workers behind (Linux; elsewhere they exit on EOF)."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass

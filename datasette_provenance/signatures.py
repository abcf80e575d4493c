"""Character-shingle sets and MinHash signatures for sentences, computed in bulk with numpy.

Translations of one statement share few word n-grams but many character 5-grams, so sentences
are compared on character 5-grams of their normalised text; in Chinese, Japanese and Korean, whose
characters say more, on runs of five letters' worth (``shingles``). datasketch's ``update_batch`` makes
one Python call per shingle; here whole batches are hashed and permuted as arrays, producing
exactly the values ``datasketch.MinHash(scheme="affine32", hashfunc=shingle_hash)`` would (a test
holds us to that), so signatures stay interchangeable with datasketch's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from .segment import SPLITTER, heavy_characters

if TYPE_CHECKING:
    from datasketch import LeanMinHash

_MASK32 = np.uint64(0xFFFFFFFF)
_POLY = 0x100000001B3  # FNV-64 prime: odd, so the rolling hash mixes every character
NO_KEY = 0  # in band_keys' lone columns: no key, no row in the index
_BAND_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                      dtype=np.uint64)


@dataclass(frozen=True)
class Settings:
    """Everything that decides whether two signatures are comparable, plus the matching rule.

    Stored in the ``settings`` table; a later load must use the same signature settings.
    """

    shingle: str = "char-weighted"  # shingles of five letters' worth (signatures.shingles); "char": five characters
    k: int = 5
    normalisation: str = "nfc-folded-letters-marks-lower-v4"
    splitter: str = SPLITTER
    shingle_hash: str = "poly64-fnvprime-fold32-v1"
    scheme: str = "affine32"
    num_perm: int = 128
    seed: int = 1
    bands: int = 42
    rows: int = 3
    # An article of one matchable sentence has no neighbour for the alignment to extend from, so
    # its sentence is a candidate only through the bands above: P = 0.61 at the Jaccard bar. Such
    # sentences are also put in these looser bands (0.995 at the bar, 0.47 at Jaccard 0.1 among one
    # another; the sketch screen drops what cannot link), which other articles' sentences are not in.
    lone_bands: int = 64
    lone_rows: int = 2
    # Two such articles of two outlets also link when their sentences share this Jaccard of words cut
    # to five letters (``segment.word_stems``) at a character Jaccard down to ``jaccard -
    # prefilter_margin`` (what the sketch screen lets through): two translations or paraphrases of one
    # sentence put inflected words in another order, which breaks character 5-grams across word
    # boundaries. With no neighbour to align, this is the only context-free second look; 0: none.
    # Calibrated on WMT22 segments: this bar links as few pairs of one document's consecutive
    # sentences as the character bar does (0.62 % against 0.67 %; of two desks, 0.43 % and 0.43 %),
    # and finds 0.69 of the translation pairs against 0.63.
    lone_words: float = 0.4
    # The same word rule between sentences an alignment left out of an article that renders the other
    # (``align._reworded``), where its order puts one at the other's place and the rest of the pair
    # vouches for them: a lower bar. Calibrated on WMT22 chunks, whose lines are the translated
    # segments (sentence-level truth): at 0.35 the rule adds 35 sentence pairs to the 0.4 of
    # ``lone_words``, at 0.3 47, at 0.25 57, every one of one segment; on clough_stevenson 0.3 adds 6,
    # each two rewordings of one source sentence, and 0.25 five more, one of them between two answers
    # written without the source ("an algorithm design technique used for optimisation problems" and
    # "a very powerful mathematical technique … for solving optimization problems"): a step above.
    # Without the place condition 0.3 failed the banded design check of ``tests/test_synthetic.py``;
    # with it the synthetic same-frame negatives stay at 26 of 427 down to 0.2 (``synth_reuse.py measure
    # --seeds 7 --difficulty banded --setting rendered_words=0.2``).
    rendered_words: float = 0.3
    # Verification rule (exact, on shingle sets): translation variants have Jaccard 0.30-0.51.
    jaccard: float = 0.28
    containment: float = 0.7
    containment_jaccard: float = 0.15
    min_chars: int = 40
    # Alignment of article pairs that share sentences (align.py): a sentence next to an aligned pair
    # is a rendering of its partner's neighbour at this Jaccard; an article pair whose only shared
    # sentence is looser than ``lone_jaccard`` and shares fewer than ``lone_shared`` shingles (about
    # as many letters: a Chinese or Japanese character's shingle counts three, a Korean syllable's
    # two, as for ``min_chars``) is two stories saying a similar thing, not reuse.
    aligned_jaccard: float = 0.1
    lone_jaccard: float = 0.5
    lone_shared: int = 80
    max_bucket: int = 64
    # Of one outlet's articles in a bucket, pairs go through its first few: its house lines need a
    # few links to be found as templates, and a story's versions rarely number more.
    max_outlet_bucket: int = 8
    # Candidates whose sketches estimate a Jaccard below this are not verified: unrelated sentences
    # collide in a band now and then (Jaccard ~0.05), true pairs (>= 0.15) almost never fall this low
    # (binomial odds with 128 permutations: 2e-7 at Jaccard 0.28, 0.04 at 0.15). That bar is for
    # pairs of lopsided sizes, which the containment rule can link at a low Jaccard; pairs of similar
    # sizes can only link at ``jaccard`` and are held to ``jaccard - prefilter_margin`` (2.5 standard
    # deviations of the estimate at 0.28; 0.15 % of pairs at 0.30 fall below it, half of the
    # candidates that are compared exactly for nothing do not reach it).
    prefilter: float = 0.1
    prefilter_margin: float = 0.1
    # Compare only sentences of articles published at most this many days apart (0: any); undated
    # and month-precision articles are compared with everything. News reuse happens within days;
    # without a window the candidates per new article grow with the corpus.
    window: int = 0

    SIGNATURE_KEYS = ("shingle", "k", "normalisation", "splitter", "shingle_hash", "scheme", "num_perm", "seed",
                      "bands", "rows", "lone_bands", "lone_rows", "window")
    # What this version of the code does, not what a user chooses: a database that stored other
    # values was built by other code, and its signatures cannot be reproduced.
    CODE_KEYS = ("shingle", "normalisation", "splitter", "shingle_hash")
    # Values of keys added later, for databases built before they were stored.
    _LEGACY = {"splitter": "regex-v1", "max_outlet_bucket": "64", "lone_bands": "0", "lone_words": "0",
               "rendered_words": "0.4"}

    def as_rows(self) -> list[tuple[str, str]]:
        return [(k, str(v)) for k, v in asdict(self).items()]

    @classmethod
    def from_rows(cls, rows: dict[str, str]) -> "Settings":
        typed = {}
        for f in fields(cls):
            value = rows.get(f.name, cls._LEGACY.get(f.name) if rows else None)
            if value is not None:
                typed[f.name] = type(getattr(cls, f.name))(value)
        return cls(**typed)

    def unreproducible(self) -> list[str]:
        """The code keys whose values this version of the code does not implement."""
        return [k for k in self.CODE_KEYS if getattr(self, k) != getattr(Settings, k)]

    def incompatible(self, other: "Settings") -> list[str]:
        return [k for k in self.SIGNATURE_KEYS if getattr(self, k) != getattr(other, k)]


def shingle_hash(shingle: str | bytes) -> int:
    """The per-shingle hash, as a datasketch ``hashfunc``; the vectorised code must agree with it."""
    if isinstance(shingle, bytes):
        shingle = shingle.decode("utf-8")
    h = 0
    for ch in shingle:
        h = (h * _POLY + ord(ch)) & 0xFFFFFFFFFFFFFFFF
    return (h ^ (h >> 32)) & 0xFFFFFFFF


def shingles(norm: str, k: int = 5) -> set[str]:
    """The shingles of a normalised text as strings, for datasketch's own ``MinHash.update``: from
    each position, the shortest run that weighs ``k`` letters. A letter of an alphabet weighs one, so
    these are character 5-grams; a Chinese or Japanese character weighs three (a shingle of two such
    characters, about a word, as five letters are), a Korean syllable two. The numpy code must agree."""
    return {norm[i:i + n] for i, n in enumerate(_fitting(norm, k).tolist())}


def shingle_positions(norm: str, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Hash and length of the shingle starting at every position where one fits (not de-duplicated):
    for span mapping."""
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = _fitting(norm, k)
    return _rolling(codes, k, lengths), lengths


def shingle_sets(norms: list[str], k: int = 5) -> list[np.ndarray]:
    """Sorted unique shingle hashes (uint32) of each text, hashed in one numpy pass."""
    seg, hashes = _shingles_flat(norms, k)
    bounds = np.searchsorted(seg, np.arange(len(norms) + 1))
    return [hashes[bounds[i]:bounds[i + 1]] for i in range(len(norms))]


def minhash_signatures(sets: list[np.ndarray], settings: Settings, chunk: int = 4096) -> np.ndarray:
    """(len(sets), num_perm) uint32 MinHash values; an empty set keeps datasketch's empty value.

    Permuted values are laid out one permutation per row and a few thousand shingles at a time, so
    each block stays in cache and every minimum runs over a contiguous run of one sentence's values
    (16 times faster than one row per shingle over large blocks).
    """
    out = np.full((len(sets), settings.num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    if not sizes.sum():
        return out
    a, b = _permutations(settings)
    hv = _fmix32(np.concatenate(sets).astype(np.uint32))
    ends = np.cumsum(sizes)
    starts = ends - sizes
    i = 0
    while i < len(sets):
        j = max(int(np.searchsorted(ends, starts[i] + chunk, side="right")), i + 1)
        lo = starts[i]
        phv = a[:, None] * hv[lo:ends[j - 1]][None, :]
        phv += b[:, None]
        nonempty = sizes[i:j] > 0
        if nonempty.any():
            out[i:j][nonempty] = np.minimum.reduceat(phv, starts[i:j][nonempty] - lo, axis=1).T
        i = j
    return out


def band_keys(signatures: np.ndarray, settings: Settings, lone: np.ndarray | None = None) -> np.ndarray:
    """(n, bands) int64 keys: a band's rows and its index mixed into one integer for SQL lookups.
    With ``lone`` (a mask of the sentences that are their article's only matchable one), also
    ``lone_bands`` keys for those, and NO_KEY for the others: rows to leave out of the index (when
    none is lone, the array is not widened for nothing)."""
    keys = _keys(signatures, 0, settings.bands, settings.rows)
    if lone is None or not settings.lone_bands or not lone.any():
        return keys
    extra = np.full((len(signatures), settings.lone_bands), NO_KEY, dtype=np.int64)
    extra[lone] = _keys(signatures[lone], settings.bands, settings.lone_bands, settings.lone_rows)
    return np.hstack((keys, extra))


def _keys(signatures: np.ndarray, first: int, bands: int, r: int) -> np.ndarray:
    n = len(signatures)
    vals = signatures[:, : bands * r].reshape(n, bands, r).astype(np.uint64)
    key = np.arange(first, first + bands, dtype=np.uint64)[None, :] * _BAND_MULT[0]
    for j in range(r):
        key = (key ^ vals[:, :, j]) * _BAND_MULT[1 + j % 3]
        key ^= key >> np.uint64(29)
    key = key.view(np.int64)
    key[key == NO_KEY] += 1  # 2^-64 a key: NO_KEY stays a mark
    return key


def sketches(signatures: np.ndarray) -> np.ndarray:
    """The low byte of every MinHash value (b-bit MinHash): 128 bytes a sentence, kept in the database
    so that an incremental load can screen candidates against stored sentences without re-hashing them."""
    return (signatures & np.uint32(0xFF)).astype(np.uint8)


def worth_comparing(estimate: np.ndarray, size_a: np.ndarray, size_b: np.ndarray, settings: Settings) -> np.ndarray:
    """Pairs the exact rule could still accept, judged from sketch estimates and shingle-set sizes.

    A containment-only link (Jaccard below ``jaccard``, the smaller set ``containment`` inside the
    larger) needs the larger set to hold (c(1 + j) - j) / j times the smaller's shingles or more
    (2.2 times at the defaults); other pairs need a Jaccard near ``jaccard`` itself.
    """
    c, j = settings.containment, settings.jaccard
    lopsided = np.maximum(size_a, size_b) > (c * (1 + j) - j) / j * np.minimum(size_a, size_b)
    return estimate >= np.where(lopsided, settings.prefilter, j - settings.prefilter_margin)


def sketch_jaccard(sketch_a: np.ndarray, sketch_b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard estimate from b-bit sketches: agreement, less the 1/256 that agrees by chance."""
    chance = 1 / 256
    return ((sketch_a == sketch_b).mean(axis=1) - chance) / (1 - chance)


def to_minhash(signature: np.ndarray, settings: Settings) -> LeanMinHash:
    """A datasketch LeanMinHash for one stored signature (for users of datasketch's own tools)."""
    from datasketch import LeanMinHash, MinHash

    m = MinHash(num_perm=settings.num_perm, seed=settings.seed, hashvalues=signature, scheme=settings.scheme)
    return LeanMinHash(m)


def similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact Jaccard and containment (of the smaller set) of two sorted unique shingle arrays."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    return overlap_ratios(len(np.intersect1d(a, b, assume_unique=True)), len(a), len(b))


def overlap_ratios(inter: int, size_a: int, size_b: int) -> tuple[float, float]:
    """Jaccard and containment of the smaller set, from an intersection size."""
    return inter / (size_a + size_b - inter), inter / min(size_a, size_b)


def distinct(sorted_values: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array: much faster than np.unique's hashing on millions of values."""
    if len(sorted_values) < 2:
        return sorted_values
    return sorted_values[np.concatenate(([True], sorted_values[1:] != sorted_values[:-1]))]


def in_sorted(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Which of ``wanted`` are in the sorted ``keys``: one binary search each, where ``np.isin`` would
    sort the keys again at every call."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=bool)
    return keys[np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)] == wanted


def _lengths(text: str, k: int) -> np.ndarray | None:
    """Length of the shortest run from each position of ``text`` that weighs ``k`` letters (past the
    end when none does), or None when every character weighs one (every shingle is ``k`` long)."""
    heavy = heavy_characters(text)
    if not heavy:
        return None
    n = len(text)
    weight = np.ones(n, dtype=np.int64)
    at, w = zip(*heavy)
    weight[list(at)] = w
    cum = np.concatenate(([0], np.cumsum(weight)))
    return np.searchsorted(cum, cum[:n] + k) - np.arange(n)


def _fitting(norm: str, k: int) -> np.ndarray:
    """Lengths of the shingles of one text, one for each start where a shingle fits: the first
    starts, as those after them weigh less than ``k`` to the end."""
    lengths = _lengths(norm, k)
    if lengths is None:
        return np.full(max(len(norm) - k + 1, 0), k)
    return lengths[np.arange(len(norm)) + lengths <= len(norm)]


def _rolling(codes: np.ndarray, k: int, lengths: np.ndarray | None = None) -> np.ndarray:
    """Polynomial hash of the shingle at each position: ``k`` characters long, or ``lengths[i]``
    (at most ``k``) at position i."""
    poly = np.uint64(_POLY)
    if lengths is None:
        n = len(codes) - k + 1
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            h = h * poly + codes[j:j + n]
    else:
        n = len(lengths)
        codes = np.concatenate((codes, np.zeros(k, dtype=np.uint64)))
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            h = np.where(lengths > j, h * poly + codes[j:j + n], h)
    return ((h ^ (h >> np.uint64(32))) & _MASK32).astype(np.uint32)


def _shingles_flat(norms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """(text index, hash) of every distinct shingle, sorted by text then hash."""
    joined = "".join(norms)
    if len(joined) < k and not heavy_characters(joined):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint32)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = _lengths(joined, k)
    ends = np.cumsum(np.array([len(s) for s in norms], dtype=np.int64))
    pos = np.arange(len(joined) - k + 1 if lengths is None else len(joined))
    seg = np.searchsorted(ends, pos, side="right")
    valid = pos + (k if lengths is None else lengths) <= ends[np.minimum(seg, len(ends) - 1)]
    hashes = _rolling(codes, k, None if lengths is None else np.where(valid, lengths, 0))
    keyed = distinct(np.sort((seg[valid].astype(np.uint64) << np.uint64(32)) | hashes[valid].astype(np.uint64)))
    return (keyed >> np.uint64(32)).astype(np.int64), (keyed & _MASK32).astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


_PERMUTATIONS: dict[tuple[int, int, str], tuple[np.ndarray, np.ndarray]] = {}


def _permutations(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutation parameters for this seed, so values match its MinHash."""
    key = (settings.num_perm, settings.seed, settings.scheme)
    if key not in _PERMUTATIONS:
        # Imported here: it imports scipy (0.3 s), which the loading process and the server never need.
        from datasketch import MinHash

        a, b = MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme=settings.scheme).permutations
        _PERMUTATIONS[key] = (a.astype(np.uint32), b.astype(np.uint32))
    return _PERMUTATIONS[key]

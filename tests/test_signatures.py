import numpy as np
import pytest
from datasketch import MinHash

from datasette_provenance.segment import normalise
from datasette_provenance.signatures import (
    Settings, band_keys, minhash_signatures, shingle_hash, shingle_sets, similarity, sketch_jaccard, sketches,
    to_minhash,
)

SENTENCES = [
    "We support the efforts of other countries, including members of the US-led coalition.",
    "We support the efforts of other states, including members of the US-led international coalition.",
    "Ünïcode İstanbul: a sentence with accents and dotted capitals.",
    "tiny",
    "",
]


def test_signatures_equal_datasketch_minhash():
    s = Settings()
    norms = [normalise(t)[0] for t in SENTENCES]
    sigs = minhash_signatures(shingle_sets(norms, s.k), s)
    for norm, sig in zip(norms, sigs):
        m = MinHash(num_perm=s.num_perm, seed=s.seed, scheme="affine32", hashfunc=shingle_hash)
        grams = {norm[i:i + s.k] for i in range(len(norm) - s.k + 1)}
        if grams:
            m.update_batch(sorted(grams))
        assert np.array_equal(m.hashvalues, sig)
        assert to_minhash(sig, s).jaccard(m) == 1.0



@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_signatures_do_not_depend_on_how_the_work_is_cut(chunk):
    """Blocks of any size — smaller than one set, ending on empty sets — give datasketch's values."""
    s = Settings()
    rng = np.random.default_rng(5)
    sets = [np.unique(rng.integers(0, 2**32, size=n, dtype=np.uint64)).astype(np.uint32)
            for n in (0, 3, 0, 0, 150, 1, 40, 0, 9)]
    sigs = minhash_signatures(sets, s, chunk=chunk)
    for values, sig in zip(sets, sigs):
        m = MinHash(num_perm=s.num_perm, seed=s.seed, scheme="affine32", hashfunc=lambda h: h)
        m.update_batch(values.tolist())
        assert np.array_equal(m.hashvalues, sig)

def test_exact_similarity_and_estimate_agree_roughly():
    s = Settings(num_perm=256, bands=85)
    a, b = (normalise(t)[0] for t in SENTENCES[:2])
    sa, sb = shingle_sets([a, b])
    j, c = similarity(sa, sb)
    truth = len(set(a[i:i + 5] for i in range(len(a) - 4)) & set(b[i:i + 5] for i in range(len(b) - 4)))
    assert 0 < j < c <= 1
    assert c == pytest.approx(truth / min(len(sa), len(sb)))
    sig = minhash_signatures([sa, sb], s)
    assert abs(to_minhash(sig[0], s).jaccard(to_minhash(sig[1], s)) - j) < 0.15


def test_band_keys_deterministic_and_band_specific():
    s = Settings()
    sig = minhash_signatures(shingle_sets([normalise(SENTENCES[0])[0]] * 2), s)
    keys = band_keys(sig, s)
    assert keys.shape == (2, s.bands)
    assert (keys[0] == keys[1]).all()
    assert len(set(keys[0].tolist())) == s.bands  # the band index is mixed in


def test_settings_round_trip_and_incompatibility():
    s = Settings()
    assert Settings.from_rows(dict(s.as_rows())) == s
    assert s.incompatible(Settings(num_perm=256, bands=85)) == ["num_perm", "bands"]
    assert s.incompatible(Settings(jaccard=0.3)) == []  # verification rule may change between loads


def test_sketch_estimate_tracks_exact_jaccard():
    """b-bit sketches screen candidates: their estimate must follow the exact Jaccard, chance agreement removed."""
    rng = np.random.default_rng(7)
    s = Settings()
    errors = []
    for target in (0.0, 0.1, 0.3, 0.6, 1.0):
        for _ in range(20):
            common = rng.choice(2**32, 300, replace=False).astype(np.uint32)
            keep = int(round(300 * 2 * target / (1 + target)))  # |A & B| / |A | B| == target for |A| == |B| == 300
            a = np.unique(np.concatenate((common[:keep], rng.choice(2**32, 300 - keep).astype(np.uint32))))
            b = np.unique(np.concatenate((common[:keep], rng.choice(2**32, 300 - keep).astype(np.uint32))))
            sk = sketches(minhash_signatures([a, b], s))
            errors.append(sketch_jaccard(sk[:1], sk[1:])[0] - similarity(a, b)[0])
    errors = np.array(errors)
    assert abs(errors.mean()) < 0.02  # unbiased
    assert np.abs(errors).max() < 0.2  # 128 permutations: a few hundredths of noise, never a wrong screen


def test_screen_never_rejects_a_pair_the_rule_links():
    """Every (size, size, overlap) the exact rule links passes the screen within its noise margin.

    Containment-only links (Jaccard under 0.28) must all be "lopsided" and so keep the lenient bar;
    the others keep a margin of ``prefilter_margin`` below their true Jaccard.
    """
    from datasette_provenance.signatures import worth_comparing

    s = Settings()
    na, nb, inter = np.meshgrid(np.arange(1, 121), np.arange(1, 401), np.arange(0, 121), indexing="ij")
    keep = inter <= np.minimum(na, nb)
    na, nb, inter = na[keep], nb[keep], inter[keep]
    j = inter / (na + nb - inter)
    c = inter / np.minimum(na, nb)
    by_jaccard = j >= s.jaccard
    by_containment = ~by_jaccard & (c >= s.containment) & (j >= s.containment_jaccard)
    assert by_containment.sum() > 1000 and by_jaccard.sum() > 1000
    assert worth_comparing(j - s.prefilter_margin + 1e-9, na, nb, s)[by_jaccard].all()
    assert worth_comparing(j - (s.containment_jaccard - s.prefilter) + 1e-9, na, nb, s)[by_containment].all()
    similar = (np.maximum(na, nb) <= 2 * np.minimum(na, nb)) & (j < s.jaccard - s.prefilter_margin)
    assert not worth_comparing(j, na, nb, s)[similar].any()  # and it does screen: similar sizes need ~0.18

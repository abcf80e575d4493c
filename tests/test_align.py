"""Alignment of article pairs (align.py): merged, split and loosely rendered sentences next to close
ones are aligned; a lone loose match between long articles is not; nothing depends on order."""

import numpy as np
import pytest

from datasette_provenance.align import align, coverage, overlaps
from datasette_provenance.segment import normal_form, stated_numbers, word_stems
from datasette_provenance.signatures import Settings, shingle_sets

S = Settings()


def sets(sentences):
    return shingle_sets([normal_form(s) for s in sentences], S.k)


def numbers(sentences):
    return [stated_numbers(s) for s in sentences]


def pairs(a, b, words=False, **kw):
    stems = {"words_a": [word_stems(normal_form(s)) for s in a], "words_b": [word_stems(normal_form(s)) for s in b]}
    return [(p.a, p.b, p.anchor) for p in align(sets(a), sets(b), Settings(**kw) if kw else S, numbers(a), numbers(b),
                                                 **(stems if words else {}))]


AGENCY = [
    "Russia said on Thursday it supported the efforts of other countries against terrorism in Syria.",
    "The foreign ministry spokeswoman said Moscow was ready to cooperate with all interested states.",
    "She called for a thorough investigation if civilian casualties in the raid were confirmed.",
    "The raid killed the leader of the Islamic State group in the northwest of the country overnight.",
]
PAPER = [
    "Russia said on Thursday that it supported the efforts of other countries against terrorism in Syria.",
    # two agency sentences merged, trimmed
    "Moscow was ready to cooperate with all interested states, she said, calling for a thorough investigation if"
    " civilian casualties in the raid were confirmed.",
    "The raid killed the leader of the Islamic State group in the country's northwest overnight.",
]


def test_overlap_counts_equal_set_intersections():
    a, b = sets(AGENCY), sets(PAPER)
    inter = overlaps(a, b)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            assert inter[i, j] == len(np.intersect1d(x, y))
    assert overlaps([], b).shape == (0, 3) and not overlaps(a, [np.zeros(0, np.uint32)] * 2).any()


def test_overlap_counts_hold_for_shingles_repeated_across_sentences_and_for_texts_sharing_none():
    """Counted from the values both articles hold: a value in several sentences on both sides
    counts in every pair of them, and two articles with no value in common count nothing."""
    rng = np.random.default_rng(3)
    shared_none = 0
    for _ in range(300):
        pool = rng.integers(0, 60, 80).astype(np.uint32)  # few values: most repeat across sentences
        a = [np.unique(rng.choice(pool, rng.integers(0, 12))) for _ in range(rng.integers(0, 6))]
        b = [np.unique(rng.choice(pool + (60 if rng.random() < 0.2 else 0), rng.integers(0, 12)))
             for _ in range(rng.integers(0, 6))]
        want = np.array([[len(np.intersect1d(x, y)) for y in b] for x in a], dtype=np.int64).reshape(len(a), len(b))
        assert (overlaps(a, b) == want).all()
        shared_none += bool(a and b) and not want.any()
    assert shared_none > 10


def test_a_merged_and_trimmed_sentence_is_aligned_next_to_close_ones():
    got = pairs(AGENCY, PAPER)
    assert (0, 0, True) in got and (3, 2, True) in got
    assert {a for a, b, _ in got if b == 1} == {1, 2}  # the merged sentence holds agency sentences 1 and 2


def test_a_loose_rendering_between_close_ones_is_aligned():
    loose = "She urged a probe into the raid should civilian deaths be confirmed."  # Jaccard 0.15
    paper = [PAPER[0], AGENCY[1], loose, AGENCY[3]]
    assert pairs(AGENCY[2:3], [loose]) == [] and pairs(AGENCY, [loose]) == []  # alone it links to nothing
    assert (2, 2, False) in pairs(AGENCY, paper)


def test_a_lone_loose_match_between_long_articles_is_not_reuse():
    one = ["The most people came to the elections in Rovna, with many of registered voters casting ballots.",
           "Officials counted the votes late into the night under heavy rain in the town centre.",
           "The mayor thanked the volunteers who organised the count in the old school building."]
    other = ["Most people turned out for the elections in Bila, with many registered voters staying at home.",
             "A new bridge over the river will open in the spring after three years of construction.",
             "Farmers in the region expect a good harvest this year despite the dry summer."]
    sa, sb = sets(one), sets(other)
    assert overlaps(sa, sb)[0, 0] and S.jaccard <= _jaccard(sa[0], sb[0]) < S.lone_jaccard  # would link alone
    assert pairs(one, other) == []
    assert pairs(one[:1], other[:1]) != []  # one-sentence articles: the sentence is the whole text


def test_numbers_that_disagree_do_not_anchor():
    a = ["The average age of the elected representatives in the town council is 46 years this time."]
    b = ["The average age of the elected representatives in the town council is 52 years this time."]
    assert pairs(a, b) == []
    assert pairs(a, [b[0].replace("52", "46")]) != []


def test_figures_inside_chinese_text_that_disagree_do_not_anchor():
    """Chinese writes figures inside a run of words; they are numbers there too."""
    a = ["本次当选的代表平均年龄为46岁，其中最年轻的代表22岁，最年长的代表69岁。"]
    b = ["本次当选的代表平均年龄为52岁，其中最年轻的代表31岁，最年长的代表70岁。"]
    assert pairs(a, b) == []
    assert pairs(a, ["本次当选代表的平均年龄是46岁，最年轻的代表22岁，最年长的69岁。"]) != []


def test_figures_attached_to_korean_words_that_disagree_do_not_anchor():
    """Korean attaches a counter and a particle to a figure ("12명이"): it is a number there too."""
    a = ["경찰에 따르면 이번 화재로 12명이 숨지고 34명이 다쳤으며 주민 150명이 대피했다."]
    b = ["경찰에 따르면 이번 화재로 3명이 숨지고 8명이 다쳤으며 주민 270명이 대피했다."]
    assert pairs(a, b) == []
    assert pairs(a, ["경찰에 따르면 이번 화재로 12명이 숨지고 34명이 부상했으며 주민 150명이 대피했다."]) != []


@pytest.mark.parametrize("ours,theirs,other", [
    ("1,025 new infections per 100,000", "1025 new infections per 100000", "1,325 new infections per 200,000"),
    ("a grant of 45,000 euros", "a grant of 45.000 euros", "a grant of 47,000 euros"),
    ("a grant of 45 000 euros", "a grant of 45000 euros", "a grant of 45 500 euros"),
    ("a bill of 3.125,50 euros", "a bill of 3,125.50 euros", "a bill of 3,127.70 euros"),
])
def test_a_figure_regrouped_is_the_same_number(ours, theirs, other):
    """A translation or a rewrite writes digit groups its own way: the figure still agrees. Another
    figure is another fact, though it shares a group ("000") or a leading digit."""
    a = [f"The Robert Koch Institute reported {ours} over the last seven days on Sunday."]
    b = [f"The Robert Koch Institute reported {theirs} over the last seven days on Sunday."]
    assert pairs(a, b) != []
    assert pairs(a, [a[0].replace(ours, other)]) == []


def test_alignment_is_symmetric_and_independent_of_other_articles():
    forward = {(x, y) for x, y, _ in pairs(AGENCY, PAPER)}
    backward = {(y, x) for x, y, _ in pairs(PAPER, AGENCY)}
    assert forward == backward


def test_coverage_counts_aligned_characters_of_each_side():
    got = align(sets(AGENCY), sets(PAPER), S)
    chars_a = np.array([len(s) for s in AGENCY])
    chars_b = np.array([len(s) for s in PAPER])
    ca, cb = coverage(got, chars_a, chars_b)
    assert cb == pytest.approx(1.0)
    assert ca == pytest.approx(chars_a[sorted({p.a for p in got})].sum() / chars_a.sum()) and ca > 0.7


def _jaccard(x, y):
    i = len(np.intersect1d(x, y))
    return i / (len(x) + len(y) - i)


def test_short_sentences_never_anchor_but_fill_a_gap_between_aligned_pairs():
    one = [AGENCY[0], "He said no.", AGENCY[3]]
    other = [PAPER[0], "He said no.", PAPER[2]]
    short = [False, True, False]
    got = align(sets(one), sets(other), S, numbers(one), numbers(other), short, short)
    assert {(p.a, p.b, p.anchor) for p in got} == {(0, 0, True), (1, 1, False), (2, 2, True)}
    # alone, an identical short line is no evidence at all
    assert align(sets(one[1:2] * 2), sets(other[1:2] * 2), S, short_a=[True, True], short_b=[True, True]) == []


def test_a_loose_neighbour_closer_to_another_sentence_is_not_its_rendering():
    loose = "She urged a probe into the raid should civilian deaths be confirmed."  # Jaccard 0.15 to AGENCY[2]
    paper = [PAPER[0], AGENCY[1], loose, AGENCY[3]]
    assert (2, 2, False) in pairs(AGENCY, paper)
    # another sentence of the agency text now says what the loose line says, more closely
    agency = AGENCY + ["She urged a probe into the raid should any civilian deaths be confirmed by officials."]
    assert (2, 2, False) not in pairs(agency, paper)


def test_without_extension_only_anchors_are_kept():
    loose = "She urged a probe into the raid should civilian deaths be confirmed."
    paper = [PAPER[0], AGENCY[1], loose, AGENCY[3]]
    got = align(sets(AGENCY), sets(paper), S, extend=False)
    assert got and all(p.anchor for p in got)


def test_a_generic_line_linked_to_several_sentences_is_one_piece_of_evidence():
    generic = "Please contact our customer service staff if you have any questions about the order."
    one = [generic, "The parcel left the warehouse in Leipzig on Monday morning after a delay.",
           "Customs papers were missing, the courier said in a short statement to buyers."]
    other = ["Contact customer service staff with any questions about your order, please.",  # Jaccard 0.44
             "A new line of garden furniture arrives in stores across the region next spring.",
             "Customer service staff answer questions about orders every day."]  # Jaccard 0.33
    sa, sb = sets(one), sets(other)
    assert S.jaccard <= _jaccard(sa[0], sb[2]) < _jaccard(sa[0], sb[0]) < S.lone_jaccard  # two anchors
    assert align(sa, sb, S) == []  # but one sentence on one side: a lone loose match
    other[1] = one[1]  # a second, independent piece of evidence
    assert {(p.a, p.b) for p in align(sa, sets(other), S)} >= {(0, 0), (1, 1)}


def test_a_sentence_keeps_its_closest_pairs_and_every_aligned_sentence_stays():
    """A run of template variants passes with every sentence of the other article: each sentence keeps
    its PER_SENTENCE closest pairs on either side, and no sentence that was aligned loses all of them."""
    from datasette_provenance.align import PER_SENTENCE, Aligned, strongest

    every = [Aligned(a, b, 0.3 + 0.001 * ((a * 7 + b * 3) % 50), 0.5, True, 40) for a in range(40) for b in range(40)]
    kept = strongest(every)
    assert len(kept) <= 2 * PER_SENTENCE * 40 < len(every)
    assert {p.a for p in kept} == set(range(40)) and {p.b for p in kept} == set(range(40))
    assert strongest(every[::-1]) == kept  # a function of the pairs, not of their order


# A rendering in the same words a little below the character bar (Jaccard 0.252, word stems 0.41).
COURT = ("The court sentenced the former mayor to four years in prison for corruption.",
         "The ex-mayor got four years' imprisonment from the court for corrupt practices.")


def test_a_rendering_in_the_same_words_grows_an_alignment_that_renders_the_other():
    """Where the alignment holds half of one article, a sentence pair elsewhere that renders itself in
    the same words (each the other's closest) is aligned too; not where two stories share a few
    sentences. The word rule never starts an alignment between longer articles, and it links two
    articles of one sentence each, as candidates.is_link does."""
    ours = AGENCY[:2] + ["Snow closed the mountain pass for the third day running, the road agency said.", COURT[0]]
    theirs = PAPER[:1] + [AGENCY[1], COURT[1], "Ticket sales for the summer festival opened online this morning."]
    assert (3, 2, False) in pairs(ours, theirs, words=True)
    assert (3, 2) not in {p[:2] for p in pairs(ours, theirs)}
    ours += ["A new bridge over the river opened to traffic on Monday after four years of construction.",
             "Scientists reported that the glacier lost a third of its mass over the past two decades."]
    theirs += ["Farmers in the north harvested record wheat yields after an unusually wet spring.",
               "The central bank kept interest rates unchanged, citing persistent inflation."]
    got = pairs(ours, theirs, words=True)
    assert (0, 0, True) in got and (3, 2) not in {p[:2] for p in got}  # 2 of 6 sentences aligned on each side
    assert pairs(ours[2:], theirs[2:], words=True) == []  # nothing stands for it to grow
    assert pairs(COURT[:1], COURT[1:], words=True) == [(0, 0, True)] and pairs(COURT[:1], COURT[1:]) == []
    assert pairs(COURT[:1], COURT[1:], words=True, lone_words=0) == []


PA_FRAUD = [
    "A retired headmaster who swindled elderly neighbours out of more than 240,000 pounds to fund his gambling habit"
    " was jailed for five years today.",
    "Graham Pettifer, 67, befriended widows living in sheltered flats near his home in Chelmsford, Essex, and persuaded"
    " them to hand over their savings for what he described as a safe investment scheme.",
    "One victim, an 84-year-old former nurse, lost her entire life savings of 96,000 pounds and was forced to sell her car.",
    "Chelmsford Crown Court heard that he spent most of the money on online casino sites and horse racing over a period"
    " of four years.",
    "A confiscation hearing will take place later this year.",
]
TABLOID_FRAUD = [  # a sub-editor's copy: new intro, sentences trimmed, a line of the paper's own, a rewrite
    "A GAMBLING-mad former headmaster who conned lonely widows out of 240,000 pounds was caged for five years yesterday.",
    "Pettifer befriended widows in sheltered flats near his Chelmsford home and talked them into handing over their"
    " savings for a safe investment scheme.",
    "One, an 84-year-old former nurse, lost her life savings of 96,000 pounds and had to sell her car.",
    "Neighbours said he had been a popular figure at the bowls club for twenty years.",
    "Graham Pettifer, 67, blew most of the cash on online casinos and the horses, a court heard.",
]


def test_inside_a_rendering_a_rewritten_sentence_in_its_place_needs_fewer_words_in_common():
    """The tabloid renders the agency's story: its rewrite of what the court heard (Jaccard 0.2, 0.39
    of its words in common), after a line of its own, where the alignment's order puts the agency's
    sentence, is aligned at ``rendered_words`` (0.3) rather than the 0.4 of ``lone_words``. Moved
    before the sentence it followed, it must meet 0.4: out of place, a paper's own sentence in the
    agency's frame is as likely (the synthetic same-frame negatives)."""
    got = pairs(PA_FRAUD, TABLOID_FRAUD, words=True)
    assert (3, 4, False) in got and {(0, 0), (1, 1), (2, 2)} <= {p[:2] for p in got}
    assert not {p for p in got if p[0] == 4 or p[1] == 3}  # the agency's last line; the paper's own
    assert (3, 4) not in {p[:2] for p in pairs(PA_FRAUD, TABLOID_FRAUD, words=True, rendered_words=0.4)}
    moved = [*TABLOID_FRAUD[:2], TABLOID_FRAUD[4], *TABLOID_FRAUD[2:4]]
    got = pairs(PA_FRAUD, moved, words=True)
    assert {(0, 0), (1, 1), (2, 3)} <= {p[:2] for p in got} and (3, 2) not in {p[:2] for p in got}
    assert (3, 2, False) in pairs(PA_FRAUD, moved, words=True, lone_words=0.35)


def test_a_rendering_between_aligned_pairs_that_echoes_the_sentence_before_is_aligned():
    """A sentence left between two aligned pairs on both sides renders the one left on the other side,
    though it shares more with the aligned sentence before it (a translation often repeats who speaks):
    that sentence is already accounted for. A closer sentence that is still free keeps it apart."""
    echo = "The spokeswoman of the foreign ministry demanded an inquiry should civilians have been killed in the raid."
    a, b = sets(AGENCY), sets([echo])[0]
    assert _jaccard(b, a[2]) < _jaccard(b, a[1]) and _jaccard(b, a[2]) >= S.aligned_jaccard / 2
    paper = [PAPER[0], AGENCY[1], echo, AGENCY[3]]
    assert (2, 2, False) in pairs(AGENCY, paper)
    assert (2, 2, False) in pairs(paper, AGENCY)  # and the other way round
    # a sentence still free that says it more closely is its rendering, not the one between
    closer = AGENCY + ["The ministry spokeswoman demanded an inquiry should civilians have been killed in the raid."]
    assert (2, 2, False) not in pairs(closer, paper)

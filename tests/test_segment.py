import re
import textwrap
import unicodedata

import pytest
import regex
from hypothesis import given, settings, strategies as st

from datasette_provenance.segment import (
    _line_kind, language_of, normal_form, normalise, segment, source_end, split_sentences, stated_numbers,
)


def texts(spans, text):
    return [text[s:e] for s, e in spans]


def test_missing_space_after_period_splits():
    text = "The president promised details.Al-Qurashi, 45, was dubbed the second caliph.US commandos came."
    assert texts(split_sentences(text), text) == [
        "The president promised details.",
        "Al-Qurashi, 45, was dubbed the second caliph.",
        "US commandos came.",
    ]


def test_abbreviations_and_quotes():
    text = 'Mr. Smith met U.S. officials. "We are ready," she said. It ended.'
    assert texts(split_sentences(text), text) == [
        "Mr. Smith met U.S. officials.",
        '"We are ready," she said.',
        "It ended.",
    ]


def test_navigation_list_and_meta_lines_are_boilerplate():
    text = "\n".join([
        "3 MIN READ",
        "Russia backs US anti-terror efforts in Syria",
        "February 3, 2022",
        "Moscow said it was ready to cooperate with all interested countries against terrorism.",
        "READ MORE:US kills top Daesh leader",
        "SOURCE:AFP",
        "Explore",
        "Tsunami warning issued as magnitude 6.9 earthquake jolts the Philippines",
        "Not winning Nobel would be 'insult' to US: Trump",
        "UN says it is not party to Trump's Gaza peace plan",
        "Who is Sonam Wangchuk, the inspiration at the heart of Ladakh's protests?",
        "Sputnik International feedback@sputniknews.com +74956456601",
    ])
    kinds = {p.text[:20]: (p.kind, p.boilerplate) for p in segment(text)}
    assert kinds["3 MIN READ"] == ("meta", True)
    assert kinds["Russia backs US anti"] == ("title", False)
    assert kinds["February 3, 2022"] == ("meta", True)
    assert kinds["Moscow said it was r"] == ("text", False)
    assert kinds["READ MORE:US kills t"][1]
    assert kinds["SOURCE:AFP"] == ("credit", True)
    for head in ("Tsunami warning issu", "Not winning Nobel wo", "UN says it is not pa", "Who is Sonam Wangchu"):
        assert kinds[head] == ("navigation", True)
    assert kinds["Sputnik Internationa"] == ("contact", True)


def test_questions_in_a_row_are_a_conversation_not_links():
    """Lines without a full stop in a row are a list of links, unless most are questions: a reader's
    questions, an interview, a chat with a shop. A list of links that holds one question stays one."""
    chat = "\n".join([
        "The parcel was due on Monday and has still not arrived at the address I gave.",
        "Where is your delivery person?",
        "Do I still need to wait?",
        "Can I ask for a refund of the chicken with chili sauce?",
        "Otherwise I will cancel the whole order and buy somewhere else.",
    ])
    assert [p.kind for p in segment(chat)] == ["text"] * 5
    links = chat.replace("Do I still need to wait?", "Storm closes the harbour for a week").replace(
        "Can I ask for a refund of the chicken with chili sauce?", "Minister resigns over the grain export deal")
    assert [p.kind for p in segment(links)][1:4] == ["navigation"] * 3


@pytest.mark.parametrize("line, kind", [
    ("Related parties of the Iran nuclear deal started talks in Vienna on Monday, officials said.", "text"),
    ("Related-party transactions rose sharply in the last quarter of the year, the bank said.", "text"),
    ("Watch makers reported record sales in the first quarter of the year.", "text"),
    ("Recommended doses of vitamin D were raised by the health ministry on Tuesday.", "text"),
    ("Related: Storm closes the harbour for a week", "related"),
    ("Watch - the minister's speech in full", "related"),
    ("Recommended for you", "related"),
    ("Explore", "related"),
])
def test_a_sentence_that_opens_with_a_link_word_is_reporting(line, kind):
    assert _line_kind(line) == kind


def test_repeated_title_is_not_matchable_twice():
    title = "Russia backs the US anti-terror efforts in Syria after the raid"
    text = f"{title}\nSubtitle line goes here and it is long enough to match.\n{title}"
    paragraphs = segment(text, title=title)
    kinds = [s.kind for p in paragraphs for s in p.sentences]
    assert kinds.count("repeat") == 1


def test_hard_wrapped_wire_copy_is_one_paragraph():
    text = (
        "MOSCOW, Feb 3 (Reuters) - Russia said on Thursday it supported the\n"
        "efforts of other countries, including members of the US-led coalition,\n"
        "in the anti-terrorist direction, the foreign ministry said.\n"
        "\n"
        "A second paragraph stands alone here and ends properly with a period.\n"
    )
    paragraphs = segment(text)
    assert len(paragraphs) == 2
    assert paragraphs[0].text.startswith("MOSCOW") and paragraphs[0].text.endswith("said.")


def test_normalise_maps_back_to_source():
    text = "Hello,  “World”.İstanbul!"
    norm, pos = normalise(text)
    assert norm == "hello world i̇stanbul"
    assert len(pos) == len(norm)
    assert text[pos[norm.index("world")]] == "W"


def test_character_references_a_scrape_left_read_as_their_characters():
    """One desk's scrape keeps "&#8217;" or "&quot;" where another's has the character: both are one
    normal form (the reference read "8217" as a word and a figure), offsets point at the reference,
    and a span that ends on one takes it whole. What HTML does not know is left as written. A soft
    hyphen or a zero-width space is a hint to the browser, not a break between words."""
    written = "The minister’s “café” plan costs 5\u00a0000 euros, AT&T said."
    scraped = "The minister&#8217;s &amp;quot;caf&eacute;&#x201D; plan costs 5&nbsp;000 euros, AT&T said."
    assert normal_form(scraped) == normal_form(written) == "the minister s café plan costs 5 000 euros at t said"
    assert stated_numbers(scraped) == stated_numbers(written) == {"5000"}
    norm, pos = normalise(scraped)
    assert norm == normal_form(scraped) and len(pos) == len(norm)
    e = norm.index("é")
    assert scraped[pos[e]:source_end(scraped, pos[e])] == "&eacute;" and scraped[pos[e - 1]] == "f"
    assert scraped[pos[norm.index("s café")]] == "s" and scraped[pos[-1]] == "d"
    assert source_end(scraped, scraped.index("&T")) == scraped.index("&T") + 1
    for doubled in ("caf&amp;eacute;", "caf&amp;amp;eacute;"):  # escaped twice or three times: the letter is all of it
        norm, pos = normalise(doubled)
        assert norm == "café" and source_end(doubled, pos[-1]) == len(doubled)
    assert source_end("AT&amp;T", 2) == 7 and source_end("&amp;&amp;", 0) == 5
    assert normal_form("R&D &bogus; &#xZZ;") == "r d bogus xzz"
    assert normal_form("&" + "amp;" * 10 + "x") == "amp " * 7 + "x"  # read three times, no more: a nest is no text
    hinted = "The inter\u00adnational com\u00admittee met in Bang\u200bkok on\u2060 Monday.\ufeff"
    assert normal_form(hinted) == "the international committee met in bangkok on monday"
    norm, pos = normalise(hinted)
    assert hinted[pos[norm.index("national")]] == "n" and hinted[pos[-1]] == "y"
    quoted = "He said &#8220;We will win. They know it.&#8221; Then he left, AT&amp;T said."  # a quote closes its sentence
    assert [quoted[s:e] for s, e in split_sentences(quoted)] == [
        "He said &#8220;We will win.", "They know it.&#8221;", "Then he left, AT&amp;T said."]


# Agency copy as archives hold it: paragraphs hard-wrapped at some width, opened by control characters,
# an indent or a mark, closed by '<', '¶', '=' or a control character, among header and marker lines.
_WIRE_WORDS = st.sampled_from(["the", "minister", "said", "Treaty", "talks", "ended.", "Oslo,", "``We", "agree,''",
                               "fishing", "rights", "a", "in", "MOSCOW,", "(Reuters)", "-", "_", "Ü", "é", "said.<",
                               "x=", "¶", "By", "Jane", "PA", "News"])
_WIRE_LINES = ["", "\n", "ENDS\n", "(MORE)\n", "-30-\n", " REUTER\n\x03", "By Jane Doe, PA News\n",
               "LONDON, Feb 3 (Reuters) - ", "09:12 03/02/22: Page 2 (XYZ) POLITICS Treaty\n", "-" * 70 + "\n",
               "AP-NY-02-03-22 1254EST<\n", "^By JANE DOE=\n", "jd/pmr\n", "\r\n", "\x00", "\u2029"]


@st.composite
def wire_like(draw):
    width = draw(st.integers(25, 95))
    out = []
    for words in draw(st.lists(st.lists(_WIRE_WORDS, min_size=5, max_size=60), min_size=1, max_size=6)):
        opener = draw(st.sampled_from(["", "\x1e", "\x1f", "\x02", "\x0b", "\x0c", "\t", "    ", "¶", "^"]))
        closer = draw(st.sampled_from(["", "<", "¶", "=", " <", "\x03", "\x1e"]))
        out.append(opener + "\n".join(textwrap.wrap(" ".join(words), width)) + closer + "\n")
        out.append(draw(st.sampled_from(_WIRE_LINES)))
    return "".join(out)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")


_WORD = regex.compile(r"[\p{L}\p{N}]")


def check_control_characters(paragraph) -> None:
    """C0 controls end paragraphs: inside one only within a word (a mis-encoded apostrophe); no sentence
    starts or ends with any control character."""
    text = paragraph.text
    for m in _C0.finditer(text):
        i = m.start()
        # "within a word" as the segmenter reads it (regex's Unicode tables, newer than str.isalnum's)
        assert 0 < i < len(text) - 1 and _WORD.match(text[i - 1]) and _WORD.match(text[i + 1]), repr(text)
    for s in paragraph.sentences:
        assert not _CONTROL.match(text[s.start]) and not _CONTROL.match(text[s.end - 1])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400), wire_like()))
def test_offsets_point_at_their_text(text):
    for p in segment(text):
        assert text[p.start:p.start + len(p.text)] == p.text
        check_control_characters(p)
        last = 0
        for s in p.sentences:
            assert last <= s.start < s.end <= len(p.text)
            assert p.text[s.start:s.end].strip() == p.text[s.start:s.end]
            last = s.end


def test_reporting_that_mentions_boilerplate_words_stays_text():
    text = "\n".join([
        "The company said its weekly newsletter now reaches two million readers across Europe.",
        "Russia said it would share this information with its partners in the coalition.",
        "Regulators fined the site for storing cookies without consent, the agency said on Monday.",
    ])
    kinds = [p.kind for p in segment(text, title="Some other title of this story")]
    assert kinds[:2] == ["text", "text"]


@pytest.mark.parametrize("line, kind", [
    ("© 2022 Example Media", "meta"),
    ("ALL RIGHTS RESERVED. Reproduction prohibited", "meta"),
    ("Your EMAIL ADDRESS will not be published.", "form"),
    ("Required fields are marked *", "form"),
    ("Contact the newsroom: NEWS@EXAMPLE.COM", "contact"),
    ("Tel: +7 495 000 00 00", "contact"),
    ("ſources: AFP, Reuters", "credit"),  # the long s that re.IGNORECASE takes for an s
    ("Editing by Jane Doe", "credit"),
    ("This site uses COOKIES to improve your experience", "meta"),
    ("Subscribe to our daily briefing", "meta"),
    ("Tags: Russia, Syria", "meta"),
    ("Join our Telegram channel for updates", "contact"),
    ("Officials said the talks with the delegation would continue on Monday in Geneva.", "text"),
])
def test_line_kinds_with_their_word_prefilter(line, kind):
    """Patterns that may match anywhere in a line are tried only on lines holding one of their words;
    these lines (in any case) must still be caught."""
    assert _line_kind(line) == kind


# Scripts and forms that need Unicode's classes rather than ASCII's (issue 14, item 3).
_MARKS = list("aAeEıIİiΣσς ΑΩ.ŉßﬁǅ\u0300\u0301\u0307\u0323\u0345\u0399\u1100\u1161\u11a8\uac00\u0915\u093f\u094d\u212b"
                                "Ａｂ２ｶﾞﾟ\uffa1اأإًّـىیکكёЁﻣﺮﷺﭐ")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(_MARKS), max_size=30))
def test_normal_form_is_the_same_for_composed_and_decomposed_text(text):
    norm, pos = normalise(text)
    assert norm == normal_form(text) and len(pos) == len(norm)
    assert normal_form(unicodedata.normalize("NFD", text)) == normal_form(unicodedata.normalize("NFC", text))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_MARKS, "&amp;", "&amp;amp;amp;", "&#8217;", "&eacute;", "&#x41;", "&", "#", ";", "x", "\u00ad",
                                 "\u200b", "\ufeff", "&shy;"]), max_size=20).map("".join))
def test_references_and_invisible_hints_read_alike_with_offsets_or_without(text):
    norm, pos = normalise(text)
    assert norm == normal_form(text) and len(pos) == len(norm) and all(0 <= i < len(text) for i in pos)
    assert pos == sorted(pos) and all(text[i] not in "\u00ad\u200b\ufeff" for i in pos)


def test_full_width_and_half_width_forms_are_one_normal_form():
    """Which width a desk types Latin letters, digits and katakana in is its habit, not its wording:
    the forms fold, figures inside a run of Chinese or Japanese words are numbers, and offsets point
    into the text as given."""
    wide = "ＮＡＴＯ加盟を２０２２年に申請、ｳｸﾗｲﾅ情勢ｶﾞ"
    assert normal_form(wide) == normal_form("NATO加盟を2022年に申請、ウクライナ情勢ガ") == "nato加盟を2022年に申請 ウクライナ情勢ガ"
    norm, pos = normalise(wide)
    assert wide[pos[norm.index("2022")]] == "２" and wide[pos[norm.index("ウ")]] == "ｳ" and wide[pos[-1]] == "ｶ"
    assert stated_numbers(wide) == {"2022"} and stated_numbers("美联储加息75个基点，为1994年以来最大") == {"75", "1994"}
    text = "米連邦準備制度理事会は０．７５ポイントの利上げを発表した。次の文。"
    assert [text[s:e] for s, e in split_sentences(text, "ja")] == [text[:-4], "次の文。"]  # "０．７５" is a figure


def test_ligatures_and_presentation_forms_of_text_from_a_pdf_are_their_letters():
    """A PDF's text keeps the ligatures and Arabic presentation forms it was set in: the same words as a
    web page's, offsets pointing at the forms as given."""
    latin, arabic = "The ﬁnancial ﬂows ﬀected", "ﻣﺮﺣﺒﺎ ﺑﻜﻢ ﭐلكتاب"
    assert normal_form(latin) == "the financial flows ffected"
    assert normal_form(arabic) == normal_form("مرحبا بكم الكتاب") == "مرحبا بكم الكتاب"
    norm, pos = normalise(latin)
    assert len(pos) == len(norm) and latin[pos[norm.index("fin")]] == latin[pos[norm.index("fin") + 1]] == "ﬁ"
    assert latin[pos[norm.index("nancial")]] == "n"


def test_spellings_that_are_a_typing_habit_are_one_normal_form():
    """Arabic vowel marks and tatweel, hamza on alef or not, a dotless final yeh, Persian keyboards'
    yeh and kaf, Russian ё: each desk's habit, not its wording."""
    marked = "أكد الرئيس أيضاً أنّ الاجتماع سيُعقد إلى جانب ـــ الوزير"
    assert normal_form(marked) == normal_form("اكد الرئيس ايضا ان الاجتماع سيعقد الي جانب الوزير")
    assert normal_form("ایران کشور") == normal_form("ايران كشور") and normal_form("Ещё ёлка") == "еще елка"
    norm, pos = normalise(marked)
    assert len(pos) == len(norm) and marked[pos[norm.index("جانب")]] == "ج" and marked[pos[-1]] == "ر"
    assert marked[pos[norm.index("جانب") + 5]] == "ا"  # the rule of tatweel is no word: "جانب الوزير"


def test_vowel_signs_and_decomposed_accents_stay_in_their_words():
    assert normal_form("हिन्दी भाषा") == "हिन्दी भाषा"  # re's \w made this "ह न द भ ष"
    nfd = unicodedata.normalize("NFD", "Bộ Ngoại giao Nga")
    norm, pos = normalise(nfd)
    assert norm == "bộ ngoại giao nga"
    assert nfd[pos[norm.index("ngoại")]] == "N" and nfd[pos[norm.index("giao")]] == "g"


@pytest.mark.parametrize("text, language, expected", [
    ("他说：“我们支持。我们准备好了。”然后走了。", "zh", ["他说：“我们支持。", "我们准备好了。”", "然后走了。"]),
    ("今日は晴れです。明日は雨でしょう。", "ja", ["今日は晴れです。", "明日は雨でしょう。"]),
    ("यह एक वाक्य है। यह दूसरा वाक्य है।", "hi", ["यह एक वाक्य है।", "यह दूसरा वाक्य है।"]),
    ("یہ ایک جملہ ہے۔ یہ دوسرا ہے۔", "ur", ["یہ ایک جملہ ہے۔", "یہ دوسرا ہے۔"]),
    ("Αυτό είναι; Ναι. Εντάξει.", "el", ["Αυτό είναι;", "Ναι.", "Εντάξει."]),
    ("He arrived at 3 p.m. on Monday with Jane Roe, Ph.D., who spoke.", "en",
     ["He arrived at 3 p.m. on Monday with Jane Roe, Ph.D., who spoke."]),
    ('“We support it. We are ready,” Zakharova said. "Yes." Next.', "en",
     ["“We support it.", "We are ready,” Zakharova said.", '"Yes."', "Next."]),
])
def test_sentence_ends_of_each_script(text, language, expected):
    assert texts(split_sentences(text, language), text) == expected


@pytest.mark.parametrize("line", [
    "俄罗斯外交部发言人扎哈罗娃周四表示，俄方支持其他国家在反恐方面所作的努力。",
    "ロシア外務省のザハロワ報道官は木曜日、各国のテロ対策への取り組みを支持すると述べた。",
    "रूसी विदेश मंत्रालय की प्रवक्ता ने गुरुवार को कहा कि रूस अन्य देशों के प्रयासों का समर्थन करता है।",
    "โฆษกกระทรวงการต่างประเทศรัสเซียกล่าวเมื่อวันพฤหัสบดีว่ารัสเซียสนับสนุนความพยายามของประเทศอื่น",
])
def test_reporting_in_scripts_without_spaces_or_with_vowel_signs_is_text(line):
    assert _line_kind(line) == "text"
    assert [s.kind for p in segment(line, title="x") for s in p.sentences] == ["text"]


def test_a_short_chinese_headline_is_not_reporting():
    assert _line_kind("新闻") == "meta"
    assert [s.kind for p in segment("新闻。", title="x") for s in p.sentences] == ["short"]


@pytest.mark.parametrize("text, given, expected", [
    ("Moscow said it supported the efforts of other countries in the fight.", None, "en"),
    ("俄罗斯外交部发言人扎哈罗娃周四表示，俄方支持其他国家在反恐方面所作的努力。", None, "zh"),
    ("Moscow said it supported the efforts of other countries in the fight.", "de-AT", "de"),
    ("...", None, "en"),
])
def test_language_from_the_record_else_guessed(text, given, expected):
    assert language_of(text, given) == expected

"""Articles in other scripts are matched like English ones (issue 14, item 3): identical Chinese,
Japanese, Hindi, Thai and Burmese articles from two outlets link, and a copy in decomposed Unicode
(NFD) is the same text as its composed original. Before, every paragraph of the first five was
typed `meta` (no spaces, sentence ends `。`, vowel signs not counted as letters) and the NFD copy
got a reuse share of 0."""

import json
import sqlite3
import unicodedata

import pytest

from datasette_provenance.extract import extract_page
from datasette_provenance.load import load_paths
from datasette_provenance.signatures import Settings
from datasette_provenance.store import IncompatibleSettings

from renderings_cjk import RENDERINGS

TEXTS = {
    "zh": "俄罗斯外交部发言人扎哈罗娃周四表示，俄方支持其他国家在反恐方面所作的努力，包括美国领导的国际联盟成员。"
          "她说，俄罗斯愿意与所有有关国家合作，以建立应对这一共同威胁的有效联合机制。\n"
          "扎哈罗娃还呼吁，如果美军行动中出现平民伤亡，应当进行彻底调查。",
    "ja": "ロシア外務省のザハロワ報道官は木曜日、米国主導の有志連合を含む各国のテロ対策への取り組みを支持すると述べた。"
          "同報道官は、この共通の脅威に効果的に共同で対処するため、関心を持つすべての国と協力する用意があると強調した。\n"
          "また、米軍の作戦で民間人の犠牲が確認された場合には、徹底的な調査を求めた。",
    "hi": "रूसी विदेश मंत्रालय की प्रवक्ता मारिया ज़खारोवा ने गुरुवार को कहा कि रूस आतंकवाद के खिलाफ अन्य देशों के प्रयासों का"
          " समर्थन करता है। उन्होंने कहा कि रूस इस साझा खतरे से निपटने के लिए सभी इच्छुक देशों के साथ सहयोग करने को तैयार"
          " है।\nज़खारोवा ने यह भी कहा कि यदि अमेरिकी कार्रवाई में नागरिकों की मौत की पुष्टि होती है तो इसकी पूरी जांच होनी चाहिए।",
    "th": "โฆษกกระทรวงการต่างประเทศรัสเซียกล่าวเมื่อวันพฤหัสบดีว่ารัสเซียสนับสนุนความพยายามของประเทศอื่นในการต่อต้านการก่อการร้าย"
          " รัสเซียพร้อมที่จะร่วมมือกับทุกประเทศที่สนใจเพื่อสร้างการตอบสนองร่วมกันที่มีประสิทธิภาพต่อภัยคุกคามนี้",
    "my": "ရုရှားနိုင်ငံခြားရေးဝန်ကြီးဌာန ပြောခွင့်ရသူ မာရီယာ ဇာခါရိုဗာက ရုရှားသည် အခြားနိုင်ငံများ၏ အကြမ်းဖက်မှု"
          " တိုက်ဖျက်ရေး ကြိုးပမ်းမှုများကို ထောက်ခံကြောင်း ကြာသပတေးနေ့က ပြောကြားခဲ့သည်။ ရုရှားသည် စိတ်ဝင်စားသော"
          " နိုင်ငံအားလုံးနှင့် ပူးပေါင်းဆောင်ရွက်ရန် အသင့်ရှိကြောင်းလည်း ပြောသည်။",
    "vi": "Người phát ngôn Bộ Ngoại giao Nga Maria Zakharova hôm thứ Năm cho biết Nga ủng hộ nỗ lực chống khủng bố của"
          " các nước khác, kể cả các thành viên liên minh quốc tế do Mỹ dẫn đầu. Bà nói Nga sẵn sàng hợp tác với tất cả"
          " các nước quan tâm nhằm xây dựng một cơ chế phản ứng chung hiệu quả trước mối đe dọa này.",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scripts")
    rows = []
    for lang, text in TEXTS.items():
        copy = unicodedata.normalize("NFD", text) if lang == "vi" else text
        rows.append({"id": f"{lang}-a", "outlet": "Alpha", "published": "2022-02-03", "title": "t", "text": text})
        rows.append({"id": f"{lang}-b", "outlet": "Beta", "published": "2022-02-04", "title": "t", "text": copy})
    (folder / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    db = folder / "c.db"
    summary = load_paths(str(db), [folder / "a.jsonl"])
    conn = sqlite3.connect(db)
    yield conn, summary
    conn.close()


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_identical_articles_in_every_script_are_linked_and_copied(corpus, lang):
    conn, _ = corpus
    kinds, share = conn.execute(
        "select group_concat(distinct p.kind), a.reuse_share from articles a join paragraphs p on p.article_id = a.id"
        " where a.external_id = ? group by a.id", (f"{lang}-b",)).fetchone()
    assert kinds == "text"
    assert share > 0.99  # the copy is wholly found in its original (the NFD one too)
    relation, source = conn.execute(
        "select d.relation, s.external_id from derivations d join articles s on s.id = d.source_article_id"
        " join articles a on a.id = d.derived_article_id where a.external_id = ?", (f"{lang}-b",)).fetchone()
    assert (relation, source) == ("copied", f"{lang}-a")


def test_the_decomposed_copy_matches_sentence_for_sentence(corpus):
    conn, _ = corpus
    per_article = conn.execute(
        "select a.external_id, count(*) from cluster_members m join articles a on a.id = m.article_id"
        " where a.external_id like 'vi-%' group by a.id order by 1").fetchall()
    assert per_article == [("vi-a", 2), ("vi-b", 2)]


def test_a_database_of_the_older_normalisation_is_refused(tmp_path):
    """Older databases hold signatures of another normal form and other sentences: mixing is refused."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.execute("create table settings(key text primary key, value text)")
    rows = dict(Settings().as_rows())
    rows["normalisation"] = "words-lower-v1"
    del rows["splitter"]  # databases built before the splitter was recorded
    conn.executemany("insert into settings values (?, ?)", rows.items())
    conn.commit()
    conn.close()
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "1", "text": TEXTS["vi"]}, ensure_ascii=False))
    with pytest.raises(IncompatibleSettings, match=r"normalisation=words-lower-v1.*splitter=regex-v1"):
        load_paths(str(db), [tmp_path / "a.jsonl"])


def test_settings_record_the_normal_form_and_the_splitter(corpus):
    conn, _ = corpus
    stored = dict(conn.execute("select key, value from settings"))
    assert stored["normalisation"] == Settings.normalisation
    assert stored["splitter"].startswith("sentencex-")


def test_the_summary_counts_languages_and_says_which_articles_cannot_be_matched(corpus, tmp_path):
    conn, summary = corpus
    assert summary.languages == {lang: 2 for lang in TEXTS}
    assert dict(conn.execute("select external_id, language from articles where external_id like '%-a'")) == {
        f"{lang}-a": lang for lang in TEXTS}
    rows = [{"id": "short", "text": "新闻。\n天气。\n体育。"},  # nothing long enough to prove reuse
            {"id": "tagged", "text": TEXTS["vi"], "language": "vi-VN"}]
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    more = load_paths(str(tmp_path / "b.db"), [tmp_path / "b.jsonl"])
    assert more.unmatched == {"zh": 1} and more.languages == {"zh": 1, "vi": 1}
    assert "1 of the 1 articles in zh have no sentence that can be matched" in str(more)
    assert "languages: vi 1, zh 1" in str(more)


@pytest.mark.parametrize("lang", sorted(RENDERINGS))
def test_two_translations_into_chinese_japanese_or_korean_align_sentence_by_sentence(tmp_path, lang):
    """Two desks' own translations share words, not runs of five characters: a Chinese or Japanese
    word is about two characters, a Korean one two or three syllables. Shingles of five letters'
    worth pair every sentence with its own rendering, and a sentence of the same story that says
    something else links nothing. With character 5-grams no sentence linked."""
    glue = " " if lang == "ko" else ""
    rows = [{"id": name, "outlet": f"Desk {name}", "published": "2022-02-03", "language": lang, "text": glue.join(text)}
            for name, text in zip("abn", RENDERINGS[lang])]
    (tmp_path / "r.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    load_paths(str(tmp_path / "r.db"), [tmp_path / "r.jsonl"])
    conn = sqlite3.connect(tmp_path / "r.db")
    place = {}  # sentence id -> (article, the item of the list it is in)
    for sid, aid, text in conn.execute('select s.id, a.external_id, substr(p.text, s.start + 1, s."end" - s.start)'
                                       " from sentences s join paragraphs p on p.id = s.paragraph_id"
                                       " join articles a on a.id = s.article_id"):
        items = RENDERINGS[lang]["abn".index(aid)]
        place[sid] = (aid, next(n for n, item in enumerate(items) if text in item))
    linked = {tuple(sorted((place[x], place[y]))) for x, y in conn.execute("select sentence_a, sentence_b from links")}
    assert linked == {(("a", n), ("b", n)) for n in range(10)}
    assert conn.execute("select reuse_share from articles where external_id = 'n'").fetchone() == (0.0,)
    assert conn.execute("select extent from derivations").fetchall() == [("wholly",)]


_JA = "米連邦準備制度理事会(FRB)は0.75ポイントの利上げを発表し、2022年のインフレ見通しを引き上げた。"
_AR = "أكّد وزير الخارجية أنّ بلاده مستعدة أيضاً للتعاون مع جميع الدول المعنية، وأشار إلى أنّ الاجتماع سيُعقد في القاهرة."
_FA = "وزیر امور خارجه ایران گفت که کشورش آماده همکاری با همه کشورهای منطقه برای مقابله با این تهدید مشترک است."
_RU = "Её представитель подчеркнул, что ещё одна встреча министров пройдёт в Москве в ближайшие недели."


@pytest.mark.parametrize("ours, theirs", [
    (_JA, _JA.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}).replace("ポイント", "ﾎﾟｲﾝﾄ")),  # other widths
    (_AR, "اكد وزير الخارجية ان بلاده مستعدة ايضا للتعاون مع جميع الدول المعنية، واشار الى ان الاجتماع سيعقد في القاهرة."),
    (_FA, _FA.replace("ی", "ي").replace("ک", "ك")),  # typed on an Arabic keyboard
    (_RU, _RU.replace("ё", "е")),
])
def test_a_copy_retyped_in_another_desks_habits_is_the_same_text(tmp_path, ours, theirs):
    """Widths, Arabic vowel marks and hamzas, a keyboard's letters, Russian ё: a desk's habits, so
    its copy is word for word the original. Before, the Persian copy shared Jaccard 0.30 with it
    (a rewrite typed on the other keyboard could not link), the Arabic one 0.48."""
    rows = [{"id": "ours", "outlet": "Alpha", "published": "2022-02-03", "text": ours},
            {"id": "theirs", "outlet": "Beta", "published": "2022-02-04", "text": theirs}]
    (tmp_path / "w.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    load_paths(str(tmp_path / "w.db"), [tmp_path / "w.jsonl"])
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("select jaccard, containment from links").fetchall() == [(1.0, 1.0)]
    assert conn.execute("select reuse_share from articles where external_id = 'theirs'").fetchone() == (1.0,)
    assert conn.execute("select relation from derivations").fetchall() == [("copied",)]


@pytest.mark.parametrize("lang", sorted(RENDERINGS))
def test_one_sentence_translations_into_chinese_japanese_or_korean_link_on_their_words(tmp_path, lang):
    """Alone, a sentence has no neighbour to align. The word rule (``lone_words``) counts each
    Chinese or Japanese character and Korean syllable as a stem: words run together or carry
    particles there. It links renderings the shingles alone miss, and no sentence of the same story
    that says something else, nor another item's rendering."""
    rows = [{"id": f"{name}{n}", "outlet": f"Desk {name}", "published": "2022-02-03", "language": lang, "text": text}
            for name, texts in zip("abn", RENDERINGS[lang]) for n, text in enumerate(texts)]
    (tmp_path / "r.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    found = {}
    for words in (0.0, Settings.lone_words):
        db = tmp_path / f"r{words}.db"
        load_paths(str(db), [tmp_path / "r.jsonl"], settings=Settings(lone_words=words))
        found[words] = set(sqlite3.connect(db).execute(
            "select min(x.external_id, y.external_id), max(x.external_id, y.external_id) from links l"
            " join sentences s on s.id = l.sentence_a join articles x on x.id = s.article_id"
            " join sentences t on t.id = l.sentence_b join articles y on y.id = t.article_id"))
    assert found[0.0] < found[Settings.lone_words] <= {(f"a{n}", f"b{n}") for n in range(10)}
    assert len(found[Settings.lone_words]) >= len(found[0.0]) + 3  # 4 -> 7, 5 -> 9, 3 -> 6 of 10


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_a_page_of_prose_in_any_script_is_an_article_and_its_menu_is_not(lang):
    """A page's text must hold a line that reads as a sentence: words are counted in scripts
    written without spaces too, so a Chinese or Thai story is an article and a menu of its
    headlines' first words is not."""
    story = TEXTS[lang].split("\n")[0]
    links = "".join(f"<li><a href='/{n}'>{' '.join(story.split()[:1])[:6]}</a></li>" for n in range(12))
    page = f"<html><body><nav><ul>{links}</ul></nav><article><h1>t</h1><p>{story}</p></article></body></html>"
    menu = f"<html><body><nav><ul>{links}</ul></nav></body></html>"
    assert story in extract_page(page).text
    assert extract_page(menu) is None


@pytest.mark.parametrize("lang, item, kept", [("ja", 3, True), ("zh", 1, False)])
def test_a_lone_loose_rendering_counts_its_shared_text_in_letters(tmp_path, lang, item, kept):
    """Two stories of three sentences that share one loose rendering (Jaccard under ``lone_jaccard``)
    are reuse when it shares a long stretch, ``lone_shared`` letters' worth, as a recycled background
    sentence does; a Japanese character's shingle counts three. The Japanese item shares 28 shingles
    (about 83 letters: kept, as an English sentence sharing 83 is; counted as shingles it was dropped),
    the Chinese one 17 (about 50: two stories saying a similar thing)."""
    ours, theirs, _ = RENDERINGS[lang]
    others = [n for n in range(10) if n != item]
    rows = [{"id": "a", "outlet": "Desk A", "published": "2022-02-03", "language": lang,
             "text": "".join([ours[item], ours[others[0]], ours[others[1]]])},
            {"id": "b", "outlet": "Desk B", "published": "2022-02-04", "language": lang,
             "text": "".join([theirs[others[5]], theirs[item], theirs[others[6]]])}]
    (tmp_path / "l.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    load_paths(str(tmp_path / "l.db"), [tmp_path / "l.jsonl"])
    conn = sqlite3.connect(tmp_path / "l.db")
    linked = conn.execute('select substr(p.text, s.start + 1, s."end" - s.start) from links l'
                          " join sentences s on s.id in (l.sentence_a, l.sentence_b)"
                          " join paragraphs p on p.id = s.paragraph_id order by s.article_id").fetchall()
    assert linked == ([(ours[item],), (theirs[item],)] if kept else [])

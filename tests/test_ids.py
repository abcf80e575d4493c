"""Article ids: unique across loads, and the same article reached by another path is not loaded again.

Records without an id of their own get one made from the path they were reached by (file name,
line): ``day1/articles.jsonl`` and ``day2/articles.jsonl`` both make ``articles.jsonl:1``, and
``c/2022/a.txt`` is ``2022/a.txt`` when ``c/`` is given but ``a.txt`` when ``c/2022/`` is. Such a
record is already loaded when an article with the same text, outlet, URL, title and date is.
"""

import json
import re
import shutil
import sqlite3

from click.testing import CliRunner
from datasette.cli import cli

from datasette_provenance.load import load_paths

from conftest import SEEDS
from test_crash_safety import check_consistency, snapshot

STORY = [
    "The regional council approved a plan to rebuild the flooded harbour district within three years.",
    "Police closed the main bridge after inspectors found deep cracks in two of its supporting piers.",
    "The national railway announced that the coastal line would reopen for freight traffic in May.",
]


def jsonl(path, *records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


def articles(db_path):
    db = sqlite3.connect(db_path)
    rows = db.execute("select external_id, outlet, text from articles order by id").fetchall()
    db.close()
    return rows


def test_files_of_the_same_name_in_other_folders_are_all_loaded(tmp_path):
    """The daily-export case: every day's articles.jsonl makes the same ids, none is a duplicate."""
    for day, text in enumerate(STORY, 1):
        jsonl(tmp_path / f"day{day}" / "articles.jsonl", {"outlet": f"Outlet {day}", "text": text})
    db = str(tmp_path / "c.db")
    for day in (1, 2, 3):
        summary = load_paths(db, [str(tmp_path / f"day{day}" / "articles.jsonl")])
        assert (summary.articles_added, summary.errors) == (1, []), summary
    rows = articles(db)
    assert [text for _, _, text in rows] == STORY
    assert rows[0][0] == "articles.jsonl:1"
    assert all(re.fullmatch(r"articles\.jsonl:1~[0-9a-f]{12}", ext) for ext, _, _ in rows[1:]), rows
    assert len({ext for ext, _, _ in rows}) == 3
    check_consistency(db)


def test_a_taken_id_is_renamed_the_same_whatever_was_loaded_first(tmp_path):
    for day, text in enumerate(STORY, 1):
        jsonl(tmp_path / f"day{day}" / "articles.jsonl", {"outlet": "X", "text": text})
    ids = {}
    for order in ((1, 2, 3), (1, 3, 2)):
        db = str(tmp_path / f"{order}.db")
        for day in order:
            load_paths(db, [str(tmp_path / f"day{day}")])
        ids[order] = {text: ext for ext, _, text in articles(db)}
    assert ids[(1, 2, 3)] == ids[(1, 3, 2)]


def test_the_command_line_loads_the_second_day(tmp_path):
    jsonl(tmp_path / "day1" / "articles.jsonl", {"outlet": "A", "text": STORY[0]})
    jsonl(tmp_path / "day2" / "articles.jsonl", {"outlet": "B", "text": STORY[1]})
    db = str(tmp_path / "cli.db")
    for day in ("day1", "day2"):
        result = CliRunner().invoke(cli, ["provenance", "load", db, str(tmp_path / day / "articles.jsonl"),
                                          "--quiet", "--jobs", "1"])
        assert result.exit_code == 0, result.output
        assert "1 articles added" in result.output and "0 input records skipped" in result.output, result.output
    assert [text for _, _, text in articles(db)] == STORY[:2]


def test_a_folder_loaded_again_through_a_subfolder_adds_nothing(tmp_path):
    """``c/`` then ``c/2022/``: the same files under shorter ids, already loaded (they were loaded
    again as new articles, each a same-outlet copy of itself)."""
    corpus = tmp_path / "c"
    shutil.copytree(SEEDS, corpus / "2022")
    shutil.copy(corpus / "2022" / "004_c3f9bbc9b9d1c23b.txt", corpus)
    (corpus / "2022" / "004_c3f9bbc9b9d1c23b.txt").unlink()
    jsonl(corpus / "2022" / "wire.jsonl", {"outlet": "Wire", "text": "\n\n".join(STORY)})
    db = str(tmp_path / "c.db")
    assert load_paths(db, [str(corpus)]).articles_added == 6
    before = snapshot(db)
    result = CliRunner().invoke(cli, ["provenance", "load", db, str(corpus / "2022"), "--quiet", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "0 articles added, 5 already loaded" in result.output, result.output
    assert snapshot(db) == before
    db_rows = sqlite3.connect(db).execute("select count(*) from derivations where relation = 'same-outlet'"
                                          " and extent = 'wholly'").fetchone()
    assert db_rows == (0,)


def test_the_same_folder_loaded_twice_changes_nothing(tmp_path):
    jsonl(tmp_path / "in" / "a.jsonl", *({"outlet": "A", "text": t} for t in STORY))
    shutil.copytree(SEEDS, tmp_path / "in" / "seeds")
    db = str(tmp_path / "twice.db")
    load_paths(db, [str(tmp_path / "in")])
    before = snapshot(db)
    summary = load_paths(db, [str(tmp_path / "in")])
    assert (summary.articles_added, summary.articles_unchanged, summary.errors) == (0, 8, [])
    assert snapshot(db) == before


def test_a_copy_in_the_same_load_is_loaded_once(tmp_path):
    jsonl(tmp_path / "a" / "x.jsonl", {"outlet": "A", "text": STORY[0]})
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    summary = load_paths(str(tmp_path / "once.db"), [str(tmp_path / "a"), str(tmp_path / "b")])
    assert (summary.articles_added, summary.articles_unchanged, summary.errors) == (1, 1, [])


def test_the_same_text_from_another_outlet_is_reuse_not_a_duplicate(tmp_path):
    """Same file name, same line, same text, other outlet: two articles, the one copied from the other."""
    text = "\n\n".join(STORY)
    jsonl(tmp_path / "day1" / "articles.jsonl", {"outlet": "Alpha", "published": "2022-03-01", "text": text})
    jsonl(tmp_path / "day2" / "articles.jsonl", {"outlet": "Beta", "published": "2022-03-02", "text": text})
    db = str(tmp_path / "reuse.db")
    for day in ("day1", "day2"):
        assert load_paths(db, [str(tmp_path / day)]).articles_added == 1
    conn = sqlite3.connect(db)
    ids = dict(conn.execute("select outlet, id from articles"))
    assert conn.execute("select derived_article_id, source_article_id, relation, extent from derivations").fetchall() \
        == [(ids["Beta"], ids["Alpha"], "copied", "wholly")]


def test_ids_a_record_gives_keep_their_rule(tmp_path):
    """A given id is the identity: found again under another path it is already loaded; with other text,
    or with its text from another outlet (exports number each outlet's articles from 1), it is refused
    (first kept); the same text under two given ids is two articles."""
    jsonl(tmp_path / "one" / "a.jsonl", {"id": "x", "outlet": "A", "text": STORY[0]},
          {"id": "y", "outlet": "A", "text": STORY[0]})
    jsonl(tmp_path / "two" / "b.jsonl", {"id": "x", "outlet": "B", "text": STORY[0]},
          {"id": "y", "outlet": "A", "text": STORY[1]}, {"id": "x", "outlet": "A", "text": STORY[0]})
    db = str(tmp_path / "given.db")
    assert load_paths(db, [str(tmp_path / "one")]).articles_added == 2
    summary = load_paths(db, [str(tmp_path / "two")])
    assert (summary.articles_added, summary.articles_unchanged) == (0, 1)
    assert [str(e) for e in summary.errors] == [
        f"{tmp_path / 'two' / 'b.jsonl'}:1: duplicate id 'x' with different outlet (B, not A): the version loaded"
        " first is kept",
        f"{tmp_path / 'two' / 'b.jsonl'}:2: duplicate id 'y' with different text: the version loaded first is kept"]
    assert articles(db) == [("x", "A", STORY[0]), ("y", "A", STORY[0])]

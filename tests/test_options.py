"""What a load refuses, and that it refuses it before writing anything.

A database keeps the settings it was made with, so a bad value stored once broke every later
load; and a file that is not a corpus got our tables written into it before the load failed.
Each refusal here must leave no file, or the file byte for byte as it was.
"""

import hashlib
import json
import math
import shutil
import sqlite3
from contextlib import closing

import pytest
from click.testing import CliRunner
from datasette.cli import cli

from datasette_provenance import store
from datasette_provenance.load import load_paths
from datasette_provenance.signatures import Settings
from datasette_provenance.store import IncompatibleSettings, NotACorpus

from conftest import SEEDS
from test_crash_safety import check_consistency


def files(folder):
    return sorted(p.name for p in folder.iterdir())


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus(tmp_path, seed_db, *sql):
    """A copy of the seed corpus, changed by these statements."""
    db = tmp_path / "corpus.db"
    shutil.copy(seed_db, db)
    with closing(sqlite3.connect(db)) as conn, conn:
        for statement in sql:
            conn.execute(statement)
    return db


def load(db, *options):
    return CliRunner().invoke(cli, ["provenance", "load", str(db), str(SEEDS), "--quiet", "--jobs", "1", *options])


BAD_OPTIONS = [  # (options, what the message must say)
    (["--batch-size", "0"], "--batch-size"),
    (["--batch-size", "-5"], "--batch-size"),
    (["--rows", "0"], "--rows"),
    (["--bands", "0"], "--bands"),
    (["--bands", "100"], "bands × rows must be at most num_perm (100 × 3 = 300 > 128)"),
    (["--num-perm", "64"], "bands × rows must be at most num_perm (42 × 3 = 126 > 64)"),
    (["--bands", "64", "--rows", "3"], "bands × rows must be at most num_perm (64 × 3 = 192 > 128)"),
    (["--num-perm", "0"], "--num-perm"),
    (["--jaccard", "0"], "--jaccard"),
    (["--jaccard", "1.5"], "--jaccard"),
    (["--jaccard", "nan"], "jaccard must be above 0 and at most 1, not nan"),  # FloatRange lets nan through
    (["--window", "-1"], "--window"),
    (["--jobs", "0"], "--jobs"),
    (["--published", "not a date"], "not a date"),
    (["--field", "body"], "write it as OURS=KEY"),
    (["--field", "txt=body"], "'txt' is none of our fields (id, outlet, url, published, title, text)"),
    (["--field", "text= "], "which key of the records holds the text?"),
]


@pytest.mark.parametrize("options, message", BAD_OPTIONS, ids=[" ".join(o) for o, _ in BAD_OPTIONS])
def test_a_bad_option_is_refused_before_the_database_is_made(tmp_path, options, message):
    result = load(tmp_path / "new.db", *options)
    assert result.exit_code not in (0, None) and "Traceback" not in result.output, result.output
    assert message in result.output, result.output
    assert files(tmp_path) == [], "a refused load left a file"


@pytest.mark.parametrize("options, message", BAD_OPTIONS, ids=[" ".join(o) for o, _ in BAD_OPTIONS])
def test_a_bad_option_leaves_a_corpus_as_it_was(tmp_path, seed_db, options, message):
    db = corpus(tmp_path, seed_db)
    before = digest(db)
    result = load(db, *options)
    assert result.exit_code not in (0, None) and message in result.output, result.output
    assert digest(db) == before
    again = load(db)  # and the corpus still takes loads
    assert again.exit_code == 0 and "5 already loaded" in again.output, again.output


@pytest.mark.parametrize("options, message", [
    (dict(batch_size=0), "batch_size must be an integer of at least 1, not 0"),
    (dict(batch_size=-5), "batch_size must be an integer of at least 1, not -5"),
    (dict(batch_size=2.5), "batch_size must be an integer of at least 1, not 2.5"),
    (dict(jobs=0), "jobs must be an integer of at least 1, not 0"),
    (dict(settings={"bands": 0}), "bands must be at least 1, not 0"),
    (dict(settings={"rows": 0}), "rows must be at least 1, not 0"),
    (dict(settings={"bands": 100}), "bands × rows must be at most num_perm"),
    (dict(settings=Settings(bands=100)), "bands × rows must be at most num_perm"),
    (dict(settings={"num_perm": 0}), "num_perm must be at least 1, not 0"),
    (dict(settings={"jaccard": 0.0}), "jaccard must be above 0 and at most 1, not 0.0"),
    (dict(settings={"jaccard": math.nan}), "jaccard must be above 0 and at most 1, not nan"),
    (dict(settings={"containment": 1.5}), "containment must be above 0 and at most 1, not 1.5"),
    (dict(settings={"window": -1}), "window must be at least 0, not -1"),
    (dict(settings={"window": 7.5}), "window must be an integer, not 7.5"),
    (dict(settings={"bands": "42"}), "bands must be an integer, not '42'"),
    (dict(settings={"bands": True}), "bands must be an integer, not True"),
    (dict(settings={"band": 42}), "unknown setting 'band'"),
], ids=lambda v: json.dumps(v, default=repr) if isinstance(v, dict) else None)
def test_load_paths_refuses_bad_values_before_writing(tmp_path, options, message):
    with pytest.raises(ValueError) as refused:
        load_paths(str(tmp_path / "new.db"), [str(SEEDS)], **options)
    assert message in str(refused.value)
    assert files(tmp_path) == []


def test_settings_stored_bad_by_an_older_version_are_replaced_if_no_article_was_loaded(tmp_path):
    """Older versions stored --bands 100 and then failed: the database held nothing but those settings."""
    db = tmp_path / "broken.db"
    conn = store.connect(str(db))
    conn.executescript(store.SCHEMA)
    conn.executemany("insert into settings values (?, ?)", Settings(bands=100).as_rows())
    conn.close()
    summary = load_paths(str(db), [str(SEEDS)])
    assert summary.articles_added == 5 and summary.links_added > 0
    assert dict(sqlite3.connect(db).execute("select key, value from settings"))["bands"] == "42"
    check_consistency(db)


def test_settings_stored_bad_with_articles_are_refused(tmp_path, seed_db):
    """--bands 0 loaded articles and compared none: such a database is refused, unchanged, with the reason."""
    db = corpus(tmp_path, seed_db, "update settings set value = '0' where key = 'bands'")
    before = digest(db)
    result = load(db)
    assert result.exit_code == 1 and "the database's settings are invalid: bands must be at least 1" in result.output
    assert digest(db) == before


def test_a_chosen_value_the_database_contradicts_is_refused_before_writing(tmp_path, seed_db):
    db = corpus(tmp_path, seed_db)
    before = digest(db)
    with pytest.raises(IncompatibleSettings, match="window=0 not 7"):
        load_paths(str(db), [str(SEEDS)], settings={"window": 7})
    assert digest(db) == before


# ------------------------------------------------------------------------- files that are not a corpus


def foreign_database(path):
    conn = sqlite3.connect(path)
    conn.executescript("create table people (name text, email text); insert into people values ('Ann', 'a@example.org');"
                       " create table articles (id integer primary key, body text); insert into articles values (1, 'x');")
    conn.close()


@pytest.mark.parametrize("make, message", [
    (foreign_database, "is an SQLite database but not a corpus (it holds people)"),
    (lambda p: p.write_text("id,name\n1,Ann\n"), "is not an SQLite database"),
    (lambda p: sqlite3.connect(p).executescript("create table articles (id integer primary key, text text);"
                                                " insert into articles values (1, 'mine');"),
     "is an SQLite database but not a corpus (it holds articles)"),
], ids=["foreign tables", "not SQLite", "a table of our name, filled"])
def test_a_file_that_is_not_a_corpus_is_refused_untouched(tmp_path, make, message):
    db = tmp_path / "theirs.db"
    make(db)
    before = digest(db)
    result = load(db)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output, result.output
    assert digest(db) == before
    assert files(tmp_path) == ["theirs.db"]
    with pytest.raises(NotACorpus):
        load_paths(str(db), [str(SEEDS)])
    assert digest(db) == before


@pytest.mark.parametrize("make", [
    lambda p: p.write_bytes(b""),
    lambda p: sqlite3.connect(p).executescript(store.SCHEMA),  # a first load killed after making its tables
], ids=["empty file", "our tables, empty, no settings"])
def test_an_empty_file_or_an_unfinished_corpus_is_loaded_into(tmp_path, make):
    db = tmp_path / "c.db"
    make(db)
    assert load_paths(str(db), [str(SEEDS)]).articles_added == 5
    check_consistency(db)


def test_a_corpus_with_a_table_of_its_users_is_still_a_corpus(tmp_path, seed_db):
    db = corpus(tmp_path, seed_db, "create table my_notes (article_id integer, note text)",
                "insert into my_notes values (1, 'check this')")
    assert load_paths(str(db), [str(SEEDS)]).articles_unchanged == 5

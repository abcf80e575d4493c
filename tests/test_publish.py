"""What `datasette publish` relies on: an installable wheel with its assets, inspect data, -i, metadata.json."""

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from datasette.app import Datasette

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True)
    (path,) = out.glob("datasette_provenance-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_code_templates_assets_and_data(wheel):
    names = set(wheel.namelist())
    package = ROOT / "datasette_provenance"
    for f in package.rglob("*"):
        if f.is_file() and f.suffix in (".py", ".html", ".css", ".js", ".json") and "__pycache__" not in f.parts:
            assert str(f.relative_to(ROOT)) in names, f"{f.relative_to(ROOT)} missing from the wheel"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "provenance = datasette_provenance" in wheel.read(entry).decode()


def test_metadata_is_what_datasette_reads(tmp_path, seed_db):
    """metadata.json parses, names tables that exist, and its canned queries run on the demo corpus."""
    metadata = json.loads((ROOT / "metadata.json").read_text())
    db = metadata["databases"]["corpus"]
    import sqlite3

    conn = sqlite3.connect(seed_db)
    tables = {t for (t,) in conn.execute("select name from sqlite_master where type = 'table'")}
    assert set(db["tables"]) <= tables
    for name, query in db["queries"].items():
        params = {"cluster": 1} if ":cluster" in query["sql"] else {}
        rows = conn.execute(query["sql"], params).fetchall()
        assert rows, f"canned query {name} returns nothing on the demo corpus"


@pytest.mark.asyncio
async def test_inspect_and_immutable_serving_leave_the_file_untouched(tmp_path, seed_db):
    copy = tmp_path / "corpus.db"
    shutil.copy(seed_db, copy)
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    inspect = tmp_path / "inspect.json"
    subprocess.run([sys.executable, "-m", "datasette", "inspect", str(copy), "--inspect-file", str(inspect)],
                   check=True)
    data = json.loads(inspect.read_text())
    assert data["corpus"]["tables"]["articles"]["count"] == 5
    ds = Datasette([], immutables=[str(copy)], inspect_data=data,
                   metadata=json.loads((ROOT / "metadata.json").read_text()))
    page = await ds.client.get("/corpus/-/provenance.json")
    assert page.status_code == 200 and page.json()["figures"]["articles"] == 5
    canned = await ds.client.get("/corpus/most_shared_statements.json?_shape=array")
    assert canned.status_code == 200 and canned.json()[0]["speaker"] == "Maria Zakharova"
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest
    assert not (tmp_path / "corpus.db-wal").exists()

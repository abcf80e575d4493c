from pathlib import Path

import pytest

from datasette_provenance.load import load_paths

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory) -> Path:
    """The demo corpus, built once per test session from seeds/."""
    path = tmp_path_factory.mktemp("seed") / "corpus.db"
    load_paths(str(path), [str(SEEDS)])
    return path

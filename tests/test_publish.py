"""Publishing, as the README's "## Publishing" section does it.

The wheel and sdist carry the templates, assets and alias files; the README's `datasette publish cloudrun` and
`datasette package` commands, run with stand-ins for `gcloud` and `docker`, build a context that holds the wheel the
Dockerfile installs; the Dockerfile's own steps, run here, serve the pages from that wheel with `-i` and inspect data;
the release workflows test both Datasette lines before anything reaches PyPI.
"""

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import datasette
import pytest
from datasette.app import Datasette

from conftest import free_port, serving

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "datasette_provenance"
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent


def package_files() -> set[str]:
    """What the plugin needs at run time: its code, templates, static assets and alias files."""
    return {str(f.relative_to(ROOT)) for f in PACKAGE.rglob("*")
            if f.is_file() and f.suffix in (".py", ".html", ".css", ".js", ".json") and "__pycache__" not in f.parts}


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory) -> Path:
    """The README's `python -m pip wheel --no-deps -w dist .`"""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)], check=True)
    (path,) = out.glob("datasette_provenance-*.whl")
    return path


@pytest.fixture(scope="module")
def wheel(wheel_path) -> zipfile.ZipFile:
    return zipfile.ZipFile(wheel_path)


def test_wheel_ships_code_templates_assets_and_data(wheel):
    names = set(wheel.namelist())
    assert {"datasette_provenance/templates/provenance_overview.html", "datasette_provenance/static/provenance.css",
            "datasette_provenance/data/outlets.json"} <= names
    missing = package_files() - names
    assert not missing, f"missing from the wheel: {sorted(missing)}"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "provenance = datasette_provenance" in wheel.read(entry).decode()


def test_sdist_and_the_wheel_built_from_it_ship_them_too(tmp_path):
    """The release workflow's `python -m build`: the sdist, then the wheel from it; both must hold the assets."""
    def importable(module: str) -> bool:
        # from tmp_path: in the clone, `import build` would find the build/ directory setuptools leaves there
        found = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=tmp_path, capture_output=True)
        return found.returncode == 0

    if importable("build"):  # what the release workflow runs
        subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), str(ROOT)],
                       cwd=tmp_path, check=True)
    elif importable("setuptools.build_meta"):  # the same backend, called directly
        subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                        "build_meta.build_sdist(sys.argv[1])", str(tmp_path)], cwd=ROOT, check=True)
    else:
        pytest.skip("neither build nor setuptools is installed here: no sdist can be built (pip install build)")
    (sdist_path,) = tmp_path.glob("datasette[-_]provenance-*.tar.gz")  # older setuptools keep the hyphen
    out = sdist_path.name
    with tarfile.open(tmp_path / out) as sdist:
        top = out.removesuffix(".tar.gz")
        names = {n.removeprefix(top + "/") for n in sdist.getnames()}
    assert "pyproject.toml" in names and "README.md" in names
    missing = package_files() - names
    assert not missing, f"missing from the sdist: {sorted(missing)}"
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(tmp_path / out)],
                   check=True)
    (built,) = wheels.glob("datasette_provenance-*.whl")
    missing = package_files() - set(zipfile.ZipFile(built).namelist())
    assert not missing, f"missing from the wheel built from the sdist: {sorted(missing)}"


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
    metadata = json.loads((ROOT / "metadata.json").read_text())
    config = {}
    if not datasette.__version__.startswith("0."):
        # 1.0a moves only plugins, allow and table settings out of metadata: canned queries belong in its
        # datasette.yaml. A published image is unaffected: its Dockerfile installs the stable Datasette.
        queries = metadata["databases"]["corpus"].pop("queries")
        config = {"config": {"databases": {"corpus": {"queries": queries}}}}
    ds = Datasette([], immutables=[str(copy)], inspect_data=data, metadata=metadata, **config)
    page = await ds.client.get("/corpus/-/provenance.json")
    assert page.status_code == 200 and page.json()["figures"]["articles"] == 5
    canned = await ds.client.get("/corpus/most_shared_statements.json?_shape=array")
    assert canned.status_code == 200 and canned.json()[0]["speaker"] == "Maria Zakharova"
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest
    assert not (tmp_path / "corpus.db-wal").exists()


# --- the README's commands, run with stand-ins for gcloud and docker ------------------------------------------------

STAND_IN = """#!/bin/sh
# Answers what `datasette publish cloudrun` / `datasette package` ask; keeps the Docker build context they submit.
echo "$(basename "$0") $*" >> "$STAND_IN_LOG"
case "$*" in
  "config get-value project") echo demo-project ;;
  "run services list"*) echo "[]" ;;
  "builds submit"*|"build "*) cp -r . "$STAND_IN_CONTEXT" ;;
esac
exit 0
"""


def readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Publishing\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]


def readme_commands(prefix: str) -> list[str]:
    (block,) = re.findall(r"```bash\n(.*?)```", readme_section(), re.S)
    lines = block.replace("\\\n", " ").splitlines()
    found = [line for line in lines if line.startswith(prefix)]
    assert found, f"the README's Publishing section has no `{prefix}` command"
    return found


def docker_context(command: str, workdir: Path) -> tuple[Path, str]:
    """Run a README publishing command in `workdir`; return the build context it submitted and the stand-in's log."""
    stand_ins = workdir.parent / "bin"
    stand_ins.mkdir(exist_ok=True)
    for name in ("gcloud", "docker"):
        (stand_ins / name).write_text(STAND_IN)
        (stand_ins / name).chmod(0o755)
    context, log = workdir.parent / "context", workdir.parent / "stand-in.log"
    shutil.rmtree(context, ignore_errors=True)
    log.unlink(missing_ok=True)
    env = {**os.environ, "PATH": f"{stand_ins}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
           "STAND_IN_LOG": str(log), "STAND_IN_CONTEXT": str(context)}
    run = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert context.is_dir(), f"nothing was submitted to build:\n{log.read_text()}"
    return context, log.read_text()


def dockerfile_steps(context: Path) -> tuple[list[str], list[str], list[str]]:
    """The arguments of the Dockerfile's `pip install` and `datasette inspect`, and its CMD."""
    lines = (context / "Dockerfile").read_text().splitlines()
    assert "WORKDIR /app" in lines and "COPY . /app" in lines
    (install,) = [shlex.split(line)[3:] for line in lines if line.startswith("RUN pip install")]
    (inspect,) = [shlex.split(line)[3:] for line in lines if line.startswith("RUN datasette inspect")]
    (cmd,) = [shlex.split(line)[1:] for line in lines if line.startswith("CMD ")]
    return install, inspect, cmd


def missing_from_context(context: Path, install: list[str]) -> list[str]:
    """Arguments of the image's `pip install` that look like files but are not in the build context."""
    return [a for a in install if a.endswith((".whl", ".tar.gz", ".zip")) and "://" not in a
            and not (context / a).is_file()]


@pytest.fixture
def clone(tmp_path, seed_db, wheel_path) -> Path:
    """A clone after the README's wheel step: corpus.db, metadata.json and dist/ holding the wheel."""
    work = tmp_path / "clone"
    (work / "dist").mkdir(parents=True)
    shutil.copy(seed_db, work / "corpus.db")
    shutil.copy(ROOT / "metadata.json", work / "metadata.json")
    shutil.copy(wheel_path, work / "dist" / wheel_path.name)
    return work


def test_readme_builds_the_wheel_as_the_fixture_does():
    (build,) = readme_commands("rm -rf dist && python -m pip wheel")
    assert shlex.split(build.split("&&")[1]) == ["python", "-m", "pip", "wheel", "--no-deps", "-w", "dist", "."]


def test_a_wheel_path_without_static_is_not_in_the_build_context(clone):
    """Why the recipe adds --static: Datasette copies no --install file, so a bare wheel path fails inside the image."""
    context, _ = docker_context("datasette publish cloudrun corpus.db -m metadata.json --service provenance "
                                "--install dist/datasette_provenance-*.whl", clone)
    install, _, _ = dockerfile_steps(context)
    assert missing_from_context(context, install) == [next(a for a in install if a.endswith(".whl"))]


@pytest.mark.parametrize("prefix", ["datasette publish cloudrun", "datasette package"])
def test_readme_command_puts_the_wheel_it_installs_in_the_build_context(clone, wheel_path, prefix):
    for command in readme_commands(prefix):
        context, log = docker_context(command, clone)
        install, inspect, cmd = dockerfile_steps(context)
        wheels = [a for a in install if a.endswith(".whl")]
        assert wheels == [f"dist/{wheel_path.name}"], install
        assert not missing_from_context(context, install)
        assert (context / wheels[0]).read_bytes() == wheel_path.read_bytes()
        assert (context / "corpus.db").is_file() and json.loads((context / "metadata.json").read_text())["databases"]
        assert inspect == ["corpus.db", "--inspect-file", "inspect-data.json"]
        assert {"-i", "--inspect-file", "--metadata"} <= set(cmd) and cmd[cmd.index("-i") + 1] == "corpus.db"
        if prefix == "datasette publish cloudrun":
            assert "gcloud builds submit" in log and "gcloud run deploy" in log and " provenance" in log
        else:
            assert "docker build -t provenance ." in log


def test_the_image_steps_serve_the_pages_from_the_installed_wheel(clone, tmp_path):
    """The Dockerfile's RUN and CMD lines, run here: install the wheel from the context, inspect, serve read-only."""
    (command,) = readme_commands("datasette publish cloudrun")
    context, _ = docker_context(command, clone)
    install, inspect, cmd = dockerfile_steps(context)
    site = tmp_path / "site"
    # the image's `pip install -U datasette dist/…whl`; Datasette and the dependencies come from this environment
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site),
                    *[a for a in install if a != "datasette"]], cwd=context, check=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    origin = subprocess.run([sys.executable, "-c", "import datasette_provenance; print(datasette_provenance.__file__)"],
                            cwd=context, env=env, check=True, capture_output=True, text=True).stdout.strip()
    assert Path(origin).is_relative_to(site), origin  # the pages below come from the wheel, not from this clone
    subprocess.run([sys.executable, "-m", "datasette", "inspect", *inspect], cwd=context, env=env, check=True)
    assert json.loads((context / "inspect-data.json").read_text())["corpus"]["tables"]["articles"]["count"] == 5
    digest = hashlib.sha256((context / "corpus.db").read_bytes()).hexdigest()

    port = free_port()
    args = [a.replace("$PORT", str(port)) for a in cmd]
    assert args[0] == "datasette" and args[args.index("--host") + 1] == "0.0.0.0"
    args[args.index("--host") + 1] = "127.0.0.1"
    with serving(args, port, tmp_path / "serve.log", cwd=context, env=env) as base:
        page = urllib.request.urlopen(base + "/corpus/-/provenance", timeout=10).read().decode()
        assert "<h1>Provenance of corpus</h1>" in page
        assert "/-/static-plugins/datasette-provenance/provenance.css" in page
        figures = json.loads(urllib.request.urlopen(base + "/corpus/-/provenance.json", timeout=10).read())["figures"]
        assert figures["articles"] == 5 and figures["derivations"] > 0
        css = urllib.request.urlopen(base + "/-/static-plugins/datasette-provenance/provenance.css", timeout=10).read()
        assert css == (PACKAGE / "static" / "provenance.css").read_bytes()
        databases = json.loads(urllib.request.urlopen(base + "/-/databases.json", timeout=10).read())
        databases = databases["databases"] if isinstance(databases, dict) else databases  # 1.0a wraps the list
        assert [(d["name"], d["is_mutable"]) for d in databases] == [("corpus", False)]
    assert hashlib.sha256((context / "corpus.db").read_bytes()).hexdigest() == digest


# --- the release workflows ------------------------------------------------------------------------------------------

def workflow(name: str) -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed: the workflows cannot be parsed")
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def test_the_test_workflow_covers_both_datasette_lines_and_three_pythons():
    wf = workflow("test.yml")
    assert "workflow_call" in wf["on"] and "pull_request" in wf["on"]
    job = wf["jobs"]["test"]
    matrix = job["strategy"]["matrix"]
    assert [str(v) for v in matrix["python-version"]] == ["3.10", "3.11", "3.12"]
    assert any("<1.0" in d for d in matrix["datasette"]) and any(">=1.0a" in d for d in matrix["datasette"])
    run = "\n".join(step.get("run", "") for step in job["steps"])
    assert "chromium" in run  # the browser tests fail, rather than skip, in CI without it
    assert "${{ matrix.datasette }}" in run and ".[test]" in run and "pytest" in run
    assert "bookworm" in job["container"]  # Debian's chromium is /usr/bin/chromium, where the tests look


def test_publishing_waits_for_the_tests_and_uses_trusted_publishing():
    wf = workflow("publish.yml")
    assert wf["on"]["release"]["types"] == ["published"]
    assert wf["jobs"]["test"]["uses"] == "./.github/workflows/test.yml"
    deploy = wf["jobs"]["deploy"]
    assert "test" in deploy["needs"]
    assert deploy["permissions"]["id-token"] == "write"
    steps = deploy["steps"]
    assert any("python -m build" in step.get("run", "") for step in steps)
    assert any(step.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for step in steps)
    assert not any("password" in (step.get("with") or {}) for step in steps)  # no stored token

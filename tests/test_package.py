"""The package as a user gets it: the wheel built from this checkout, installed into a fresh
venv (the CI pins as constraints) beside a throwaway project that has its own `app.py`,
`schemas.py`, `store.py` and `testing/` package -- the names the fake's modules had before
they moved under `pandaprobe_fake` -- whose tests use the `pandaprobe_fake` fixture with no
`-p`, conftest or PYTHONPATH, and start the `pandaprobe-fake` console command themselves.

Takes ~25 s with pip's cache warm (a wheel build, a venv, one install)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.package, pytest.mark.process]

PROJECT = {
    "app.py": '''
        """The project's own app module."""

        def create_app():
            return "the project's own app"
    ''',
    "schemas.py": '''
        NAME = "the project's own schemas"
    ''',
    "store.py": '''
        NAME = "the project's own store"
    ''',
    "testing/__init__.py": '''
        """The project's own test helpers (a package named as the fake's plugin module was)."""
        MARK = "the project's own testing"
    ''',
    "test_project.py": '''
        import subprocess
        import sys
        from pathlib import Path

        import requests

        import app
        import schemas
        import store
        import testing
        import pandaprobe_fake

        HERE = Path(__file__).resolve().parent
        SCORE = {"trace_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "name": "accuracy",
                 "value": "0.5"}


        def test_its_own_modules_are_its_own():
            assert app.create_app() == "the project's own app"
            assert schemas.NAME == "the project's own schemas"
            assert store.NAME == "the project's own store"
            assert testing.MARK == "the project's own testing"
            assert {Path(m.__file__).resolve().parent for m in (app, schemas, store)} == {HERE}
            installed = Path(pandaprobe_fake.__file__).resolve()
            assert "site-packages" in installed.parts, installed


        def test_the_fixture_comes_with_the_package(pandaprobe_fake, request):
            plugin = request.config.pluginmanager.get_plugin("pandaprobe_fake")
            assert plugin is not None and plugin.__name__ == "pandaprobe_fake.testing"
            answer = requests.post(pandaprobe_fake.url + "/evaluations/trace-scores",
                                   headers=pandaprobe_fake.headers(), json=SCORE, timeout=5)
            assert answer.status_code == 201, answer.text
            pandaprobe_fake.fault(503, method="POST")
            answer = requests.post(pandaprobe_fake.url + "/evaluations/trace-scores",
                                   headers=pandaprobe_fake.headers(), json=SCORE, timeout=5)
            assert answer.status_code == 503
            assert [r["status"] for r in pandaprobe_fake.requests()] == [201, 503]


        def test_each_test_starts_clean(pandaprobe_fake):
            assert pandaprobe_fake.requests() == [] and pandaprobe_fake.faults() == []
            assert pandaprobe_fake.dump()["projects"] == []


        def test_the_console_command(tmp_path):
            command = Path(sys.executable).parent / "pandaprobe-fake"
            proc = subprocess.Popen([str(command), "--port", "0", "--quiet"], cwd=tmp_path,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                url = proc.stdout.readline().strip()
                assert url.startswith("http://127.0.0.1:"), (url, proc.stderr.read())
                assert f"demo page {url}/ui, API docs {url}/docs" in proc.stderr.readline()
                headers = {"X-API-Key": "k", "X-Project-Name": "shop"}
                answer = requests.post(url + "/evaluations/trace-scores", headers=headers,
                                       json=SCORE, timeout=5)
                assert answer.status_code == 201, answer.text
                assert requests.get(url + "/health", timeout=5).status_code == 200
                page = requests.get(url + "/ui?project=shop", timeout=5)  # templates shipped
                assert page.status_code == 200 and "accuracy" in page.text
                css = requests.get(url + "/ui/static/ui.css", timeout=5)  # static files too
                assert css.status_code == 200 and css.text.strip()
                assert requests.get(url + "/docs", timeout=5).status_code == 200
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            assert (tmp_path / "pandaprobe-fake.db").exists()  # the default database file
    ''',
}


def pins(path: Path, names: tuple[str, ...]) -> list[str]:
    """The `name==version` lines of a requirements file for these names."""
    found = [line.split("#")[0].strip() for line in path.read_text().splitlines()
             if re.match(rf"({'|'.join(names)})==", line)]
    assert len(found) == len(names), found
    return found


def check(command: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env=env)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the package's sources (the checkout gets no build/)."""
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "pandaprobe_fake", source / "pandaprobe_fake",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    check([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
           str(work / "dist"), str(source)], cwd=work, timeout=300)
    (built,) = (work / "dist").glob("pandaprobe_fake-*.whl")
    return built


def test_the_wheel_holds_the_package_its_files_and_its_entry_points(wheel):
    import pandaprobe_fake

    assert wheel.name == f"pandaprobe_fake-{pandaprobe_fake.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"pandaprobe_fake"}
    for data in ("pandaprobe_fake/ui/templates/scores.html", "pandaprobe_fake/ui/static/ui.css",
                 "pandaprobe_fake/ui/static/ui.js"):
        assert data in names
    assert "pandaprobe-fake = pandaprobe_fake.app:main" in entry_points
    assert "[pytest11]\npandaprobe_fake = pandaprobe_fake.testing" in entry_points
    requires = re.findall(r"^Requires-Dist: (.+)$", metadata, re.M)
    base = [r for r in requires if "extra ==" not in r]
    assert len(base) == 9 and not any("==" in r.split(";")[0] for r in requires), requires  # ranges
    assert [r.split(";")[0] for r in requires if "extra ==" in r] == ["granian<2.9,>=2.8"]


def test_a_fresh_venv_with_the_wheel_runs_a_clashing_projects_tests(wheel, tmp_path):
    venv = tmp_path / "venv"
    check([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, timeout=120)
    python = venv / "bin" / "python"
    check([str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "requirements.txt"),
           str(wheel), *pins(ROOT / "requirements-dev.txt", ("pytest", "requests"))],
          cwd=tmp_path, timeout=600)

    project = tmp_path / "project"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(textwrap.dedent(text).lstrip())
    assert not (project / "conftest.py").exists()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("PANDAPROBE_FAKE_")}
    result = check([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                   timeout=300, env=env)
    assert "4 passed" in result.stdout, result.stdout

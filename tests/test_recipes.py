"""The README's recipes run as written: the CI install line on a clean virtualenv, the pre-commit rev.

The install line names a git tag of the public repository; the test installs the same way from a clone
of this repository given that tag, into a fresh virtualenv (pip reaches only the package registry for
the dependencies), then runs the README's audit command and expects its GitHub annotations.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL = re.compile(r'- run: pip install "git\+(?P<url>https://github\.com/[\w.-]+/[\w.-]+)@(?P<tag>v\d+\.\d+\.\d+)"')
GATE = re.compile(r"- run: (?P<command>auditor audit manuscripts/ --format github --fail-on error)\n")

PAPER = """# Laporan

Menurut Sugiyono (2017), metode ini tepat. Hasil lain (Hantu, 2020) berbeda.

## Daftar Pustaka

- Sugiyono. 2017. *Metode Penelitian Kuantitatif*. Bandung: Alfabeta.
"""


def test_recipes_name_one_release_that_exists_as_a_tag_line() -> None:
    """Every install line and the pre-commit rev name the same tag; no line installs an unpublished name."""
    installs = INSTALL.findall(README)
    assert len(installs) == 2 and len(set(installs)) == 1
    url, tag = installs[0]
    assert re.search(rf"- repo: {re.escape(url)}\n\s+rev: {re.escape(tag)}\n", README)
    assert not re.search(r"^\s*(- run: )?pip install citation-auditor\s*$", README, re.M)
    assert GATE.search(README)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_ci_recipe_installs_on_a_clean_virtualenv(tmp_path: Path) -> None:
    """pip install git+…@tag into a new virtualenv, then the README's gate command: exit 1 with annotations."""
    url, tag = INSTALL.findall(README)[0]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(clone), "tag", "-f", tag], check=True, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", NO_COLOR="1")
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"git+file://{clone}@{tag}"],
                             env=env, capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    work = tmp_path / "checkout"
    (work / "manuscripts").mkdir(parents=True)
    (work / "manuscripts" / "paper.md").write_text(PAPER, encoding="utf-8")
    command = GATE.search(README)["command"].split()  # type: ignore[index]
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "::error file=manuscripts/paper.md,line=3" in result.stdout, result.stdout
    assert shutil.which("auditor", path=str(venv / "bin")) is not None

"""The pre-commit hook of .pre-commit-hooks.yaml, run by the real `pre-commit try-repo`.

pre-commit installs this repository into a fresh virtualenv with pip (from the package registry, as it
does for every user), then runs the hook in a temporary git repository holding a few documents.
The hook must report the error, fail the commit, and leave nothing behind in that repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

PAPER = """# Laporan

Menurut Sugiyono (2017), metode ini tepat. Hasil lain (Hantu, 2020) berbeda.

## Daftar Pustaka

- Sugiyono. 2017. *Metode Penelitian Kuantitatif*. Bandung: Alfabeta.
"""

CHAPTER = """Bab dua mengutip Sugiyono (2017) lagi, tanpa daftar pustaka sendiri.
"""


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout


def test_hook_definition_is_serial_and_keeps_no_database() -> None:
    """The hook runs once over all files and writes neither a database nor a report."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "citation-auditor" and hook["require_serial"] is True
    assert "--db :memory:" in hook["entry"] and "--no-html" in hook["entry"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_try_repo(tmp_path: Path) -> None:
    """`pre-commit try-repo <this repo> citation-auditor --all-files`: exit 1 with the finding, nothing untracked."""
    pytest.importorskip("pre_commit")
    repo = tmp_path / "manuscripts"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "config", "user.name", "Test")
    (repo / "paper.md").write_text(PAPER, encoding="utf-8")
    (repo / "bab2.txt").write_text(CHAPTER, encoding="utf-8")
    (repo / "README.md").write_text("# Not audited (Hantu, 2020)\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "documents")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), VIRTUALENV_NO_PERIODIC_UPDATE="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "citation-auditor", "--all-files",
         "--color", "never"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "citation-auditor" in output and "Failed" in output, output
    assert "paper.md:3:56: error   unresolved-citation" in output, output
    assert "bab2.txt" in output and "README.md" not in output.split("citation-auditor", 1)[1], output
    assert "database is locked" not in output and "Traceback" not in output, output
    assert git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored") == ""

"""evals/corpora/rebuild.py: the evaluation corpora are rebuilt from a product's repository at a pinned commit."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

REBUILD = Path(__file__).resolve().parents[2] / "evals" / "corpora" / "rebuild.py"


@pytest.fixture
def rebuild(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("corpus_rebuild", REBUILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lists = tmp_path / "lists"
    lists.mkdir()
    monkeypatch.setattr(module, "HERE", lists)
    return module


def _commit(repo: Path, files: dict[str, str]) -> str:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "docs"], check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()


def test_a_page_whose_path_has_a_space_and_whose_front_matter_follows_a_blank_line(rebuild, tmp_path, monkeypatch):
    repo = tmp_path / "product"
    commit = _commit(
        repo,
        {
            "docs/Getting started/_index.md": "\n---\ntitle: Getting started\nweight: 2\n---\n\nInstall it.\n",
            "docs/faq.mdx": "# FAQ\n\nAsk away.\n",
        },
    )
    monkeypatch.setitem(rebuild.PRODUCTS, "demo", (commit, "docs/"))
    (rebuild.HERE / "demo.sources.txt").write_text("docs/Getting started/_index.md\ndocs/faq.mdx\n\n")

    assert rebuild.rebuild("demo", repo, tmp_path / "out") == 2

    started = (tmp_path / "out" / "demo" / "Getting started" / "_index.md").read_text()
    assert started.startswith('---\ntitle: "Getting started"\nsource: "docs/Getting started/_index.md"\n---\n')
    assert "weight" not in started and started.rstrip().endswith("Install it.")
    faq = (tmp_path / "out" / "demo" / "faq.md").read_text()
    assert faq.startswith('---\ntitle: "FAQ"\n')


def test_a_page_may_be_read_at_its_own_commit_and_an_asciidoc_title_is_its_first_heading(
    rebuild, tmp_path, monkeypatch
):
    repo = tmp_path / "product"
    older = _commit(repo, {"docs/sso.adoc": "= Single sign-on\n\nSAML only.\n", "docs/plans.md": "# Plans\n\nOld.\n"})
    newer = _commit(repo, {"docs/sso.adoc": "= Single sign-on\n\nOIDC.\n", "docs/plans.md": "# Plans\n\nNew.\n"})
    monkeypatch.setitem(rebuild.PRODUCTS, "demo", (newer, "docs/"))
    (rebuild.HERE / "demo.sources.txt").write_text(f"docs/plans.md\ndocs/sso.adoc {older}\n")

    assert rebuild.rebuild("demo", repo, tmp_path / "out") == 2

    sso = (tmp_path / "out" / "demo" / "sso.adoc").read_text()
    assert sso.startswith('---\ntitle: "Single sign-on"\n') and "SAML only." in sso  # the commit it names
    assert "New." in (tmp_path / "out" / "demo" / "plans.md").read_text()  # the product's commit

"""Semantic retrieval by default: the shipped static model fused with a stemmed, field-weighted keyword
index, widened by the governed glossary, behind a relevance floor that lets paraphrases through."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from knowledge import lexical
from knowledge.embeddings import STATIC_MINILM, make_embedder
from knowledge.glossary import DEFAULT_GLOSSARY, EMPTY, GlossaryError, load_glossary
from knowledge.ingest import ingest
from knowledge.search import search
from knowledge.store import EmbeddingMismatch

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "knowledge"
TODAY = date(2026, 11, 24)

KEYS = """---
title: Encryption keys
doc_type: security
---
# Encryption

Data is encrypted at rest with AES-256. Enterprise customers can bring customer-managed keys held in
their own cloud KMS.
"""
SSO = """---
title: Single sign-on
doc_type: security
---
# Single sign-on

Halyard supports SAML 2.0 with any identity provider on the Enterprise edition.
"""
AUDIT = """---
title: Audit log
---
# Audit log

Every change is recorded with who made it and when, and kept for a year.
"""
RELEASE = """---
title: Release notes
---
# October

Fixed the CSV export of the audit log. Faster dashboards. New Snowflake connector options. Dark mode for the
admin console. Better error messages when a connector fails. Smaller memory use for large tables.
"""


@pytest.fixture(scope="module")
def sample_hybrid(tmp_path_factory: pytest.TempPathFactory, module_open_store):
    """The sample knowledge base embedded once with the default model, shared by the tests that only read it."""
    store = module_open_store(tmp_path_factory.mktemp("hybrid") / "qdrant", embedder=make_embedder(STATIC_MINILM))
    ingest([SAMPLE], store)
    return store


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    for name, text in {"keys.md": KEYS, "sso.md": SSO, "audit.md": AUDIT, "release.md": RELEASE}.items():
        (root / name).write_text(text)
    return root


@pytest.fixture
def lexical_store(tmp_path: Path, open_store):
    return open_store(tmp_path / "lexical")


def test_the_default_embeddings_are_the_shipped_static_model_and_load_no_torch(tmp_path: Path):
    script = (
        "import sys\n"
        "from core.settings import load_settings\n"
        "from knowledge.embeddings import make_embedder\n"
        f"settings = load_settings(LTO_HOME={str(tmp_path)!r})\n"
        "embedder = make_embedder(settings.embeddings)\n"
        "vector = embedder.embed_query('do we sign a BAA')\n"
        "print(settings.embeddings, embedder.version, len(vector), 'torch' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["static-minilm", "2026.11.1", "256", "False"]


def test_the_static_model_gives_the_vectors_it_was_distilled_with():
    embedder = make_embedder(STATIC_MINILM)
    assert embedder is not None and embedder.dimensions == 256
    vector = embedder.embed_query("Do we sign a BAA for the Business edition?")
    # Checked against model2vec's own inference when the model was distilled (knowledge/static_model/distill.py):
    # a tokenizer or loader change that moves these would silently mismatch every collection already built.
    assert vector[:4] == pytest.approx([0.0389, -0.2943, 0.1724, -0.1779], abs=2e-3)
    near, far = embedder.embed_documents(["a business associate agreement for PHI", "banana bread recipe"])
    query = embedder.embed_query("signing a BAA for health data")
    assert sum(a * b for a, b in zip(query, near, strict=True)) > sum(a * b for a, b in zip(query, far, strict=True))


def test_a_paraphrase_with_no_word_in_common_is_found_by_meaning(sample_hybrid):
    # No word in common with the penetration-testing page: only the dense vectors can rank it first. Whether
    # to answer from it is the answerability decision's (knowledge/answerability.py): with none of the
    # question's words in the passage, it abstains unless the meaning is very close.
    hits = sample_hybrid.query("do you have a deal with an outside firm that tries to hack you", limit=5)
    assert hits and hits[0].payload["path"] == "security/penetration-testing.md"


@pytest.mark.parametrize(
    "question",
    [
        "what is the weather in Lisbon tomorrow",
        "Can we ship them a coffee machine with the license?",
        "what is the CEO's favourite football team",
        "how do you make sourdough starter",
    ],
)
def test_an_off_topic_question_still_gets_nothing(sample_hybrid, question):
    assert search(sample_hybrid, question, today=TODAY) == []


def test_the_shipped_questions_find_their_sources_with_the_default_hybrid_retrieval(sample_hybrid):
    from core.evaluation import load_cases
    from knowledge.evaluation import Question, evaluate

    cases = load_cases(ROOT / "evals" / "retrieval.jsonl", Question)
    report = evaluate(sample_hybrid, cases, mode="hybrid", today=TODAY)
    assert report.recall_at_5 >= 0.95 and report.recall_at_1 >= 0.85, "\n".join(map(str, report.misses))


def test_an_abbreviation_finds_the_document_that_spells_it_out(lexical_store, small_kb):
    ingest([small_kb], lexical_store)
    assert [p.path for p in search(lexical_store, "BYOK?", today=TODAY)][:1] == ["keys.md"]
    assert [p.path for p in search(lexical_store, "do you support okta", today=TODAY)][:1] == ["sso.md"]
    lexical_store.glossary = EMPTY  # the glossary is what bridges them: without it, nothing
    assert search(lexical_store, "BYOK?", today=TODAY) == []


def test_the_abbreviation_also_passes_the_floor_of_the_default_hybrid_retrieval(tmp_path, small_kb, open_store):
    store = open_store(tmp_path / "hybrid", embedder=make_embedder(STATIC_MINILM))
    ingest([small_kb], store)
    assert [p.path for p in search(store, "BYOK?", today=TODAY)][:1] == ["keys.md"]


def test_a_title_counts_more_than_a_passing_mention(lexical_store, small_kb):
    ingest([small_kb], lexical_store)
    assert [p.path for p in search(lexical_store, "audit log", today=TODAY)][:2] == ["audit.md", "release.md"]


def test_stemming_and_british_spellings_meet():
    assert lexical.tokens("organisations pricing connectors") == lexical.tokens("organization prices connector")
    assert lexical.words("self-hosted") == lexical.words("self hosted")


def test_an_acronyms_plural_is_the_acronym():
    # The stemmer alone keeps the "s" of "SLAs" and "JWTs" (a vowel right before it, or none at all).
    assert lexical.tokens("SLAs JWTs VPCs DPAs") == lexical.tokens("SLA JWT VPC DPA")
    assert lexical.plain_words("do you sign DPAs?") == ["sign", "dpa"]
    assert lexical.tokens("DNS TLS KMS") == ["dns", "tls", "kms"]  # acronyms that end in S keep it


def test_a_name_written_with_inner_capitals_is_also_its_words():
    assert lexical.tokens("IPAllowList") == ["ipallowlist", "ip", "allow", "list"]
    assert set(lexical.tokens("ip allow list")) <= set(lexical.tokens("Traefik HTTP Middlewares IPAllowList"))
    assert lexical.tokens("deploy to CloudHub") == [*lexical.tokens("deploy to cloudhub"), "cloud", "hub"]
    assert lexical.tokens("iPhone TLS") == ["iphon", "tls"]  # one letter is no part


def test_the_shipped_glossary_loads_and_a_broken_one_is_refused_with_one_line(tmp_path: Path):
    assert load_glossary(DEFAULT_GLOSSARY).version
    broken = tmp_path / "glossary.yaml"
    broken.write_text('version: "1"\nentries:\n  - term: SSO\n    synonyms: [the, SAML]\n')
    with pytest.raises(GlossaryError) as caught:
        load_glossary(broken)
    message = str(caught.value)
    assert str(broken) in message and "entries.0.synonyms" in message and "'the' has no searchable word" in message
    assert "\n" not in message
    broken.write_text('version: "1"\nentries:\n  - term: SSO\n    synonym: [SAML]\n')
    with pytest.raises(GlossaryError, match=r"entries\.0\.synonym"):
        load_glossary(broken)
    # "own servers" would search as "server" alone: every question naming a server would read as self-hosting.
    broken.write_text('version: "1"\nentries:\n  - term: self-hosted\n    synonyms: [on-prem, own servers]\n')
    with pytest.raises(GlossaryError, match=r"'own servers' is searched as 'server' alone"):
        load_glossary(broken)
    fine = tmp_path / "phrasal.yaml"  # "log in" searches as "login", a word of its own: nothing is lost
    fine.write_text('version: "1"\nentries:\n  - term: single sign-on\n    related: [log in with Okta, log in]\n')
    assert load_glossary(fine).knows("log in")


def test_a_phrasal_verb_searches_as_the_noun_documents_also_write():
    assert lexical.tokens("how do we back up the data") == lexical.tokens("how do we backup the data")
    assert lexical.tokens("backed-up nightly; logging in; set up SSO") == lexical.tokens(
        "backup nightly login setup sso"
    )
    assert "backup" not in lexical.tokens("can we roll back an upgrade?")  # "roll back" is a rollback, not a backup
    assert lexical.tokens("roll back") == ["rollback"]
    assert lexical.tokens("log files are sent back") == ["log", "file", "send", "back"]  # no particle: no change


def test_a_collection_built_lexical_only_asks_for_a_rebuild_under_the_new_default(tmp_path, small_kb, open_store):
    ingest([small_kb], open_store(tmp_path / "old"))
    with pytest.raises(EmbeddingMismatch, match=r"built with embeddings 'none'.*lto ingest --rebuild"):
        open_store(tmp_path / "old", embedder=make_embedder(STATIC_MINILM)).ensure()


def test_a_collection_indexed_by_the_earlier_keyword_analyzer_asks_for_a_rebuild(tmp_path, small_kb, open_store):
    store = open_store(tmp_path / "old")
    ingest([small_kb], store)
    # What a collection made before the analyzer was recorded holds: the model's name only.
    store.engine.write_meta(store.collection, {"embedding_model": "none"})
    with pytest.raises(EmbeddingMismatch, match=r"earlier version of the keyword search.*lto ingest --rebuild"):
        open_store(tmp_path / "old").ensure()
    store.recreate()
    open_store(tmp_path / "old").ensure()  # rebuilt: accepted


def test_a_collection_built_with_another_version_of_the_static_model_asks_for_a_rebuild(tmp_path, small_kb, open_store):
    embedder = make_embedder(STATIC_MINILM)
    ingest([small_kb], open_store(tmp_path / "versions", embedder=embedder))
    embedder.version = "2099.1.1"
    with pytest.raises(EmbeddingMismatch, match=r"version 2026\.11\.1 but this install has version 2099\.1\.1"):
        open_store(tmp_path / "versions", embedder=embedder).ensure()


def test_the_operator_upgrading_to_the_default_is_told_to_rebuild_and_ingest_rebuilds(tmp_path, monkeypatch, small_kb):
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.chdir(tmp_path)  # the knowledge root; no stray .env is read
    monkeypatch.setenv("LTO_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    monkeypatch.setenv("LTO_EMBEDDINGS", "none")
    assert runner.invoke(app, ["ingest", "kb"]).exit_code == 0
    monkeypatch.delenv("LTO_EMBEDDINGS")  # the new default: static-minilm

    refused = runner.invoke(app, ["kb", "stats"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    said = " ".join(refused.output.split())
    assert "built with embeddings 'none'" in said and "lto ingest --rebuild" in said

    rebuilt = runner.invoke(app, ["ingest", "kb"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Rebuilding the knowledge base with static-minilm" in rebuilt.output
    assert runner.invoke(app, ["kb", "stats"]).exit_code == 0


def test_two_words_joined_by_a_slash_offer_a_choice_and_names_and_units_do_not():
    (roles,) = lexical.analyze("roles/policies").concepts
    assert roles.named_in({"role"}) and roles.named_in({"polici"})
    for written in ("24/7", "req/sec", "CI/CD"):
        (concept,) = lexical.analyze(written).concepts
        parts = lexical.words(written)
        assert not concept.named_in({parts[0]}), written  # one part alone does not name it


def test_high_availability_is_what_ha_stands_for():
    glossary = load_glossary(DEFAULT_GLOSSARY)
    (asked,) = [c for c in lexical.analyze("HA?", glossary).concepts]
    assert asked.named_in(set(lexical.tokens("Run two replicas for high availability.")))


def test_the_shipped_glossary_reads_how_reps_write():
    from knowledge.glossary import default_glossary

    def alternatives(question: str) -> set[frozenset[str]]:
        return {a for c in lexical.analyze(question, default_glossary()).concepts for a in c.alternatives}

    assert frozenset(lexical.words("Asia Pacific")) in alternatives("is there an APAC option?")
    assert frozenset(lexical.words("possible")) in alternatives("is that doable?")
    assert frozenset(lexical.words("difference")) in alternatives("what's the diff?")

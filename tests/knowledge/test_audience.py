"""Who may read a document: its audience, read at ingest, stored in the payload and filtered in the engine."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.ingest import ingest
from knowledge.models import CUSTOMER_FACING, Audience
from knowledge.search import search

TODAY = date(2026, 11, 24)
SSO = """---
title: Single sign-on
audience: public
---
# Single sign-on

Halyard supports SAML single sign-on with Okta and Entra ID on the Business edition.
"""
BATTLECARD = """---
title: Battlecard Okta rivals
---
# Single sign-on against rivals

Their single sign-on with Okta needs a paid tier; we win SAML deals on the Business edition.
"""
NOTES = """Security review notes. Their SAML single sign-on uses Okta; the CISO wants Entra ID next year."""
SIDECAR = "title: Security review notes\naudience: confidential\n"


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    (root / "sso.md").write_text(SSO)
    (root / "battlecard.md").write_text(BATTLECARD)
    (root / "notes.txt").write_text(NOTES)
    (root / "notes.txt.meta.yaml").write_text(SIDECAR)
    return root


def audiences_of(passages) -> dict[str, Audience]:
    return {p.path: p.audience for p in passages}


def test_ingest_reads_the_audience_from_front_matter_or_sidecar_and_defaults_to_internal(tmp_path, kb, open_store):
    store = open_store(tmp_path / "qdrant")
    ingest([kb], store)
    found = audiences_of(search(store, "SAML single sign-on with Okta", limit=10, today=TODAY))
    assert found == {
        "sso.md": Audience.PUBLIC,
        "battlecard.md": Audience.INTERNAL,
        "notes.txt": Audience.CONFIDENTIAL,
    }
    assert store.stats()["by_audience"] == {"public": 1, "internal": 1, "confidential": 1}


def test_a_customer_facing_search_gets_only_public_and_customer_shareable_chunks(tmp_path, kb, open_store):
    store = open_store(tmp_path / "qdrant")
    ingest([kb], store)
    question = "SAML single sign-on with Okta"
    shared = search(store, question, limit=10, audiences=CUSTOMER_FACING, today=TODAY)
    assert audiences_of(shared) == {"sso.md": Audience.PUBLIC}
    assert {hit.payload["path"] for hit in store.query(question, limit=10, audiences=CUSTOMER_FACING)} == {"sso.md"}
    assert search(store, question, audiences={Audience.CONFIDENTIAL}, today=TODAY)[0].path == "notes.txt"
    assert search(store, question, audiences=set(), today=TODAY) == []


def test_relabelling_a_document_reindexes_it_so_the_filter_sees_the_new_audience(tmp_path, kb, open_store):
    store = open_store(tmp_path / "qdrant")
    ingest([kb], store)
    (kb / "sso.md").write_text(SSO.replace("audience: public", "audience: internal"))
    again = ingest([kb], store)
    assert (again.updated, again.removed) == (1, 1)
    assert search(store, "SAML single sign-on with Okta", audiences=CUSTOMER_FACING, today=TODAY) == []


def test_an_audience_outside_the_four_is_refused_with_the_choices(tmp_path, kb, open_store):
    (kb / "sso.md").write_text(SSO.replace("audience: public", "audience: partners"))
    summary = ingest([kb], open_store(tmp_path / "qdrant"))
    reasons = {problem.path: problem.reason for problem in summary.problems}
    assert reasons == {
        "sso.md": "its audience 'partners' is not one of public, customer-shareable, internal, confidential"
    }
    assert summary.documents == 2

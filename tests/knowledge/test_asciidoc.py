"""AsciiDoc documents (Antora, Asciidoctor sites): read for their words and structure, never for other files."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.asciidoc import to_markdown
from knowledge.chunking import chunk_document
from knowledge.loaders import UnreadableDocument, load

PAGE = """= Security and compliance
:product: Acme Cloud
:retention-days: 90
// a comment the reader never sees
include::partial$secret.adoc[]

{product} encrypts data at rest with AES-256. See xref:security/keys.adoc#byok[bring your own key] and
<<sso-setup,single sign-on>>.

== Single sign-on
[[sso-setup]]
{product} supports SAML 2.0 with *Okta*, _Microsoft Entra ID_ and `OneLogin`.

NOTE: SCIM provisioning requires the Enterprise plan.

[IMPORTANT]
====
Audit logs are kept for {retention-days} days.
====

.Supported identity providers
* Okta
** Azure AD (the legacy name)
* Google Workspace

=== Limits

[cols="1,2,2",options="header"]
|===
|Plan |API requests per minute |Users

|Team
|600
|50

|Enterprise |6000 |Unlimited
|===

[source,bash]
----
acme login --sso
----

Data residency::
  EU and US regions.
Support hours:: 24/7 for P1.

ifdef::cloud[]
Backups run every 4 hours.
endif::[]

////
An internal note in a comment block.
////

Write to mailto:security@acme.example[the security team] or see https://status.acme.example[the status page].
"""


@pytest.fixture
def page(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "security").mkdir(parents=True)
    (root / "security" / "secret.adoc").write_text("database password: hunter2\n")
    path = root / "security" / "overview.adoc"
    path.write_text(PAGE)
    return path


def test_an_antora_page_reads_as_its_words_with_sections_lists_and_tables(page: Path):
    document = load(page, page.parents[1])
    assert document.title == "Security and compliance"
    text = document.text
    assert "Acme Cloud encrypts data at rest with AES-256. See bring your own key and" in text  # attributes, xrefs
    assert "single sign-on." in text and "<<" not in text and "xref:" not in text
    assert "Acme Cloud supports SAML 2.0 with Okta, Microsoft Entra ID and `OneLogin`." in text  # emphasis goes
    assert "Note: SCIM provisioning requires the Enterprise plan." in text
    assert "Important: Audit logs are kept for 90 days." in text  # an admonition block, its attribute substituted
    assert "Supported identity providers:\n\n- Okta\n- Azure AD (the legacy name)\n- Google Workspace" in text
    assert "| Plan | API requests per minute | Users |" in text
    assert "| Team | 600 | 50 |" in text and "| Enterprise | 6000 | Unlimited |" in text
    assert "```\nacme login --sso\n```" in text
    assert "- Data residency: EU and US regions." in text and "- Support hours: 24/7 for P1." in text
    assert "Backups run every 4 hours." in text  # a conditional's text stays; the directive goes
    assert "the security team" in text and "the status page" in text and "mailto:" not in text
    assert "comment" not in text and "ifdef" not in text and ":product:" not in text
    sections = {chunk.section for chunk in chunk_document(document)}
    assert {"Single sign-on", "Single sign-on › Limits"} <= sections


def test_an_antora_page_never_brings_in_another_file(page: Path):
    assert "hunter2" not in load(page, page.parents[1]).text


def test_a_cross_reference_without_words_reads_as_its_pages_name_antora_ids_included():
    page = "See xref:cloudhub-2::ch2-config-app-alerts.adoc[] and xref:ROOT:page$single-sign-on.adoc[].\n"
    text, _ = to_markdown(page)
    assert "See ch2 config app alerts and single sign on." in text


def test_a_table_without_cols_takes_its_width_from_its_first_line_and_keeps_escaped_bars():
    text, _ = to_markdown("|===\n|Port |Use\n\n|443 |HTTPS a\\|b\n2+|Spanning note\n|===\n")
    assert "| Port | Use |" in text and "| 443 | HTTPS a/b |" in text and "| Spanning note |" in text


def test_an_unreadable_page_is_refused_with_the_reason(tmp_path: Path):
    path = tmp_path / "broken.adoc"
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(UnreadableDocument, match="binary"):
        load(path, tmp_path)

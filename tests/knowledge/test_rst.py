"""reStructuredText documents: read for their words, Sphinx markup and all, and never for other files."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.chunking import chunk_document
from knowledge.loaders import UnreadableDocument, load

PAGE = """---
title: "Security overview"
audience: public
---

Security Overview
=================

.. toctree::
   :hidden:

   /security/hidden-page

Acme Chat encrypts data in transit with TLS 1.2+. See :doc:`Encryption at rest </security/at-rest>` and
:ref:`the compliance list <compliance>` for details.

.. include:: ../secret.txt

Single sign-on
--------------

.. tab:: Cloud

   SAML 2.0 is available on the **Enterprise** plan.

.. note::
   Okta and Entra ID are tested identity providers.

.. list-table::
   :header-rows: 1

   * - Plan
     - SSO
   * - Professional
     - no
   * - Enterprise
     - yes
"""


@pytest.fixture
def page(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "security").mkdir(parents=True)
    (root / "secret.txt").write_text("database password: hunter2\n")
    path = root / "security" / "overview.rst"
    path.write_text(PAGE)
    return path


def test_a_sphinx_page_reads_as_its_words_with_sections_and_tables(page: Path):
    document = load(page, page.parents[1])
    assert document.title == "Security overview" and document.meta["audience"] == "public"
    text = document.text
    assert "See Encryption at rest and the compliance list for details." in text  # roles read as their titles
    assert "SAML 2.0 is available on the Enterprise plan." in text  # an unknown directive keeps its content
    assert "Okta and Entra ID are tested identity providers." in text
    assert "| Enterprise | yes |" in text and "hidden-page" not in text and ":doc:" not in text
    sections = {chunk.section for chunk in chunk_document(document)}
    assert "Single sign-on" in sections


def test_a_page_never_brings_in_another_file(page: Path):
    assert "hunter2" not in load(page, page.parents[1]).text


def test_without_front_matter_the_first_heading_is_the_title(tmp_path: Path):
    path = tmp_path / "limits.rst"
    path.write_text("Product limits\n==============\n\nA team holds at most 50,000 channels.\n")
    document = load(path, tmp_path)
    assert document.title == "Product limits" and "50,000 channels" in document.text


def test_an_unreadable_page_is_refused_with_the_reason(tmp_path: Path):
    path = tmp_path / "broken.rst"
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(UnreadableDocument, match="binary"):
        load(path, tmp_path)


def test_a_paragraph_after_a_list_is_not_read_as_its_last_item(tmp_path: Path):
    page = tmp_path / "ubuntu.rst"
    page.write_text(
        "Ubuntu\n======\n\nSupported releases include:\n\n- Ubuntu 24.04 LTS\n- Ubuntu 22.04 LTS\n\n"
        "The above list assumes a support contract.\n"
    )
    text = load(page, tmp_path).text
    # In Markdown a line right under a list item continues that item: a blank line ends the list.
    assert "- Ubuntu 22.04 LTS\n\nThe above list assumes a support contract." in text

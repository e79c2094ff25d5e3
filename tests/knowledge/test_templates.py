"""Markdown under other names, and Markdown a site renders through ERB or Liquid, read for its words."""

from pathlib import Path

import pytest

from knowledge.loaders import UnreadableDocument, load
from knowledge.templates import variables_as_words, without_erb

PAGE = """---
title: Billing
---

# Billing

Invoices are sent on the 1st of each month. Prepaid credits are applied first.

<%= partial "/docs/partials/billing-table" %>

<%= render ChecklistComponent.new(
  items: ["Add a card", "Set an alert"]
) %>

<% if Time.now.utc < '2026-03-01T00:00:00Z' %>
Legacy plans keep their allowances until March.
<% end %>

```erb
<%= form_with model: @invoice %>
```
"""


def test_erb_tags_are_taken_out_and_the_prose_and_code_blocks_stay():
    text = without_erb(PAGE)
    assert "partial" not in text.split("```")[0] and "ChecklistComponent" not in text and "Time.now" not in text
    assert "Prepaid credits are applied first." in text
    assert "Legacy plans keep their allowances until March." in text
    assert "<%= form_with model: @invoice %>" in text  # a page documenting ERB keeps its example


def test_text_without_erb_is_returned_unchanged():
    assert without_erb("A 5% discount <b>applies</b> % of the time.") == "A 5% discount <b>applies</b> % of the time."


@pytest.mark.parametrize("name", ["billing.html.markerb", "billing.md.erb", "billing.mkd", "billing.mdown"])
def test_markdown_under_its_other_names_is_loaded_with_its_front_matter(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_text(PAGE, encoding="utf-8")
    document = load(path, tmp_path)
    assert document.path == name and document.title == "Billing"
    assert "Prepaid credits are applied first." in document.text
    assert "ChecklistComponent" not in document.text


def test_a_template_of_another_kind_is_still_refused(tmp_path: Path):
    path = tmp_path / "invoice.html.erb"
    path.write_text("<p><%= @invoice.total %></p>", encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="not a supported type"):
        load(path, tmp_path)


def test_a_sites_variables_read_as_the_words_of_their_names():
    text = (
        "{{site.konnect_short_name}} offers two plans. Run {{ site.base_gateway }} with {{site.kic_product_name}}, "
        "or open {{ site.data.products.insomnia.name | upcase }} ({{ site.data.products.insomnia.app_url }}).\n\n"
        "```liquid\n{{site.konnect_short_name}}\n```"
    )
    said = variables_as_words(text)
    assert said.startswith("Konnect offers two plans. Run Base Gateway with KIC, or open Insomnia (App URL).")
    assert "```liquid\n{{site.konnect_short_name}}\n```" in said  # code as written
    assert variables_as_words("Hello {{ page.title }}") == "Hello {{ page.title }}"  # a value the name does not say


def test_a_title_written_with_a_variable_reads_as_words(tmp_path: Path):
    path = tmp_path / "sso.md"
    path.write_text('---\ntitle: "SSO in {{site.konnect_short_name}}"\n---\n\n{{site.konnect_short_name}} SSO.\n')
    document = load(path, tmp_path)
    assert document.title == "SSO in Konnect" and "Konnect SSO." in document.text

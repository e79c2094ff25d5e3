"""Markdown under other names, and Markdown a Ruby site renders through ERB, read for its words."""

from pathlib import Path

import pytest

from knowledge.erb import without_erb
from knowledge.loaders import UnreadableDocument, load

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

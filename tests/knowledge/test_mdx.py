"""MDX pages (as documentation sites write them, often saved as .md) read as the Markdown they carry."""

from pathlib import Path

from knowledge.loaders import load
from knowledge.mdx import plain_markdown

PAGE = """import Tabs from '@theme/Tabs';
import {
  Note,
  Warning,
} from "@/components/mdx";
export const description = "Enable MFA for local users of a self-hosted deployment";
export const meta = {
  sidebar: true,
};

# MFA

<Note>
Local users must set up a TOTP app.
</Note>

Click <ConsoleLabel name="Application users"/> to list them. The `List<String>` type stays.

<Mermaid chart={`
graph TD
  A --> B
`} />

<Tabs groupId="engine">
<TabItem value="pg" label="PostgreSQL" default>
- Backups are kept for 30 days.
</TabItem>
</Tabs>

{/* a comment for the site's editors */}

```mdx-code-block
<Mermaid
  chart={`flowchart TD
    P(Project) --> O(Organization)`}
/>
```

```js
import x from "y";
<Foo bar={1} />
```
Import your users from a CSV file.
"""


def test_statements_tags_and_expressions_go_and_the_words_stay():
    text = plain_markdown(PAGE)
    for code in ("import Tabs", "@/components", "sidebar", "<Note>", "Mermaid", "graph TD", "flowchart", "comment"):
        assert code not in text
    assert "Enable MFA for local users of a self-hosted deployment" in text  # the page's own summary
    assert "Local users must set up a TOTP app." in text
    assert "Click Application users to list them." in text  # a component reads as the label it shows
    assert "The `List<String>` type stays." in text  # code in backticks is not a tag
    assert "PostgreSQL" in text and "- Backups are kept for 30 days." in text
    assert "Import your users from a CSV file." in text  # prose that starts with "Import" is prose


def test_code_blocks_are_left_as_written():
    text = plain_markdown(PAGE)
    assert '```js\nimport x from "y";\n<Foo bar={1} />\n```' in text


def test_plain_markdown_is_untouched():
    markdown = "# Types\n\nA `Map<K, V>` maps keys. Use List<String> for names.\n\n{curly} braces stay.\n"
    assert plain_markdown(markdown) == markdown


def test_an_unclosed_tag_keeps_the_text_rather_than_losing_the_page():
    text = plain_markdown("import X from 'x'\n\n<Card title={\n\nEverything after stays readable.\n")
    assert "Everything after stays readable." in text


def test_mdx_and_md_files_are_read_without_their_javascript(tmp_path: Path):
    for name in ("mfa.mdx", "mfa.md"):
        page = tmp_path / name
        page.write_text("---\ntitle: MFA\naudience: public\n---\n" + PAGE)
        document = load(page, tmp_path)
        assert document.title == "MFA" and document.meta["audience"] == "public"
        assert "import" not in document.text.split("```")[0] and "Local users must set up a TOTP app." in document.text


def test_an_icon_shows_no_word_but_a_tick_or_a_cross_in_a_table_reads_as_one():
    page = (
        "import X from 'y'\n\n### <Icon name=\"angle-right\" /> What are the user roles?\n\n"
        "| Feature | Free | Pro |\n|---|---|---|\n"
        '| SSO | <IconX size={14} /> | <IconCheck size={14} color="#3FCF8E" /> |\n\n'
        'Open <ConsoleLabel name="Service settings"/> to star it <Icon name="star" label="Favourite" />.'
    )
    text = plain_markdown(page)
    assert "angle-right" not in text and "What are the user roles?" in text
    assert "| SSO | ✗ | ✓ |" in text
    assert "Open Service settings to star it Favourite." in text  # a label given to be read still reads

"""The offline answer: the sentences that answer best across the retrieved passages, the direct answer first."""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ToolCallPart

from agents.offline.qa_model import _answer
from agents.offline.quoting import answering_sentences, readable, table_cell, table_listing
from knowledge.asked import figure_asked_for

OVERVIEW = (
    "Acme Stream moves data between systems. Acme Stream runs in the cloud.\n\n"
    "## Self-hosted runtime\n\nAcme Stream can also run on the customer's Kubernetes."
)
SESSIONS = (
    "- **Default role**: the role given to members who log in through SSO for the first time.\n"
    "- **Session timeout (minutes)**: Session timeout for users logged in through SSO. Maximum is 12 hours. "
    "Default is 360 minutes (6 hours).\n"
)


def passage(chunk_id: str, text: str, title: str = "Guide", section: str = "") -> dict[str, Any]:
    return {"chunk_id": chunk_id, "text": text, "title": title, "section": section, "source": "guide.md"}


def test_the_fact_in_a_later_passage_is_quoted_before_a_general_first_passage():
    said = answering_sentences([OVERVIEW, SESSIONS], "sso session timeout - default and max?")
    assert said[0].passage == 1 and "12 hours" in said[0].text and "360 minutes" in said[0].text


def test_a_sub_heading_introduces_the_sentence_under_it_and_markup_is_left_out():
    text = readable(
        "Intro.\n\n## Persist traits\n\nYou can stop client-side SDKs from setting traits.\n\n"
        "![diagram](/img/a.svg) See [the guide](/guide) <div>x</div> :::tip\n```yaml\nkey: value\n```\n"
    )
    assert "Persist traits: You can stop client-side SDKs" in text
    assert "diagram" not in text and "/guide" not in text and "<div>" not in text and "key: value" not in text
    assert "See the guide" in text and ":::" not in text


def test_a_lead_in_brings_the_list_it_announces():
    text = "If you get an over-limit notice you have two options:\n\nUpgrade within a week, or the dashboard is locked."
    said = answering_sentences([text], "what happens after the over-limit notice")
    assert any("locked" in q.text for q in said)


def test_a_question_the_page_asks_itself_is_quoted_with_its_answer():
    faq = (
        "## Frequently asked questions\n\n"
        "Can Acme Vault run in an air-gapped environment without any internet access?\n\n"
        "Yes: pull the image from your private registry and reach the object store through VPC endpoints, so "
        "that every connection stays inside the private network and nothing is fetched from the internet.\n\n"
        "How do I back up the database?\n\nTake a nightly snapshot of the PostgreSQL volume."
    )
    said = answering_sentences([faq], "can acme vault run fully air-gapped, no internet?")
    assert said[0].text.endswith("Can Acme Vault run in an air-gapped environment without any internet access?")
    assert any("VPC endpoints" in q.text for q in said)  # the answer, not only the question


def test_the_first_sentence_under_a_heading_that_asks_is_the_pages_answer_to_it():
    # The rep's words ("mid month", "start failing") match a later sentence better; the heading asks the question
    # the rep asks, and the sentence right under it answers it.
    faq = (
        "Tests recorded to the cloud run as normal when the limit is reached, but parallelization is disabled and "
        "new results are hidden until the plan is upgraded.\n\n"
        "The usage cycle resets at the start of each billing period, which is monthly on most plans."
    )
    other = "Runs can be cancelled when a test fails, so a failing CI build stops early."
    question = "customer hit their test result limit mid month. does their CI start failing??"
    heading = "FAQ › What happens once I reach the test results limit?"
    said = answering_sentences([faq, other], question, headings=[heading, "Auto cancellation"])
    assert "parallelization is disabled" in said[0].text
    continued = "…the previous part.\n\n" + faq  # a chunk that goes on from another: its first line is no answer
    said = answering_sentences([continued, other], question, headings=[heading, "Auto cancellation"])
    assert "parallelization is disabled" not in said[0].text


def test_bold_words_that_open_a_line_are_prose_not_a_list_item():
    text = (
        "Cypress Cloud has five roles that control what a user can see and change:\n"
        "**Viewer** (read-only access), **Member** (the everyday developer role), **Team\n"
        "Admin** (manages their own projects), **Org Admin** (manages all users), and **Org\n"
        "Owner** (full control, including billing).\n\n- A list item."
    )
    said = answering_sentences([text], "list of RBAC roles in cypress cloud for a security questionnaire")
    assert "Viewer (read-only access)" in said[0].text and "Org Admin (manages all users)" in said[0].text


def test_a_question_for_which_of_a_kind_there_are_lists_the_rows_of_a_table_of_them():
    roles = (
        "| Role | Abilities |\n|---|---|\n| Viewer | View flow runs. <br /> View deployments. |\n"
        "| Runner | All Viewer abilities, plus run deployments. |\n| Developer | Create and edit deployments. |"
    )
    listed = "Role: Viewer, Runner, Developer"
    assert table_listing(roles, "what are the out of the box workspace roles in RBAC") == listed
    assert table_listing(roles, "can a Runner edit deployments?") is None  # one role, asked about by name
    assert table_listing(roles, "does the roles endpoint need auth?") is None  # "roles" is not what is asked
    assert table_listing(roles, "which port for the controller's roles api?") is None  # a port is asked for
    plans = "| Plan | SSO | Audit logs |\n|---|---|---|\n| Free | No | No |\n| Enterprise | Yes | Yes |"
    assert table_listing(plans, "which plans have SSO?") is None  # some of the rows, not all of them
    said = _answer([passage("c1", roles)], ToolCallPart("search_knowledge", {"query": "which roles are built in?"}))
    assert said["text"].startswith("*Role: Viewer, Runner, Developer*")


def test_a_table_cell_needs_a_column_that_names_something_the_row_does_not():
    table = "| Setting | Description |\n|---|---|\n| LDAP domain | The LDAP login domain |\n"
    assert table_cell(table, "does ldap login work on saas") is None
    sla = "| Priority | Premium Support |\n|---|---|\n| P1 | 30 minutes, 24/7 |\n"
    assert table_cell(sla, "p1 response with premium support") == "P1, Premium Support: 30 minutes, 24/7"


def test_when_the_question_names_a_row_of_a_table_the_other_rows_are_not_quoted():
    sla = (
        "| Priority | Definition | Standard | Premium Support |\n|---|---|---|---|\n"
        "| P1 | Production down | 2 business hours | 30 minutes, 24/7 |\n"
        "| P4 | Feature request | Best effort | 5 business days |\n"
    )
    call = ToolCallPart("search_knowledge", {"query": "what is the P1 response time with premium support?"})
    answer = _answer([passage("a", sla, "SLAs")], call)["text"]
    assert answer.splitlines()[0] == "*P1, Premium Support: 30 minutes, 24/7*"
    assert "P1: Definition Production down" in answer and "P4" not in answer


def test_a_row_labelled_with_a_number_is_named_only_by_that_number():
    sizes = (
        "| Worker Size | Worker Memory | Disk |\n|---|---|---|\n"
        "| 0.1 vCores | 1 GB | 8 GB |\n| 1 vCore | 4 GB | 12 GB |\n| 16 vCores | 64 GB | 328 GB |\n"
    )
    named = ToolCallPart("search_knowledge", {"query": "how much worker memory does the 1 vCore worker size have?"})
    assert _answer([passage("a", sizes, "Workers")], named)["text"].startswith("*1 vCore, Worker Memory: 4 GB*")
    # "1.0" is a version, not the 0.1 vCores row (its digits are not its number): no cell leads, the rows are quoted.
    biggest = ToolCallPart("search_knowledge", {"query": "whats the biggest worker size on 1.0 and its memory?"})
    answer = _answer([passage("a", sizes, "Workers")], biggest)["text"]
    assert not answer.startswith("*") and "16 vCores" in answer
    versions = "| Linkerd | Gateway API |\n|---|---|\n| 2.16 - 2.17 | 1.0.0 |\n| 2.18 - 2.19 | 1.1.1 - 1.2.1 |\n"
    asked = "which Gateway API versions work with linkerd 2.19?"
    assert table_cell(versions, asked) == "2.18 - 2.19, Gateway API: 1.1.1 - 1.2.1"  # one of its numbers names a range


def test_a_cell_leads_only_when_the_question_names_most_of_its_row_and_column_and_its_row_answers():
    consent = (
        "| Topic | Ory's role | Your role |\n|---|---|---|\n"
        "| Consent required for third-party marketing | You can store consent | You collect it |\n"
    )
    assert table_cell(consent, "how often does ory get third-party pen tested?") is None  # one word of five
    ports = (
        "| Protocol | Standard ports | In default list? |\n|---|---|---|\n"
        "| **PostgreSQL** | 5432 | Yes |\n| Redis | 6379 | Yes |\n| [NATS](https://nats.io) | 4222 | No |\n"
    )
    question = "are postgres, redis and nats ports opaque by default? standard ports for redis?"
    assert table_cell(ports, question, rows={"Redis"}) == "Redis, Standard ports: 6379"
    assert table_cell(ports, question, rows={"PostgreSQL"}) is None  # "postgres" is not the row's word
    # The rows the question names stay in the answer beside the cell's; the row's label reads without markup.
    call = ToolCallPart("search_knowledge", {"query": question})
    answer = _answer([passage("a", ports, "Protocol detection")], call)["text"]
    assert "NATS: Standard ports 4222" in answer and "**" not in answer


def test_a_notice_marker_is_not_quoted():
    text = readable('!!! warning "Heads up"\n    Rotate keys yearly.\n!!!!! Webhooks are only in Enterprise.')
    assert "!!" not in text and "Heads up" not in text
    assert "Rotate keys yearly." in text and "Webhooks are only in Enterprise." in text


def test_the_answer_leads_with_the_best_sentence_and_cites_its_passage_first():
    call = ToolCallPart("search_knowledge", {"query": "sso session timeout - default and max?"})
    answer = _answer([passage("a", OVERVIEW, "Overview"), passage("b", SESSIONS, "Single sign-on")], call)
    assert answer["cited"][0] == "b"
    first = answer["text"].splitlines()[0]
    assert first.startswith("> ") and "12 hours" in first and first.endswith("— _Single sign-on_")


def test_amounts_in_documents_are_never_quoted():
    prices = "Enterprise costs $1,600 per seat per year. Enterprise includes SSO and audit logs."
    call = ToolCallPart("search_knowledge", {"query": "what does enterprise include"})
    answer = _answer([passage("p", prices, "Price list")], call)
    assert "$1,600" not in answer["text"] and "audit logs" in answer["text"]


def test_a_list_under_its_lead_in_is_quoted_as_one_sentence():
    text = (
        "Prices are always in US dollars, but invoices\ncan also be sent in the following currencies:\n\n"
        "-   Australian dollars\n-   Euros\n\n-   Pounds sterling\n\nInvoices use the exchange rate of their date.\n"
    )
    said = answering_sentences([text], "can we get our invoices in pounds sterling rather than dollars?")
    assert said[0].text.endswith("following currencies: Australian dollars; Euros; Pounds sterling.")
    numbered = "To move a workspace to another region:\n\n1. Pause the workspace\n2. Pick the region\n3) Resume it\n"
    said = answering_sentences([numbered], "how do we move a workspace to another region?")
    assert said[0].text == "To move a workspace to another region: Pause the workspace; Pick the region; Resume it."


def test_a_lead_in_names_the_items_of_a_list_of_longer_items():
    text = (
        "There are three types of roles for members in a workspace:\n\n"
        "- **Owner**: The owner of the workspace has full access and can do everything, including deleting it.\n"
        "- **Editor**: The editor of the workspace can create, edit, and delete collections and environments.\n"
        "- **Viewer** - The viewer of the workspace has read-only access and can run requests in the workspace.\n"
    )
    said = answering_sentences([text], "which member roles exist in a shared workspace?")
    assert said[0].text == "There are three types of roles for members in a workspace: Owner; Editor; Viewer."
    editor = answering_sentences([text], "can an editor delete collections?")
    assert editor[0].text.startswith("Editor: The editor of the workspace can create, edit, and delete")
    steps = (
        "To connect, set the following:\n\n"
        "- Paste the client ID that the identity provider gave you into the form on this page of settings.\n"
        "- Then save the form, and wait a minute or two for the connection to the provider to come up again.\n"
    )
    assert answering_sentences([steps], "how do we connect?")[0].text == "To connect, set the following:"  # no names


def test_which_plan_weighs_the_sentence_that_says_where_it_is_available(monkeypatch):
    from agents.offline import quoting

    sso = (
        "With Managed SSO your IdP replaces the login: there is no separate password for your staff.\n\n"
        "Managed SSO is part of the Enterprise Plus plan, and your admins set it up themselves.\n"
    )

    def scores(question: str) -> dict[str, float]:
        return {q.text.split()[0]: q.score for q in answering_sentences([sso], question)}

    asked = "can our IdP replace the login for all staff? which plan is that?"
    weighed = scores(asked)
    monkeypatch.setattr(quoting, "PLAN_BONUS", 0.0)
    unweighed = scores(asked)
    assert weighed["Managed"] > unweighed["Managed"] and weighed["With"] == unweighed["With"]
    monkeypatch.undo()
    plain = scores("can our IdP replace the login for all staff?")  # no plan asked for: no weight added
    monkeypatch.setattr(quoting, "PLAN_BONUS", 0.0)
    assert plain == scores("can our IdP replace the login for all staff?")


def test_the_same_sentence_in_two_overlapping_passages_is_quoted_once():
    sentence = "The bastion host is not reachable over SSH by anyone outside the operations team."
    said = answering_sentences([sentence, f"…tail of the page.\n\n{sentence}"], "can anyone ssh into the bastion host?")
    assert [q.text for q in said].count(sentence) == 1


def test_the_best_sentence_brings_the_rest_of_its_paragraph():
    text = (
        "Service volumes use full disk encryption with LUKS and a random key per volume. The key is never "
        "reused and is destroyed with the instance, so keys rotate with every upgrade. We use the LUKS2 "
        "default mode aes-xts-plain64:sha256 with a 512-bit key.\n\nBackups are stored in object storage."
    )
    said = answering_sentences([text], "what's the disk encryption on the service volumes? cipher details")
    assert any("512-bit key" in q.text for q in said)


def test_a_component_that_shows_a_label_reads_as_the_label():
    text = readable('1. Click <ConsoleLabel name="actions"/> > **Set IP allowlist**. <Optional />')
    assert "Click actions > Set IP allowlist" in " ".join(text.replace("**", "").split())


def test_a_question_in_a_deals_thread_is_answered_as_lto_ask_answers_it():
    from agents.offline.discovery_model import _answer as thread_answer

    internal = {**passage("b", SESSIONS, "Single sign-on", "Sessions"), "audience": "internal"}
    said = thread_answer("sso session timeout - default and max?", [passage("a", OVERVIEW, "Overview"), internal])
    lines = said.splitlines()
    assert lines[0] == ":books: _sso session timeout - default and max?_"
    assert lines[1].startswith("> ") and "12 hours" in lines[1]  # the best sentence, from the second passage
    assert lines[2] == "> — Single sign-on › Sessions (guide.md) · :lock: _Internal — don't forward_"
    nothing = thread_answer("sso session timeout?", [])
    assert "nothing relevant, so I won't guess" in nothing


def test_a_passage_that_begins_inside_a_code_block_keeps_the_prose_after_it():
    chunk = (
        "…PROXY_APP_URL=https://proxy.example\n```\n\nThe major environment variables:\n\n"
        "5. `DATA_ENCRYPTION_KEY`: A 32-character key used for encrypting sensitive data.\n\n"
        "```bash\nexport KEY=value\n"
    )
    text = readable(chunk)
    assert "32-character key" in text and "PROXY_APP_URL" not in text and "export KEY" not in text
    whole = readable("Intro.\n\n```yaml\nkey: value\n```\n\nAfter the block.")
    assert "Intro." in whole and "After the block." in whole and "key: value" not in whole


def test_a_quote_that_announces_what_it_leaves_out_says_so():
    dlb = (
        "To check which TLS versions the dedicated load balancer accepts, run this command against its endpoint:\n\n"
        "```bash\nopenssl s_client -connect dlb.example.com:443 -tls1_2\nopenssl s_client -connect "
        "dlb.example.com:443 -tls1_3\n```\n"
    )
    call = ToolCallPart("search_knowledge", {"query": "how do we check which tls versions the load balancer accepts?"})
    text = _answer([passage("c1", dlb, title="Load balancers")], call)["text"]
    assert "run this command against its endpoint: … — _Load balancers_" in text


def test_a_quote_names_the_heading_it_sits_under():
    # In reference pages the heading is the setting itself: "how fast does it notice?" is answered by
    # "refreshes ... every 5 minutes", under `refresh_interval`.
    ldap = "Authelia by default refreshes the user's profile and membership every 5 minutes."
    call = ToolCallPart("search_knowledge", {"query": "how often is group membership refreshed from ldap?"})
    answer = _answer([passage("a", ldap, "LDAP", "Options › `refresh_interval`")], call)["text"]
    assert answer.endswith("— _LDAP › refresh_interval_")
    same = _answer([passage("a", ldap, "LDAP", "LDAP")], call)["text"]
    assert same.endswith("— _LDAP_")
    linked = _answer([passage("a", ldap, "LDAP", "Sync › [Refresh](./refresh.md#interval)")], call)["text"]
    assert linked.endswith("— _LDAP › Refresh_")  # a linked heading reads as its words


def test_a_link_whose_words_hold_brackets_reads_as_its_words():
    text = readable("Run the [kopia policy set [target] --max-parallel-file-reads=#](../policy-set/) command.")
    assert text == "Run the kopia policy set [target] --max-parallel-file-reads=# command."


def test_template_shortcodes_and_quote_markers_are_not_quoted():
    hugo = '{{% alert title="Note" %}}\nRotated keys re-encrypt data.\n{{% /alert %}}\n'
    hugo += 'See [the guide]({{< ref "a.md" >}}).'
    text = readable(hugo)
    assert "{" not in text and "}" not in text and "%" not in text
    assert "Rotated keys re-encrypt data." in text and "See the guide." in text
    github = readable("> [!NOTE]\n> OneLogin may not let you save other fields.\nA > B stays.")
    assert "[!NOTE]" not in github and github.splitlines()[1] == "OneLogin may not let you save other fields."
    assert "A > B stays." in github


def test_a_one_line_command_that_a_sentence_announces_is_quoted_with_it():
    text = readable(
        "Update the CRDs to include the new schema:\n\n```bash\n$ velero install --crds-only | kubectl apply -f -\n"
        "```\n\nThen restart. See the [install guide][0].\n\nAdd these settings:\n\n```yaml\nkey: a\nother: b\n```\n"
    )
    assert "Update the CRDs to include the new schema: velero install --crds-only | kubectl apply -f -" in text
    assert "See the install guide." in text  # a reference-style link reads as its words
    assert "key: a" not in text  # a longer block is still left out


def test_how_long_prefers_the_sentence_that_states_a_duration():
    # The first sentence holds more of the question's words, and a number; only the second says how long.
    text = "Audit logs in the cloud are kept in 3 regions.\n\nAudit logs are kept for 90 days."
    best = answering_sentences([text], "how long are audit logs kept in the cloud?", most=1)
    assert best[0].text == "Audit logs are kept for 90 days."


def test_the_figure_a_question_asks_for():
    duration = figure_asked_for("how long are backups retained?")
    assert duration is not None and duration.search("kept for 14 days") and not duration.search("on 3 nodes")
    size = figure_asked_for("what's the max upload size?")
    assert size is not None and size.search("up to 5 GB") and not size.search("10 parts")
    assert figure_asked_for("how long does the key need to be?") is None  # a length, not how long it lasts
    assert figure_asked_for("how many seats?") is None  # any number answers

"""Answer, or say "I don't know": the decision weighs what the question names against the corpus."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from knowledge import lexical
from knowledge.answerability import EverydayWords, Support, Vocabulary, judge, lacking_answer, supplements, weigh
from knowledge.embeddings import STATIC_MINILM, make_embedder
from knowledge.english import frequent_words
from knowledge.ingest import ingest
from knowledge.search import retrieve
from knowledge.static_model import shipped_model

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knowledge"
TODAY = date(2026, 11, 1)
CORPUS = [
    "Single sign-on with SAML 2.0 through Okta or Entra ID on the Enterprise edition.",
    "Premium support answers a P1 incident within 30 minutes, 24/7.",
    "Vulnerabilities rated critical are patched within 7 days.",
    "Integration with Salesforce and SAP through the connector pack.",
]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.of(CORPUS)


@pytest.fixture(scope="module")
def everyday() -> EverydayWords:
    return EverydayWords(shipped_model().token_ids, frequent_words())


def concepts(question: str, vocabulary: Vocabulary, everyday: EverydayWords):
    return weigh(lexical.analyze(question), question, vocabulary, everyday)


def test_a_misspelling_and_an_abbreviation_of_corpus_words_are_repaired(vocabulary, everyday):
    assert vocabulary.repair("intergration") == lexical.stem("integration")
    assert vocabulary.repair("vulns") == lexical.stem("vulnerabilities")
    assert vocabulary.repair("27001") is None  # a number is not a misspelling of another number


def test_what_the_corpus_never_mentions_is_specific_and_everyday_words_are_context(vocabulary, everyday):
    weighted = {c.label: c for c in concepts("is there a huge Teradata connector", vocabulary, everyday)}
    assert weighted["teradata"].unknown and not weighted["huge"].unknown
    assert weighted["teradata"].weight > 3 * weighted["huge"].weight


def test_the_passage_must_hold_what_the_question_is_about(vocabulary, everyday):
    asked = concepts("do you have a teradata connector", vocabulary, everyday)
    support = judge(asked, [CORPUS[3]], closeness=0.55)
    assert not support.answers() and support.missing == ("teradata",)
    answered = judge(concepts("p1 response with premium support", vocabulary, everyday), [CORPUS[1]], 0.7)
    assert answered.answers() and answered.missing == ()


def test_a_passage_holding_everything_the_question_names_answers_even_when_far_in_meaning():
    assert Support(coverage=1.0, closeness=0.2, missing=()).answers()
    assert not Support(coverage=0.4, closeness=0.45, missing=()).answers()  # shared words, another subject


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, module_open_store):
    store = module_open_store(
        tmp_path_factory.mktemp("answerability") / "qdrant", embedder=make_embedder(STATIC_MINILM)
    )
    ingest([SAMPLE], store)
    return store


@pytest.mark.parametrize(
    ("question", "not_found"),
    [
        ("do we have a Teradata connector", "teradata"),
        ("what's our NPS score", "nps"),
        ("do we offer source-code escrow", "escrow"),
    ],
)
def test_questions_the_sample_knowledge_base_cannot_answer_get_nothing_and_say_what_is_missing(
    sample, question, not_found
):
    retrieval = retrieve(sample, question, today=TODAY)
    assert retrieval.passages == [] and not_found in retrieval.missing


def test_a_reworded_question_the_documents_answer_still_gets_its_passage(sample):
    retrieval = retrieve(sample, "whats the p1 response time w/ premium", today=TODAY)
    assert retrieval.passages and retrieval.passages[0].path == "product/sla-and-support.md"


def test_a_question_for_an_amount_or_an_uptime_figure_needs_passages_that_state_one(everyday):
    plans = ["Scale-Up adds audit logs and change requests; billing is monthly or yearly."]
    assert lacking_answer("how much is scale-up per month? list price pls", plans, everyday) == "a price"
    assert lacking_answer("how much is scale-up per month?", ["Scale-Up costs $45 a month."], everyday) is None
    assert lacking_answer("whats the uptime SLA on enterprise", plans, everyday) == "an uptime commitment"
    sla = ["Enterprise has a 99.99% monthly uptime SLA."]
    assert lacking_answer("whats the uptime SLA on enterprise", sla, everyday) is None
    assert lacking_answer("how much traffic do we lose to adblockers", plans, everyday) is None  # not a price
    assert lacking_answer("how much extra do they charge for audit logs?", plans, everyday) == "a price"
    assert lacking_answer("what's the per-node license fee?", plans, everyday) == "a price"
    assert lacking_answer("whats the per seat price on scale-up, monthly vs annual?", plans, everyday) == "a price"
    assert lacking_answer("what do their services cost?", plans, everyday) == "a price"
    assert lacking_answer("how much more memory does scale-up need?", plans, everyday) is None
    assert lacking_answer("is there a fee for audit logs?", plans, everyday) is None  # "no extra fee" answers it


def test_a_numbered_standard_must_be_the_one_the_passages_name(everyday):
    certified = ["Reports: SOC 2 Type II, ISO/IEC 27001:2022 certificate."]
    assert lacking_answer("does halyard have a SOC 1 type II?", certified, everyday) == "SOC 1"
    assert lacking_answer("is halyard certified to ISO 27701?", certified, everyday) == "ISO 27701"
    assert lacking_answer("can I get the SOC 2 report", certified, everyday) is None
    assert lacking_answer("are you ISO 27001 certified", certified, everyday) is None  # "ISO/IEC 27001"
    assert lacking_answer("we're on ECC 6 EHP8", ["SAP ECC 6.0 with EHP 7+ is supported."], everyday) is None
    assert lacking_answer("we manage 6 client sites", ["Agencies manage many client sites."], everyday) is None
    # the asker's own version is the scene, unless the part that asks refers back to it
    packages = ["RPM packages are built for RHEL 9 and Rocky Linux 9."]
    assert lacking_answer("our standard is RHEL 8 - is there an RPM package?", packages, everyday) is None
    assert lacking_answer("is there an RPM for RHEL 8?", packages, everyday) == "RHEL 8"
    assert lacking_answer("ISO 27701 cert - do we have it?", certified, everyday) == "ISO 27701"


def test_support_that_lacks_the_kind_of_answer_asked_for_does_not_answer(vocabulary, everyday):
    asked = concepts("p1 response with premium support", vocabulary, everyday)
    support = judge(
        asked, [CORPUS[1]], 0.9, question="what's the P1 uptime SLA with premium support", everyday=everyday
    )
    assert support.lacking == "an uptime commitment" and not support.answers()
    assert support.missing[0] == "an uptime commitment"  # what "I don't know" says was not found


def test_a_misspelled_question_is_compared_in_meaning_as_it_was_meant(vocabulary, everyday):
    assert vocabulary.respelled("servicenow intergration - exists?", everyday) == "servicenow integration - exists?"
    assert vocabulary.respelled("can we pay annually", everyday) == "can we pay annually"  # a word, not a typo


def test_shorthand_for_an_everyday_word_is_an_everyday_word():
    from knowledge.asked import unanswered_subject
    from knowledge.glossary import default_glossary

    shorthand = default_glossary().shorthand()
    assert shorthand["ppl"] == "people" and shorthand["diff"] == "difference" and shorthand["mgr"] == "manager"
    assert "fee" not in shorthand  # another word for pricing, not pricing written short
    reader = EverydayWords(shipped_model().token_ids, frequent_words(), shorthand)
    assert reader.general("diff") and reader.common("ppl")
    question = "whats the actual diff between BYOC and self-hosted?"
    assert unanswered_subject(question, ["diff"], reader) is None


def test_an_abbreviation_stands_for_the_commonest_corpus_term_it_begins():
    corpus = ["Deploy to production first.", "Production data stays in region.", "A prodigy of a release."]
    assert Vocabulary.of(corpus).repair("prod") == lexical.stem("production")  # not "prodigy", first in the alphabet


def test_a_number_in_a_compound_matches_its_word(vocabulary, everyday):
    asked = concepts("4-eyes approval for changes", vocabulary, everyday)
    support = judge(asked, ["Change requests add a four-eyes approval workflow for changes."], closeness=0.6)
    assert support.coverage == pytest.approx(1.0)
    assert lexical.analyze("4-eyes").terms["four"] < 1.0  # the spelled-out form joins the query at a lower weight


def test_a_further_passage_is_added_only_for_a_concept_the_first_ones_lack(vocabulary, everyday):
    asked = concepts("can the premium support P1 answer come within 30 minutes from salesforce", vocabulary, everyday)
    judged = [CORPUS[1]]
    further = ["Premium support covers P1.", CORPUS[3], "Salesforce and SAP through the connector pack, again."]
    assert supplements(asked, judged, further, most=2) == [1]  # the first holding "salesforce"; then nothing new
    assert supplements(asked, judged, further, most=0) == []
    assert supplements(asked, [CORPUS[1], CORPUS[3]], further, most=2) == []  # nothing lacking


def test_an_answer_may_draw_on_a_passage_below_the_first_five_when_it_holds_what_they_lack(sample):
    question = "pulling GL line items out of S/4 - ODP or SLT?"
    first = retrieve(sample, question, today=TODAY).passages
    assert len(first) == 5 and "product/connector-catalog.html" not in [p.path for p in first]
    widened = retrieve(sample, question, today=TODAY, further=2).passages
    assert 5 < len(widened) <= 7 and "product/connector-catalog.html" in [p.path for p in widened[5:]]


def test_a_question_for_how_many_needs_a_number_beside_the_thing_counted(everyday):
    plans = ["The Start-Up plan adds audit logs.\nUsers on the Start-Up plan get email support."]
    question = "how many user seats come with the start-up plan?"
    assert lacking_answer(question, plans, everyday) == "a number of user seats"
    wrapped = ["The Start-Up plan includes\n5 user seats; more can be added."]  # a hard-wrapped paragraph
    assert lacking_answer("how many user seats come with the start-up plan?", wrapped, everyday) is None
    unlimited = ["Projects: unlimited on every plan."]
    assert lacking_answer("is there a cap on how many projects we can have", unlimited, everyday) is None
    zones = ["Each region keeps its data in three availability zones, with backups tested yearly."]
    question = "within a region how many AZs is identity data replicated over"
    assert lacking_answer(question, zones, everyday) is None  # the glossary's other name for the thing counted
    assert lacking_answer(question, ["Identity data stays in its availability zones."], everyday) is not None


def test_a_requirement_a_limit_on_something_and_an_unsaid_thing_are_not_counts(everyday):
    sizing = ["| Resource | Minimum |\n| CPU | 2 CPU |\n| Memory | 4 GB |", "Sharding needs v1.37 or later."]
    assert lacking_answer("min specs for a PoC vm?", sizing, everyday) is None  # a requirement, not a count of specs
    assert lacking_answer("what minimum version do we need to shard?", sizing, everyday) is None
    ingestion = ["The ingestion API accepts batches of up to 1,000 events, at 100 requests per second."]
    assert lacking_answer("what are the limits on the ingestion api?", ingestion, everyday) is None
    assert lacking_answer("is there a cap on identities?", ingestion, everyday) == "a number of identities"
    cluster = ["A cluster of five controllers keeps accepting changes while three of them are up."]
    assert lacking_answer("in a 5 node cluster how many can go down?", cluster, everyday) is None
    managed = ["Each flow run gets 4 vCPUs and 16 GB of memory, and may run for up to 24 hours."]
    assert lacking_answer("is there a max runtime on managed infra?", managed, everyday) is None  # a duration


def test_availability_asks_for_uptime_only_beside_a_commitment(everyday):
    staged = ["Early availability features have lower support priority."]
    question = "are early availability features covered by the SLA same as GA?"
    assert lacking_answer(question, staged, everyday) is None
    assert lacking_answer("what availability do you guarantee?", staged, everyday) == "an uptime commitment"


def test_a_narrower_name_is_not_named_by_the_broader_term_it_implies(everyday):
    from knowledge.glossary import default_glossary

    corpus = [
        "Our HIPAA environment is for healthcare workloads that handle PHI.",
        "A business plan includes an associated support agreement.",  # the phrase's words, apart
    ]
    vocabulary = Vocabulary.of(corpus)
    question = "will you sign a BAA for the HIPAA environment?"
    asked = weigh(lexical.analyze(question, default_glossary()), question, vocabulary, everyday)
    support = judge(asked, corpus, closeness=0.6)
    assert "baa" in support.missing  # HIPAA pages are read for it, but none names a BAA
    assert next(c for c in asked if c.label == "baa").unknown  # nor does the corpus, its words only scattered


def test_a_word_written_in_capitals_is_a_name_not_everyday_english(vocabulary, everyday):
    weighted = {c.label: c for c in concepts("are we DORA compliant as an ICT provider", vocabulary, everyday)}
    assert weighted["dora"].unknown and weighted["ict"].unknown


def test_a_product_to_connect_to_that_the_corpus_never_names_is_what_is_asked(everyday):
    corpus = ["Integrations: alerts go to Slack and email. Single sign-on uses SAML 2.0 on every plan."]
    vocabulary = Vocabulary.of(corpus)

    def support(question: str) -> Support:
        return judge(weigh(lexical.analyze(question), question, vocabulary, everyday), corpus, 0.8, question=question)

    assert support("does it integrate with PagerDuty for alerts?").lacking == "pagerduty"
    customer = support("Our prospect Northwind asks whether single sign-on uses SAML")  # a customer is context
    assert customer.lacking is None and customer.answers()


def test_what_a_question_asks_about_must_be_in_the_passages(everyday):
    corpus = [
        "Single sign-on uses SAML 2.0 with Okta or Entra ID. Invoices are issued in USD and EUR.",
        "Backups are kept for 30 days. Support answers within one business day.",
    ]
    vocabulary = Vocabulary.of([*corpus, "We hold a SOC 2 report. Users can be provisioned with SCIM later."])

    def support(question: str) -> Support:
        weighted = weigh(lexical.analyze(question), question, vocabulary, everyday)
        return judge(weighted, corpus, 0.8, question=question, everyday=everyday)

    # Asked about, and no passage names it: after the verb that asks ("support SCIM", "invoiced in GBP", "sign a
    # BAA") or before what is wanted of it ("HITRUST certified").
    assert support("do you support SCIM provisioning from Okta?").lacking == "scim"
    assert support("can we be invoiced in GBP instead of USD?").lacking == "gbp"
    assert support("will you sign a BAA for the SSO setup?").lacking == "baa"
    assert support("Are you HITRUST certified? SSO and backups matter to us").lacking == "hitrust"
    assert support("is the government cloud FedRAMP High authorized?").lacking == "fedramp"  # a level between
    assert support("is the cloud ISO 27017:2015 certified?").lacking is not None
    # The asker's own circumstances are context, not what is asked.
    for question in (
        "we're a DoD contractor: does single sign-on work with Okta?",
        "for our DPIA: are invoices issued in EUR?",
        "they have 5mb payloads, how long are backups kept?",
    ):
        assert support(question).lacking is None, question
    # "Can we use X" asks about X; a choice between two things no passage names is no choice the passages answer.
    assert support("can we use Akeyless as the key store for backups?").lacking == "akeyless"
    assert support("can backups be kept in Wasabi or Backblaze?").lacking in {"wasabi", "backblaze"}
    assert support("are invoices issued in GBP or EUR?").lacking is None  # the passages name EUR


def test_without_a_general_english_vocabulary_every_word_would_look_specific():
    from knowledge.asked import unanswered_subject

    assert EverydayWords(None).knows_english is False
    assert unanswered_subject("do you support SCIM?", ["scim"], EverydayWords(shipped_model().token_ids)) == "scim"
    assert (
        unanswered_subject("do you support provisioning?", ["provisioning"], EverydayWords(shipped_model().token_ids))
        is None
    )


def test_the_askers_own_people_are_context_even_when_the_corpus_never_names_them(vocabulary, everyday):
    for question, name in (
        ("api rate limits on the connector? Initech's scripts hammer it", "initech"),
        ("does single sign-on work with Okta? ciso and cto both want it", "ciso"),
        ("our CISO asks: is Okta supported for single sign-on?", "ciso"),
    ):
        weighted = {c.label: c for c in concepts(question, vocabulary, everyday)}
        assert not weighted[name].unknown, question
    weighted = {c.label: c for c in concepts("does it integrate with Initech?", vocabulary, everyday)}
    assert weighted["initech"].unknown  # asked about, not context


def test_minutes_and_rate_limits_are_not_counts(everyday):
    plans = ["Usage is billed by the hour. The API allows 120 requests per minute."]
    assert lacking_answer("if I run it for 40 min what do I pay per hour?", plans, everyday) is None
    assert lacking_answer("api rate limits on cloud?", plans, everyday) is None
    assert lacking_answer("is there a limit on projects?", plans, everyday) == "a number of projects"


def test_a_rate_limit_is_answered_by_a_rate(everyday):
    limits = ["The Admin API allows 500 requests per minute per key."]
    about = ["The REST API is rate limited; clients should back off when throttled."]
    assert lacking_answer("whats the rate limit on the admin api?", limits, everyday) is None
    assert lacking_answer("what's the rate limit on the REST API?", about, everyday) == "a rate limit"
    assert lacking_answer("do staging projects get the same rate limits as prod?", about, everyday) is None
    table = ["| Route | Limit | Window |\n|---|---|---|\n| /api/v1/management/* | 100 requests | 1 minute |"]
    assert lacking_answer("whats the rate limit on the management API?", table, everyday) is None
    # the window in the header, the numbers in the rows
    windowed = ["Rate limits › By plan | Plan | API Requests (per minute) |\n|---|---|\n| Pro | 5,000 |"]  # as judged
    assert lacking_answer("api rate limit on Pro plan per minute?", windowed, everyday) is None
    seats = ["| Plan | Seats | Workspaces |\n|---|---|---|\n| Pro | 5 | 3 |"]
    assert lacking_answer("api rate limit on Pro plan per minute?", seats, everyday) == "a rate limit"


def test_what_or_which_names_what_is_asked(everyday):
    corpus = ["Backups are copied to a second region. Failover to the secondary region is manual."]
    vocabulary = Vocabulary.of([*corpus, "Premium support: P1 response within 30 minutes."])
    question = "what RPO and RTO do you commit to with backups in a second region?"
    support = judge(
        weigh(lexical.analyze(question), question, vocabulary, everyday),
        corpus,
        0.8,
        question=question,
        everyday=everyday,
    )
    assert support.lacking in {"rpo", "rto"} and not support.answers()
    question = "what's the recommended cpu/ram for backups?"  # two everyday words, not a name
    support = judge(
        weigh(lexical.analyze(question), question, vocabulary, everyday),
        corpus,
        0.8,
        question=question,
        everyday=everyday,
    )
    assert support.lacking is None


def test_a_misspelling_is_a_slip_of_the_keys_not_another_name(everyday):
    corpus = Vocabulary.of(["Attachments are synced from incidents.", "The graph view shows trust scores."])
    assert corpus.respell("attachmnts") == "attachments"
    assert corpus.respell("graphql") is None  # a name the corpus lacks, two letters longer than "graph"
    assert corpus.respelled("are you HITRUST certified?", everyday) == "are you HITRUST certified?"


def test_a_misspelled_question_finds_what_it_meant(sample):
    found = retrieve(sample, "do we sync attachmnts from service now incidents?", today=TODAY).passages
    assert found and found[0].path == "integrations/servicenow.md"


def test_which_asks_about_a_name_not_an_abbreviation_and_the_scene_is_context(everyday):
    from knowledge.asked import unanswered_subject

    assert unanswered_subject("which env vars show up in the project?", ["env"], everyday) is None
    assert unanswered_subject("what RPO do you commit to?", ["rpo"], everyday) == "rpo"
    assert unanswered_subject("whats the sev1 response time?", ["sev1"], everyday) == "sev1"
    scene = "customer wants three people with full SCIM rights on a team. how many owners can a team have?"
    assert unanswered_subject(scene, ["scim"], everyday) is None  # the scene, not what is asked
    assert unanswered_subject("do you support SCIM? we use Okta.", ["scim"], everyday) == "scim"


def test_where_data_goes_to_or_comes_from_is_what_is_asked_about(everyday):
    from knowledge.asked import unanswered_subject

    assert unanswered_subject("can we ship the audit log to Splunk?", ["splunk"], everyday) == "splunk"
    assert unanswered_subject("can keys be pulled from HashiCorp Vault?", ["hashicorp"], everyday) == "hashicorp"
    assert unanswered_subject("can the logger write Avro?", ["avro"], everyday) == "avro"
    assert unanswered_subject("can it stream events into Kinesis?", ["kinesis"], everyday) == "kinesis"
    # who asks, and a thing named after an article, are the scene
    assert unanswered_subject("question from Globex: is the API rate limited?", ["globex"], everyday) is None
    assert unanswered_subject("is a shared issuer fine from a security POV?", ["pov"], everyday) is None
    # where a thing is asks about the thing
    assert unanswered_subject("where's your subprocessor list?", ["subprocessor"], everyday) == "subprocessor"
    # a preposition after "in" is no thing asked about: "plug in for SSO" asks which providers, not whether SSO
    assert unanswered_subject("which identity providers can we plug in for SSO?", ["sso"], everyday) is None
    assert unanswered_subject("are invoices issued in GBP?", ["gbp"], everyday) == "gbp"
    # the asker's own tool is the other side of no choice: "Splunk or our SIEM" names neither for the passages
    assert unanswered_subject("can logs be streamed into Splunk or our SIEM?", ["splunk", "siem"], everyday) == "splunk"


def test_an_acronym_the_corpus_writes_out_is_searched_as_its_name(everyday):
    corpus = Vocabulary.of(
        [
            "The Enterprise Edition keeps audit logs in Postgres. Enterprise Edition adds SAML.",
            "Install the Enterprise Edition with Docker. The Community Edition is free.",
            "Does Mattermost support it? Disaster recovery is manual.",
        ]
    )
    assert corpus.spelled_out("EE") == "Enterprise Edition"
    assert (
        corpus.respelled("where do audit logs live in EE?", everyday)
        == "where do audit logs live in Enterprise Edition?"
    )
    assert corpus.spelled_out("CE") is None  # written out once: not enough to read an acronym as it
    assert corpus.spelled_out("DM") is None  # "Does Mattermost" opens a sentence; it is not a name
    assert corpus.respelled("is IT informed?", everyday) == "is IT informed?"  # "it", not a name's initials
    glossary_knows = lambda word: word == "DR"  # noqa: E731
    assert corpus.respelled("DR plan?", everyday, known=glossary_knows) == "DR plan?"


def test_a_products_one_word_name_is_read_from_its_initials_when_the_corpus_writes_it_often(everyday):
    pages = ["CloudHub keeps persistent queues encrypted at rest. Each CloudHub worker runs one app."] * 30
    corpus = Vocabulary.of([*pages, "Call UserInfo for the profile; UserInfo returns the email."])
    assert corpus.respelled("can we encrypt queues in CH?", everyday) == "can we encrypt queues in CloudHub?"
    assert corpus.spelled_out("UI") is None  # a code identifier the pages write a few times is no product's name


def test_the_letters_of_a_word_with_digits_are_not_an_acronym(everyday):
    corpus = Vocabulary.of(["Full Access is granted to owners. Full Access lets them manage Full Access tokens."])
    assert corpus.spelled_out("FA") == "Full Access"  # on its own, "FA" would read as the corpus's name
    assert corpus.respelled("if we enforce 2FA, what happens?", everyday) == "if we enforce 2FA, what happens?"
    assert corpus.respelled("FA for owners?", everyday) == "Full Access for owners?"


def test_a_question_that_asks_whether_we_can_do_something_asks_about_it(everyday):
    from knowledge.asked import unanswered_subject

    assert unanswered_subject("can we enforce MFA for magic-link logins?", ["mfa"], everyday) == "mfa"
    assert unanswered_subject("can admins configure an account lockout?", ["lockout"], everyday) == "lockout"
    assert unanswered_subject("they have 5mb payloads, is that ok?", ["5mb"], everyday) is None  # their doing
    assert unanswered_subject("can we require a 2nd approver?", ["2nd"], everyday) is None  # an ordinal


def test_an_everyday_word_the_word_pieces_split_is_still_general_english(everyday):
    from knowledge.asked import unanswered_subject

    pieces_only = EverydayWords(shipped_model().token_ids)
    for word in ("sandbox", "shortcut", "lag", "gotcha"):
        assert not pieces_only.general(word) and everyday.general(word), word  # split into pieces, yet English
    for word in ("scim", "graphql", "kubernetes", "okta"):
        assert not everyday.general(word), word  # jargon and names stay specific
    question = "is there a lag before a disabled user is locked out?"
    assert unanswered_subject(question, ["lag"], pieces_only) == "lag"
    assert unanswered_subject(question, ["lag"], everyday) is None


def test_how_many_times_counts_repetitions_not_things(everyday):
    webhooks = ["Failed deliveries are retried by a background worker. The default maximum retries per event is 3."]
    assert lacking_answer("if our endpoint is down, does it retry? how many times?", webhooks, everyday) is None
    assert lacking_answer("how many webhooks?", webhooks, everyday) == "a number of webhooks"


def test_a_glossary_aspect_the_question_asks_about_must_be_named(everyday):
    from knowledge.glossary import default_glossary

    corpus = ["Single sign-on works with any OpenID Connect identity provider, such as Okta or Google Workspace."]
    vocabulary = Vocabulary.of(corpus)

    def support(question: str) -> Support:
        asked = weigh(lexical.analyze(question, default_glossary()), question, vocabulary, everyday)
        return judge(asked, corpus, closeness=0.7, question=question, everyday=everyday)

    assert support("can staff log in with SAML through Okta?").lacking == "saml"  # the SSO page, but no SAML
    assert support("does single sign-on work with Okta?").answers()  # a kind of single sign-on: the page answers
    # Named as the scene, not asked about: the page on the term answers what is asked.
    assert support("we're moving off SAML. does single sign-on work with Okta?").lacking is None
    # One side of a choice: a page that names the other side answers which it is.
    assert support("saml or oidc w/ okta for single sign-on?").lacking is None


def test_service_credits_are_answered_only_where_a_page_names_them(everyday):
    from knowledge.glossary import default_glossary

    sla = ["The Enterprise plan comes with an SLA: 99.9% monthly uptime for the hosted service."]
    vocabulary = Vocabulary.of(sla)
    question = "are there service credits if the hosted service misses its SLA?"
    asked = weigh(lexical.analyze(question, default_glossary()), question, vocabulary, everyday)
    assert judge(asked, sla, closeness=0.8, question=question, everyday=everyday).lacking == "service credits"


def test_an_overage_is_answered_by_a_page_on_usage_beyond_the_quota(everyday):
    from knowledge.glossary import default_glossary

    usage = ["Each plan includes an egress quota. Usage beyond the quota is billed per GB at the end of the month."]
    other = ["Backups run daily and are kept for seven days on every paid plan; restores start from the dashboard."]
    vocabulary = Vocabulary.of([*usage, *other])
    question = "whats the overage rate for egress on pro?"
    asked = weigh(lexical.analyze(question, default_glossary()), question, vocabulary, everyday)
    assert judge(asked, usage, closeness=0.6, question=question, everyday=everyday).answers()


def test_how_long_is_answered_by_a_duration(everyday):
    audit = ["Audit logs record every change to policies and users, with who made it and when."]
    kept = ["Audit logs are kept for 90 days, then deleted."]
    assert lacking_answer("how long are audit logs retained?", audit, everyday) == "a duration"
    assert lacking_answer("how long are audit logs retained?", kept, everyday) is None
    assert (
        lacking_answer("how quickly is a leaver's access removed?", ["Access is removed immediately."], everyday)
        is None
    )


def test_who_the_customer_is_and_what_the_asker_says_around_the_question_are_the_scene():
    from knowledge.asked import in_scene

    scene = [
        ("Is it free or paid? Customer (Brightwell Logistics) wants to know before their POC.", "POC"),
        ("Prospect (FinServ, ~40 nodes) asks what happens to pods when a node dies", "FinServ"),
        ("Prospect (FinServ, ~40 nodes) asks what happens to pods when a node dies", "40"),
        ("What ports do we need open between nodes? firewall team needs a list", "firewall"),
        ("a broker-dealer prospect asks: is object locking WORM?", "broker-dealer"),
        ("max volumes per cluster? sizing for 2000 PVCs", "2000"),
    ]
    for question, label in scene:
        assert in_scene(label, question), (label, question)
    asked = [
        # The asking part refers back to the scene: the scene is what is asked about.
        ("Prospect needs WORM storage for SEC 17a-4. Does object locking meet that?", "WORM"),
        ("Is there a SOC 2 report for 40 users?", "2"),  # a standard's number, not a count
        ("nodes run RHEL 8 hosts, supported?", "8"),
        ("Can staff accounts be synced from LDAP?", "staff"),  # an account is not a customer
        ("EU prospect wants workspace data pinned to an EU region - possible?", "region"),  # a dash ends no sentence
        ("do you support SCIM? our IdP is Okta", "SCIM"),
    ]
    for question, label in asked:
        assert not in_scene(label, question), (label, question)


def test_the_scene_costs_little_where_no_passage_holds_it_and_counts_whole_where_one_does(vocabulary, everyday):
    question = "which editions get single sign-on? Salesforce team needs a list"
    weighted = {c.label: c for c in concepts(question, vocabulary, everyday)}
    scene = weighted["salesforce"]
    assert not scene.unknown and scene.absent_weight is not None and scene.absent_weight < scene.weight
    whole = [dataclasses.replace(c, absent_weight=None) for c in weighted.values()]
    # Without the scene in the passage, weighing it whole would leave far more of the question unanswered.
    scened, weighed_whole = judge(list(weighted.values()), [CORPUS[0]], None), judge(whole, [CORPUS[0]], None)
    assert scened.coverage > weighed_whole.coverage and "salesforce" not in scened.missing
    # With it, the scene counts like any concept the passage holds.
    both = CORPUS[0] + " " + CORPUS[3]
    salesforce_whole = [dataclasses.replace(c, absent_weight=None) if c is scene else c for c in weighted.values()]
    held = judge(list(weighted.values()), [both], None).coverage
    assert held == pytest.approx(judge(salesforce_whole, [both], None).coverage) and held > scened.coverage


def test_a_size_is_answered_by_a_size_and_a_size_is_not_a_count(everyday):
    faq = ["Messages have a maximum size, set with max_payload. The size is set to 1 MB by default."]
    about = ["A respondent can upload a file in a file upload question; admins choose the allowed file types."]
    assert lacking_answer("whats the default max message size and can we raise it?", faq, everyday) is None
    assert lacking_answer("whats the max file size a respondent can upload?", about, everyday) == "a size"
    assert lacking_answer("is there a size limit on uploads?", ["Uploads have no size limit."], everyday) is None


def test_a_number_after_a_protocol_is_a_port_wherever_the_passage_puts_it(everyday):
    turn = ["Some corporate networks allow only TCP connections using port 443, so TURN can listen there."]
    assert lacking_answer("proxy only lets TCP 443 out, will media work?", turn, everyday) is None
    assert lacking_answer("proxy only lets TCP 8443 out, will media work?", turn, everyday) == "TCP 8443"


def test_who_asks_before_the_question_is_the_scene_and_the_askers_customer_is_never_the_subject():
    from knowledge.asked import asker, in_scene

    question = "Prospect in banking asks: when we mask an input field, is the raw value sent?"
    assert in_scene("banking", question) and in_scene("asks", question)
    assert not in_scene("mask", question) and not in_scene("raw", question)
    assert asker("prospect") and asker("customers") and not asker("custom")


def test_how_long_a_thing_must_be_asks_for_a_length_not_a_duration(everyday):
    keys = ["The encryption key must be at least 20 characters; 64 or more are recommended."]
    question = "how long does the storage encryption key need to be? min + recommended"
    assert lacking_answer(question, keys, everyday) is None
    assert lacking_answer("how long should passwords be?", keys, everyday) is None
    assert lacking_answer("how long are the keys kept?", keys, everyday) == "a duration"


def test_an_ordinal_is_context_like_a_quantity(vocabulary, everyday):
    weighted = {c.label: c for c in concepts("can we keep a 2nd copy offsite", vocabulary, everyday)}
    assert not weighted["2nd"].unknown and weighted["2nd"].weight < weighted["offsite"].weight


def test_conversational_filler_names_nothing_to_find():
    # "is Pro still a thing?" asks about Pro; "q:" only marks a question
    assert lexical.tokens("pentest q: is Pro still a thing? basically any stuff") == ["pentest", "pro"]


def test_an_irregular_past_form_meets_its_verb():
    # "how long do you keep login history?" is answered by "events are kept for 14 days"
    assert lexical.tokens("events are kept, held and written") == lexical.tokens("event is keep, hold and write")


def test_chat_shorthand_reads_as_the_word_it_stands_for(everyday):
    from knowledge.glossary import default_glossary

    webhooks = ["Webhooks can require authentication: only a service account with a Pro plan may call them."]
    proxy = ["Put the server behind a proxy with basic auth. An org manager can add users to the account."]
    vocabulary = Vocabulary.of([*webhooks, *proxy])  # the corpus writes "auth" too, so it is no misspelling
    question = "can inbound webhooks require auth? dont want random ppl triggering flows"
    asked = weigh(lexical.analyze(question, default_glossary()), question, vocabulary, everyday)
    assert judge(asked, webhooks, closeness=0.7, question=question, everyday=everyday).lacking is None
    question = "who can add a user to the acct? is the org mgr enough"
    asked = weigh(lexical.analyze(question, default_glossary()), question, vocabulary, everyday)
    assert not any(concept.unknown for concept in asked)  # "acct" and "mgr" are words the corpus says in full


def test_a_standard_named_with_its_number_that_the_corpus_never_names_is_not_answered(everyday):
    from knowledge.glossary import default_glossary

    pages = [
        "Upload the certificate and its key; the gateway presents the cert to clients.",
        "Keyring keys encrypt consumer secrets before they are stored.",
    ]
    vocabulary = Vocabulary.of(pages)
    question = "ISO 27001 cert - do we have it?"
    asked = weigh(lexical.analyze(question, default_glossary()), question, vocabulary, everyday)
    support = judge(asked, pages, closeness=0.9, question=question, everyday=everyday)
    assert support.lacking == "iso 27001" and not support.answers()
    question = "can we upload our own cert to the gateway?"  # no standard: the pages answer it
    asked = weigh(lexical.analyze(question, default_glossary()), question, vocabulary, everyday)
    assert judge(asked, pages, closeness=0.9, question=question, everyday=everyday).lacking is None


def test_a_currency_code_reads_as_the_currency_pages_name(everyday):
    from knowledge.glossary import default_glossary

    billing = ["Invoices can also be sent in the following currencies: Danish kroner; Euros; Norwegian kroner."]
    vocabulary = Vocabulary.of(billing)
    question = "norwegian prospect asks if their invoices can be in NOK rather than USD"
    asked = weigh(lexical.analyze(question, default_glossary()), question, vocabulary, everyday)
    assert judge(asked, billing, closeness=0.7, question=question, everyday=everyday).lacking is None

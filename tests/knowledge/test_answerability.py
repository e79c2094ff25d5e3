"""Answer, or say "I don't know": the decision weighs what the question names against the corpus."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge import lexical
from knowledge.answerability import EverydayWords, Support, Vocabulary, judge, weigh
from knowledge.embeddings import STATIC_MINILM, make_embedder
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
    return EverydayWords(shipped_model().token_ids)


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

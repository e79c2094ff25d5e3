"""The account brief a new lead's deal thread opens with: who they are (the CRM record), what they likely
need and which customer stories may be shared with them (the knowledge base), and questions for the first call.

Everything in it is retrieved or derived by rules, nothing is written by a model; only material whose
audience is public or customer-shareable is offered, since a rep may forward it to the prospect.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deals.qualification import Compliance, Qualification, assess
from integrations.crm.port import CrmAccount
from integrations.leads.models import Contact, LeadIn
from knowledge.models import Passage

logger = logging.getLogger(__name__)

SHAREABLE = frozenset({"public", "customer-shareable"})
MAX_TOPICS = 6  # clauses searched per lead: each is one retrieval
_CLAUSE = re.compile(r"[.;!?,\n]+")
NEEDS_SHOWN = 3
CASE_STUDIES_SHOWN = 2
# Industries whose usual compliance framework the first call should ask about by name.
INDUSTRY_COMPLIANCE: tuple[tuple[tuple[str, ...], Compliance], ...] = (
    (("health", "hospital", "clinic", "medical"), Compliance.HIPAA),
    (("payment", "fintech", "card", "retail", "e-commerce"), Compliance.PCI_DSS),
    (("government", "public sector", "federal"), Compliance.FEDRAMP),
)

Search = Callable[..., list[Passage]]


@dataclass(frozen=True)
class AccountBrief:
    company: str
    domain: str | None
    owner: str
    routing_rule: str
    territory: str | None
    segment: str | None
    crm: CrmAccount | None
    contact: Contact | None
    message: str | None
    needs: list[Passage] = field(default_factory=list)
    case_studies: list[Passage] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)


def shareable_passages(search: Search, query: str, **options: Any) -> list[Passage]:
    """Passages for `query` a prospect may read. Retrieval filters by audience where it can; a passage whose
    audience is missing or internal is dropped here either way, so a retrieval without audiences offers none."""
    try:
        found = search(query, audiences=set(SHAREABLE), **options)
    except TypeError as exc:
        if "audiences" not in str(exc):
            raise
        found = search(query, **options)
    return [passage for passage in found if getattr(passage, "audience", None) in SHAREABLE]


def _topics(lead: LeadIn, crm: CrmAccount | None) -> list[str]:
    """What the lead and the CRM say about the company's situation, clause by clause: retrieval answers a
    short, single-topic query; a paragraph naming one thing the knowledge base lacks would find nothing."""
    industry = lead.industry or (crm.industry if crm else None)
    texts = [lead.message, industry, crm.notes if crm else None]
    clauses = [clause.strip() for text in texts if text for clause in _CLAUSE.split(text)]
    return list(dict.fromkeys(clause for clause in clauses if len(clause) > 2))[:MAX_TOPICS]


def first_call_questions(lead: LeadIn, crm: CrmAccount | None) -> list[str]:
    """Discovery's first questions for a record that knows only the company, with the industry's usual
    compliance framework named when the industry suggests one."""
    questions = assess(Qualification(company=lead.company)).next_questions
    industry = " ".join(filter(None, [lead.industry, crm.industry if crm else None])).lower()
    framework = next((c for words, c in INDUSTRY_COMPLIANCE if any(w in industry for w in words)), None)
    if framework is not None:
        questions.append(f"Is {framework.value} in scope, and who signs off on it?")
    questions.append("Which systems hold the data today, and where must it land?")
    return questions


def account_brief(
    lead: LeadIn,
    *,
    crm: CrmAccount | None,
    search: Search,
    owner: str,
    routing_rule: str,
    territory: str | None,
    segment: str | None,
) -> AccountBrief:
    """The brief for a routed lead. `search(query, **options)` is the knowledge base's retrieval."""
    topics = _topics(lead, crm)
    found = [p for topic in topics for p in shareable_passages(search, topic, limit=NEEDS_SHOWN)]
    needs = _one_per_document([p for p in found if p.doc_type != "case_study"])[:NEEDS_SHOWN]
    stories = [p for topic in topics for p in shareable_passages(search, topic, doc_type="case_study", limit=2)]
    case_studies = _one_per_document(stories)[:CASE_STUDIES_SHOWN]
    return AccountBrief(
        company=lead.company,
        domain=lead.company_domain,
        owner=owner,
        routing_rule=routing_rule,
        territory=territory,
        segment=segment,
        crm=crm,
        contact=lead.contact,
        message=lead.message,
        needs=needs,
        case_studies=case_studies,
        questions=first_call_questions(lead, crm),
    )


def _one_per_document(passages: list[Passage]) -> list[Passage]:
    seen: set[str] = set()
    kept = []
    for passage in passages:
        if passage.path not in seen:
            seen.add(passage.path)
            kept.append(passage)
    return kept

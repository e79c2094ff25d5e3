"""Qualification facts from a rep's free text, by rules: what the offline model records each turn.

Each fact keeps the words it came from (evidence, for the audit trail). Negated mentions
("no HIPAA requirement") are not facts; corrected ones ("300 seats, not 250") keep the
correction. Text is data: nothing in it changes what the rules may record.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from agents.offline.dates import date_mentions
from agents.offline.lexicon import Matcher, lexicon
from agents.offline.quantities import amounts, seat_counts
from core.qualification import Money, Qualification, QualificationUpdate

_CLAUSE = re.compile(r"(?<=[.!?;])\s+|\n+|(?:^|\s)[•*-]\s+|\s+(?:but|however|whereas)\s+", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(?:no|not|don't|dont|doesn't|doesnt|didn't|isn't|aren't|won't|without|never|nor|neither|"
    r"no need for|not required|drop(?:ped)?|exclude|except|rather than|instead of|n't)\b[^.;,]*$",
    re.IGNORECASE,
)
_NEGATED_AFTER = re.compile(
    r"^[\s\w/-]{0,20}\b(?:not (?:needed|required|a requirement|in scope)|is out of scope)\b", re.I
)
_CORRECTION = re.compile(r"\b(?:actually|correction|scratch that|only|just|instead)\b", re.IGNORECASE)

_BUDGET_CUE = re.compile(
    r"\b(?:budget\w*|spend|allocated|approved|earmarked|set aside|funding for|can pay|cap(?:ped)?|ceiling|"
    r"up to|willing to|afford|range|ballpark|have about|have around|money)\b",
    re.IGNORECASE,
)
_NOT_BUDGET = re.compile(
    r"\b(?:revenue|ARR of the company|raised|series [a-e]|valuation|per seat|per user|each|list price|"
    r"discount|saved|savings|cost them|losing|lose|fine[sd]?|penalt)",
    re.IGNORECASE,
)
# Signing words outrank go-live words: "sign by March so they can start in April" closes in March.
_STRONG_CLOSE_CUE = re.compile(
    r"\b(?:sign\w*|clos\w*|decision|decide|PO\b|purchase|contract|paper|procure\w*|buy)\b", re.IGNORECASE
)
_CLOSE_CUE = re.compile(
    r"\b(?:go[- ]?live|live|launch|start|deadline|by|before|until|target\w*|timeline|timeframe|wrap|done|need it|"
    r"renewal|expires|cutover|in place)\b",
    re.IGNORECASE,
)
_SELF_CUED_DATE = re.compile(r"^(?:end of|the end of|EO[YQM]\b|by\b|before\b)", re.IGNORECASE)
_CLOUD = re.compile(r"\b(?:the cloud|cloud)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?;\n]+")
_NOT_CLOSE = re.compile(r"\b(?:call|meeting|demo|met|spoke|last|ago|founded|since|yesterday|today)\b", re.IGNORECASE)

_SELF_HOSTED = re.compile(
    r"\b(?:on[- ]?prem(?:ise|ises)?|self[- ]?hosted|self[- ]?managed|their own (?:data ?cent(?:er|re)s?|DCs?|"
    r"infrastructure|infra|kubernetes|k8s|cluster|cloud account|AWS account|VPC)|in their (?:own )?VPC|private cloud|"
    r"air[- ]?gapped|behind (?:their|the) firewall|customer[- ]hosted|bring your own cloud|BYOC)\b",
    re.IGNORECASE,
)
_SAAS = re.compile(
    r"\b(?:SaaS|cloud[- ]hosted|hosted by (?:us|you|Halyard)|(?:fully )?managed (?:service|cloud|offering)|"
    r"multi[- ]tenant|our cloud|your cloud|cloud is fine|cloud only|the cloud version|hosted version)\b",
    re.IGNORECASE,
)
_HYBRID = re.compile(r"\bhybrid\b|\bsome (?:on[- ]?prem|in the cloud)\b.*\bsome\b", re.IGNORECASE)

_SSO = re.compile(
    r"\b(?:SSO|single sign[- ]on|SAML|OIDC|log ?in with (?:Okta|Azure AD|Entra|Google|their IdP)|"
    r"(?:Okta|Azure AD|Entra ID|Ping) (?:login|auth|integration for login))\b",
    re.IGNORECASE,
)

_FIELD_CUES: dict[str, re.Pattern[str]] = {
    "pain": re.compile(
        r"\b(?:pain(?: point)?s?(?: is| are|:)|(?:they(?:'re| are)|we(?:'re| are)|customer is) (?:struggling|frustrated|"
        r"stuck|suffering) with|struggl\w+ with|the (?:main |big |core )?(?:problem|issue|challenge)(?: is|:)|problem:|"
        r"challenge:|their problem|biggest headache|bottleneck is)\s*(?P<v>[^.;\n]{6,220})",
        re.IGNORECASE,
    ),
    "metrics": re.compile(
        r"\b(?:success (?:means|is|looks like|=|criteria(?: is| are|:))|they(?:'ll| will)? measure|measured by|KPIs?(?: is| are|:)"
        r"|metrics?(?: is| are|:)|goal is to|want(?:s)? to (?:cut|reduce|get|bring)|target is to)\s*(?P<v>[^.;\n]{4,200})",
        re.IGNORECASE,
    ),
    "decision_process": re.compile(
        r"(?P<v>\b(?:decision (?:by|via|through|process|will be made|is made|committee)|committee|(?:after|following) "
        r"(?:a|the) (?:\d+[- ]week )?(?:POC|pilot|bake[- ]off|trial)|POC (?:then|first)|steps? (?:are|is|:)|"
        r"evaluation (?:process|plan))[^.;\n]{0,200})",
        re.IGNORECASE,
    ),
    "decision_criteria": re.compile(
        r"\b(?:decision criteria(?: is| are|:)?|criteria(?: is| are|:)|decid\w+ (?:based )?on|care(?:s)? most about|"
        r"evaluating (?:us |vendors )?on|must[- ]haves? (?:are|is|:))\s*(?P<v>[^.;\n]{4,200})",
        re.IGNORECASE,
    ),
    "paper_process": re.compile(
        r"(?P<v>\b(?:procurement (?:needs|requires|process|review|takes|will|has to|must|wants)|legal review|security review|"
        r"vendor (?:onboarding|assessment|risk)|security questionnaire|MSA|redlines?|paper process|infosec review|"
        r"third[- ]party risk)[^.;\n]{0,160})",
        re.IGNORECASE,
    ),
}
_ROLE = (
    r"(?:VP|SVP|EVP|Vice President|Head|Director|Chief \w+ Officer|C[EFTIO]O|CISO|CDO|Manager|Lead|Principal|"
    r"Architect|Engineer|Owner|President)(?: of)?[\w &/-]{0,40}"
)
_NAME = r"(?P<name>[A-Z][a-z]+(?:[ -][A-Z][a-z'’]+){1,2})"
_CONTACT = re.compile(
    rf"\b(?i:spoke (?:with|to)|call with|met with|meeting with|talked (?:with|to)|contact is|point of contact is|"
    rf"POC is|heard from|intro to|demo (?:with|for))\s+{_NAME}(?:\s*(?:,|\(|-|–|—|the|who is|,? their)\s*(?P<role>{_ROLE}))?",
)
_BUYER = re.compile(
    rf"(?:\b(?i:economic buyer)(?: is|:)\s*(?P<v1>[^.;\n]{{2,80}})|\b(?i:budget owner|signer|signatory)(?: is|:)\s*(?P<v2>[^.;\n]{{2,80}})"
    rf"|\b(?P<v3>(?:their |the )?(?:{_ROLE}|[A-Z][a-z]+ [A-Z][a-z]+(?: \([^)]*\))?))\s+(?:signs|will sign|signs off|owns the budget|"
    rf"holds the budget|has (?:the )?budget|approves|is the economic buyer|has final say|makes the call))",
)
_CHAMPION = re.compile(
    r"(?:\b(?i:champion)(?: is|:)\s*(?P<v1>[^.;\n]{2,80})|\b(?P<v2>[A-Z][a-z]+(?: [A-Z][a-z]+)?(?: \([^)]*\))?) is "
    r"(?:our|the|a strong|a) (?:champion|internal sponsor|sponsor)|\b(?P<v3>[A-Z][a-z]+(?: [A-Z][a-z]+)?) is pushing for us)",
)
_DISQUALIFY = re.compile(
    r"\b(?:went with|chose|picked|signed with|lost (?:it |the deal )?to|going with|decided on)\s+(?P<who>[A-Z]\w+)"
    r"|\b(?:no budget (?:this|next) year|project (?:is |was |got )?(?:cancel+ed|shelved|killed|dead|on hold indefinitely)"
    r"|not moving forward|closing (?:it|this) out|closed[- ]lost|not a (?:good )?fit|deal is dead|they(?:'re| are) out)\b",
    re.IGNORECASE,
)
_EMPLOYEE_CONTEXT = re.compile(
    r"\b(?:company|employees|staff|headcount|workforce|org|organisation|organization)\b", re.I
)


_QUESTION = re.compile(r"[^.!?\n]*\?")


class Extraction(BaseModel):
    update: QualificationUpdate = Field(default_factory=QualificationUpdate)
    evidence: dict[str, str] = Field(default_factory=dict, description="field -> the words it came from")
    disqualify_reason: str | None = None


def _clauses(text: str) -> list[tuple[int, str]]:
    """(offset, clause) pieces, split at sentences, bullets and contrast words."""
    pieces, start = [], 0
    for match in _CLAUSE.finditer(text):
        if match.start() > start:
            pieces.append((start, text[start : match.start()]))
        start = match.end()
    if start < len(text):
        pieces.append((start, text[start:]))
    return [(offset, piece) for offset, piece in pieces if piece.strip()]


def _clause_of(clauses: list[tuple[int, str]], position: int) -> tuple[int, str]:
    for offset, piece in clauses:
        if offset <= position < offset + len(piece):
            return offset, piece
    return 0, ""


def _negated(text: str, clauses: list[tuple[int, str]], start: int, end: int) -> bool:
    offset, clause = _clause_of(clauses, start)
    before = clause[: start - offset][-40:]
    after = clause[end - offset :][:40]
    return bool(_NEGATION.search(before)) or bool(_NEGATED_AFTER.match(after))


def _names(matcher: Matcher, text: str, clauses: list[tuple[int, str]]) -> tuple[list[str], list[str], str]:
    """(found, negated, evidence) for a lexicon category."""
    found: list[str] = []
    negated: list[str] = []
    evidence: list[str] = []
    for canonical, match in matcher.finditer(text):
        if _negated(text, clauses, match.start(), match.end()):
            if canonical not in negated:
                negated.append(canonical)
            continue
        if canonical not in found:
            found.append(canonical)
            evidence.append(match.group(0))
    return found, negated, ", ".join(evidence)


def _deployment(text: str, clauses: list[tuple[int, str]]) -> tuple[str | None, str]:
    def live(pattern: re.Pattern[str]) -> list[re.Match[str]]:
        return [m for m in pattern.finditer(text) if not _negated(text, clauses, m.start(), m.end())]

    hybrid, self_hosted, saas = live(_HYBRID), live(_SELF_HOSTED), live(_SAAS)
    cloud = live(_CLOUD)
    if hybrid or (self_hosted and (saas or cloud) and not _either_or(text)):
        first = (hybrid or self_hosted)[0]
        return "hybrid", first.group(0)
    if self_hosted:
        return "self_hosted", self_hosted[0].group(0)
    if saas:
        return "saas", saas[0].group(0)
    negated_saas = [m for m in _SAAS.finditer(text) if _negated(text, clauses, m.start(), m.end())]
    if negated_saas and not self_hosted:
        return "self_hosted", negated_saas[0].group(0)
    return None, ""


def _either_or(text: str) -> bool:
    return bool(re.search(r"\b(?:either|or)\b", text, re.IGNORECASE)) and not re.search(r"\band\b", text)


def _budget(text: str, clauses: list[tuple[int, str]]) -> tuple[Money | None, str]:
    candidates = []
    counts = seat_counts(text)
    for amount in amounts(text):
        offset, _ = _clause_of(clauses, amount.start)
        if any(c.start <= amount.start < c.start + len(c.text) for c in counts):
            continue
        after = text[amount.end : amount.end + 12].lower()
        if after.lstrip().startswith(("%", "percent", "seats", "users", "licen")):
            continue
        sentence = next((m.group(0) for m in _SENTENCE.finditer(text) if m.start() <= amount.start < m.end()), "")
        window = text[max(offset, amount.start - 60) : amount.end + 40]
        cue = bool(_BUDGET_CUE.search(window)) or bool(re.search(r"\bbudget", sentence, re.IGNORECASE))
        excluded = bool(_NOT_BUDGET.search(text[max(offset, amount.start - 40) : amount.end + 25]))
        if excluded and not cue:
            continue
        if amount.currency is None and not cue:
            continue
        candidates.append((cue, amount))
    if not candidates:
        return None, ""
    cued = [a for cue, a in candidates if cue]
    chosen = cued[-1] if cued else (candidates[0][1] if len(candidates) == 1 else None)
    if chosen is None:
        return None, ""
    value = chosen.value
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))  # "1.2M" is 1200000, not 1200000.0
    return Money(amount=value, currency=chosen.currency or "USD"), chosen.text


def _nearest_cue_is_strong(before: str) -> bool:
    cues = [(m.start(), True) for m in _STRONG_CLOSE_CUE.finditer(before)]
    cues += [
        (m.start(), False) for m in _CLOSE_CUE.finditer(before) if m.group(0).lower() not in ("by", "before", "until")
    ]
    return bool(cues) and max(cues)[1]


def _target_close(text: str, clauses: list[tuple[int, str]], today: date) -> tuple[date | None, str]:
    strong, weak = None, None
    for mention in date_mentions(text, today):
        offset, clause = _clause_of(clauses, mention.start)
        window = text[max(offset, mention.start - 50) : mention.start] + " " + mention.text
        if mention.value < today or _NOT_CLOSE.search(text[max(offset, mention.start - 25) : mention.start]):
            continue
        # The last cued date in the message wins (corrections come later); the cue nearest the
        # date decides whether it is a signing date or a go-live date.
        if _nearest_cue_is_strong(window[: -len(mention.text) - 1]):
            strong = mention
        elif _CLOSE_CUE.search(window) or _STRONG_CLOSE_CUE.search(clause) or _SELF_CUED_DATE.match(mention.text):
            weak = mention
    best = strong or weak
    return (best.value, best.text) if best else (None, "")


def _seats(text: str) -> tuple[int | None, str]:
    counts = seat_counts(text)
    using = [c for c in counts if c.using]
    if using:
        chosen = using[-1]
        return chosen.value, chosen.text
    others = [c for c in counts if not _EMPLOYEE_CONTEXT.search(c.text)]
    if others:
        return others[-1].value, others[-1].text
    return None, ""


def _cue_field(name: str, text: str) -> tuple[str | None, str]:
    match = _FIELD_CUES[name].search(text)
    if not match:
        return None, ""
    value = match.group("v").strip(" ,:-–—")
    return (value, match.group(0).strip()) if len(value) >= 4 else (None, "")


def _first_group(match: re.Match[str] | None, *names: str) -> str | None:
    if not match:
        return None
    for name in names:
        if match.groupdict().get(name):
            return match.group(name).strip(" ,.-")
    return None


def extract(text: str, *, today: date, known: Qualification | None = None) -> Extraction:
    """Facts the text states. `known` lets a correction of a list replace it instead of adding to it.

    Questions state nothing ("Do we sign a BAA on Business?"), so they are left out.
    """
    text = _QUESTION.sub(" ", text)
    clauses = _clauses(text)
    values: dict[str, Any] = {}
    evidence: dict[str, str] = {}
    replace: list[str] = []
    lex = lexicon()

    def put(field: str, value: Any, words: str) -> None:
        if value not in (None, [], ""):
            values[field] = value
            evidence[field] = words[:200]

    put("seats", *_seats(text))
    put("budget", *_budget(text, clauses))
    put("target_close", *_target_close(text, clauses, today))
    put("deployment", *_deployment(text, clauses))

    for field, matcher in (
        ("regions", lex.regions),
        ("compliance", lex.compliance),
        ("competitors", lex.competitors),
        ("integrations", lex.integrations),
        ("products_of_interest", lex.products),
    ):
        found, negated, words = _names(matcher, text, clauses)
        put(field, found, words)
        current = [str(getattr(v, "value", v)) for v in (getattr(known, field) if known else [])]
        if found and (negated or _CORRECTION.search(text)) and any(c not in found for c in current):
            if negated or re.search(r"\b(?:only|just)\b", text, re.IGNORECASE):
                replace.append(field)

    sso = [m for m in _SSO.finditer(text)]
    if sso:
        negated = all(_negated(text, clauses, m.start(), m.end()) for m in sso)
        put("sso_required", not negated, sso[0].group(0))
        if negated:
            values["sso_required"] = False

    for field in ("pain", "metrics", "decision_process", "decision_criteria", "paper_process"):
        put(field, *_cue_field(field, text))

    contact = _CONTACT.search(text)
    if contact:
        put("contact_name", contact.group("name"), contact.group(0))
        if contact.group("role"):
            put("contact_role", contact.group("role").strip(" ,.)"), contact.group(0))
    buyer = _BUYER.search(text)
    put("economic_buyer", _first_group(buyer, "v1", "v2", "v3"), buyer.group(0) if buyer else "")
    champion = _CHAMPION.search(text)
    put("champion", _first_group(champion, "v1", "v2", "v3"), champion.group(0) if champion else "")

    update = QualificationUpdate.model_validate({**values, "replace_lists": replace})
    disqualify = _DISQUALIFY.search(text)
    reason = (
        disqualify.group(0)
        if disqualify and not _negated(text, clauses, disqualify.start(), disqualify.end())
        else None
    )
    return Extraction(update=update, evidence=evidence, disqualify_reason=reason)

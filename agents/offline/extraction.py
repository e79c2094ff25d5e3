"""Qualification facts from a rep's free text, by rules: what the offline model records each turn.

`extract` composes the per-concern rules (quantities, dates, deployment, lexicon names,
people, narrative) into one `QualificationUpdate`, with the words each fact came from.

Lists: a mention adds a name unless it is negated ("no HIPAA requirement"), hedged ("may need
HIPAA later") or a question ("Do they need a BAA?"). A list is replaced instead of added to
when the message says which names are the whole set ("UK only", "only EU, not US") or takes
back names already recorded ("Matillion is out of the picture", "drop Marketo"); taking a
name back needs `known`, the record so far. Scalars are simply set: the merge lets the latest
message win, which is how corrections ("actually 300 seats, not 250") land.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from agents.offline import people
from agents.offline.clauses import (
    Clause,
    asked_about_us,
    clause_at,
    clauses,
    is_hedged,
    is_negated,
    without_questions,
)
from agents.offline.dates import target_close
from agents.offline.deployment import deployment, sso_required
from agents.offline.lexicon import Mention, lexicon
from agents.offline.narrative import narrative
from agents.offline.quantities import budget, seats
from deals.qualification import Budget, Qualification, QualificationUpdate


class Extraction(BaseModel):
    """What one message says: the update to apply, the words behind each fact, and whether the deal is dead."""

    update: QualificationUpdate = Field(default_factory=QualificationUpdate)
    evidence: dict[str, str] = Field(default_factory=dict, description="field -> the words it came from")
    disqualify_reason: str | None = Field(None, description="Set when the text says the deal is lost or dead.")
    lexicon_version: int = Field(0, description="Version of lexicon.yaml the names were matched with (audit).")


_CORRECTION = re.compile(
    r"\b(?:actually|correction|correcting|scratch that|update|updated|instead|rather|not|no longer|only|just|drop|remove)\b",
    re.IGNORECASE,
)
_ONLY_BEFORE = re.compile(r"\b(?:only|just|exclusively|solely)\s+(?:in\s+|for\s+)?(?:the\s+)?$", re.IGNORECASE)
_ONLY_AFTER = re.compile(r"^(?:[- ]only|\s+only)\b", re.IGNORECASE)
_LIST_JOIN = re.compile(r"^\s*(?:,|and|&|\+|/|or)\s*(?:the\s+)?$", re.IGNORECASE)

# A place where they met or travelled is not where their users or data are.
_NOT_WHERE_USERS_ARE = re.compile(
    r"\b(?:met(?: (?:them|him|her|up|the team))?|meeting|conference|summit|event|trade ?show|expo|offsite|dinner|lunch|"
    r"flew|flying|fly|trip|travel\w*|visit\w*|roadshow|booth)\s+(?:\w+\s+){0,2}?(?:in|to|at)\s+$",
    re.IGNORECASE,
)
_HQ = re.compile(r"\b(?:HQ|headquarter\w*|head office|based)\b", re.IGNORECASE)
_USERS_ARE = re.compile(
    r"\b(?:all|every)\b[^.;]{0,15}\b(?:users?|people|team|data)\b[^.;]{0,10}\b(?:are|is|sit|work|live)\b"
    r"|\b(?:users?|data)\b[^.;]{0,10}\b(?:are all|all are|only|must (?:stay|remain|live)|has to (?:stay|remain))\b",
    re.IGNORECASE,
)

# A vendor they already replaced is history, not a competitor in this evaluation.
_FORMER_VENDOR = re.compile(
    r"\b(?:ripped (?:it |them )?out|replaced|moved (?:away )?(?:off|from)|migrated (?:off|away from|from)|got rid of|"
    r"dropped|dumped|ditched|sunset|decommissioned|retired|churned from|left)\b[^.;]{0,40}"
    r"\b(?:last (?:year|quarter|month)|years? ago|months ago|previously|already|in 20\d\d)\b",
    re.IGNORECASE,
)

_DISQUALIFY = re.compile(
    r"\b(?:went with|going with|gone with|chose|picked|selected|signed with|lost (?:it |the deal |this one |out )?to|"
    r"decided (?:on|to go with)|awarded (?:it |the deal )?to|moving forward with)\s+(?P<who>[\w .-]{2,40})"
    r"|\b(?P<dead>closed[- ]lost|not moving forward|won'?t be moving forward|"
    r"project (?:is |was |got |has been )?(?:cancel+ed|shelved|killed|scrapped|dead|on hold indefinitely)|"
    r"(?:deal|opp(?:ortunity)?) is dead|no budget (?:this|next) year|closing (?:it|this|the deal) out|lost this one|"
    r"lost the deal|we lost|no longer interested|not a fit|they(?:'re| are) out)\b",
    re.IGNORECASE,
)
_OTHER_VENDOR = re.compile(
    r"^(?:another vendor|a competitor|someone else|the incumbent|in-?house|a home-?grown|building it|build(?:ing)? their own)",
    re.IGNORECASE,
)


def _values(mentions: list[Mention]) -> list[str]:
    return list(dict.fromkeys(value for mention in mentions for value in mention.values))


def _classify(
    mentions: list[Mention], text: str, parts: list[Clause], *, replacing_counts: bool = False, hedges: bool = False
) -> tuple[list[Mention], list[Mention]]:
    """(affirmed, denied) mentions."""
    affirmed, denied = [], []
    for mention in mentions:
        clause = clause_at(parts, mention.start)
        if is_negated(clause, mention.start, mention.end, replacing_counts=replacing_counts):
            denied.append(mention)
        elif hedges and is_hedged(clause, mention.start, mention.end):
            continue
        else:
            affirmed.append(mention)
    return affirmed, denied


def _only_set(text: str, mentions: list[Mention]) -> list[Mention]:
    """The names an "only" qualifies ("UK only", "only EU and UK", "us-only"), or []."""
    chosen: list[Mention] = []
    for index, mention in enumerate(mentions):
        before = text[max(0, mention.start - 25) : mention.start]
        after = text[mention.end : mention.end + 8]
        if "only" in mention.text.lower() or _ONLY_BEFORE.search(before) or _ONLY_AFTER.match(after):
            chosen.append(mention)
            # The names listed with it: "only EU and UK", "EU and UK only".
            for neighbour in mentions[index + 1 :]:
                if _LIST_JOIN.match(text[chosen[-1].end : neighbour.start]):
                    chosen.append(neighbour)
                else:
                    break
    for index in range(len(mentions) - 1, 0, -1):
        if mentions[index] in chosen and _ONLY_AFTER.match(text[mentions[index].end : mentions[index].end + 8]):
            for neighbour in reversed(mentions[:index]):
                if _LIST_JOIN.match(text[neighbour.end : mentions[index].start]) and neighbour not in chosen:
                    chosen.append(neighbour)
    return chosen


def _regions(text: str, parts: list[Clause]) -> tuple[list[Mention], list[Mention], bool]:
    """(affirmed, denied, exclusive) region mentions; exclusive when an "only" names the whole set."""
    mentions = lexicon().regions.find(text)
    kept = []
    users_elsewhere = [c for c in parts if _USERS_ARE.search(c.text)]
    for mention in mentions:
        clause = clause_at(parts, mention.start)
        if _NOT_WHERE_USERS_ARE.search(text[clause.start : mention.start]):
            continue
        # "HQ is in Singapore but all the users are in Sydney": the users' place, not the HQ.
        if _HQ.search(clause.text) and any(c is not clause for c in users_elsewhere):
            continue
        kept.append(mention)
    affirmed, denied = _classify(kept, text, parts)
    only = [m for m in _only_set(text, affirmed) if m in affirmed]
    if only:
        return only, denied + [m for m in affirmed if m not in only], True
    return affirmed, denied, False


def _compliance(text: str, parts: list[Clause], regions: list[str]) -> tuple[list[Mention], list[Mention]]:
    lex = lexicon()
    strong = lex.compliance.find(text)
    affirmed, denied = _classify(strong, text, parts, hedges=True)
    if strong:
        # "SOC 2 ✅ ISO ✅": a short form counts among other compliance names.
        taken = [(m.start, m.end) for m in strong]
        short = [m for m in lex.compliance_in_context.find(text) if not any(s <= m.start < e for s, e in taken)]
        more_affirmed, more_denied = _classify(short, text, parts, hedges=True)
        affirmed += more_affirmed
        denied += more_denied
    # "Patient data" means HIPAA only where HIPAA applies: not for a deal placed outside the US.
    if not regions or "US" in regions:
        weak_affirmed, weak_denied = _classify(lex.compliance_weak.find(text), text, parts, hedges=True)
        affirmed += weak_affirmed
        denied += weak_denied
    return affirmed, denied


def _list_update(
    field: str,
    affirmed: list[str],
    denied: list[str],
    known: Qualification | None,
    *,
    exclusive: bool,
    correcting: bool,
) -> tuple[list[str] | None, bool]:
    """(new value, replace?) for a list field."""
    current = [str(getattr(v, "value", v)) for v in getattr(known, field)] if known else []
    withdrawn = [name for name in denied if name in current and name not in affirmed]
    if exclusive and affirmed:
        return affirmed, True
    if withdrawn:
        kept = [name for name in current if name not in withdrawn]
        return kept + [name for name in affirmed if name not in kept], True
    if correcting and denied and affirmed and known is None:
        return affirmed, True  # "not US, EU": without the record, the message's own set is all we know
    return (affirmed or None), False


def _disqualify_reason(text: str, parts: list[Clause], competitors: list[Mention]) -> str | None:
    for match in _DISQUALIFY.finditer(text):
        clause = clause_at(parts, match.start())
        if is_negated(clause, match.start(), match.end()):
            continue
        if match["who"] is not None:
            who = match["who"]
            if re.match(r"(?:us|our|Halyard|you)\b", who, re.IGNORECASE):
                continue  # "they chose us over Boomi": a win
            named = any(match.start("who") <= c.start <= match.start("who") + 4 for c in competitors)
            if not named and not _OTHER_VENDOR.match(who):
                continue  # "going with SaaS", "chose us"
        return re.sub(r"\s+", " ", clause.text).strip(" .,;:-–—")[:200]
    return None


def extract(text: str, *, today: date, known: Qualification | None = None) -> Extraction:
    """The facts a rep's message states. `known` (the record so far) lets a message take names back."""
    text = without_questions(text)
    parts = clauses(text)
    lex = lexicon()
    values: dict[str, Any] = {}
    evidence: dict[str, str] = {}
    replace: list[str] = []

    def put(field: str, value: Any, words: str) -> None:
        if value not in (None, [], ""):
            values[field] = value
            evidence[field] = re.sub(r"\s+", " ", words).strip()[:200]

    competitors = [m for m in lex.competitors.find(text) if not _FORMER_VENDOR.search(clause_at(parts, m.start).text)]
    integrations = lex.integrations.find(text)
    # What they asked about us ("asked if we're FedRAMP authorized") is not what they require.
    asked = asked_about_us(text)

    def requirement(mention: Mention) -> bool:
        return not any(start <= mention.start < end for start, end in asked)

    count = seats(text, parts)
    if count:
        put("seats", count.value, count.text)
    money = budget(text, parts, [count.span] if count else [])
    if money:
        amount, currency = money
        put("budget", Budget(amount=amount.value, currency=currency), amount.text)
    close = target_close(text, parts, today)
    if close:
        put("target_close", close.value, close.text)
    how = deployment(text, parts, competitors + integrations)
    if how:
        put("deployment", *how)
    sso = sso_required(text, parts, asked)
    if sso is not None:
        values["sso_required"], evidence["sso_required"] = sso

    correcting = bool(_CORRECTION.search(text))
    region_yes, region_no, exclusive = _regions(text, parts)
    known_regions = [r.value for r in known.regions] if known else []
    compliance_yes, compliance_no = _compliance(text, parts, _values(region_yes) or known_regions)
    compliance_yes = [m for m in compliance_yes if requirement(m)]
    products = [m for m in lex.products.find(text) if requirement(m)]
    lists = {
        "regions": (region_yes, region_no, exclusive),
        "compliance": (compliance_yes, compliance_no, False),
        "competitors": (*_classify(competitors, text, parts, replacing_counts=True), False),
        "integrations": (*_classify(integrations, text, parts), False),
        "products_of_interest": (*_classify(products, text, parts, hedges=True), False),
    }
    for field, (yes, no, only) in lists.items():
        value, replaces = _list_update(field, _values(yes), _values(no), known, exclusive=only, correcting=correcting)
        if value is None:
            continue
        # An empty list is a value too when it replaces: "HIPAA is out of scope" empties compliance.
        values[field] = value
        evidence[field] = ", ".join(m.text for m in yes) or ", ".join(m.text for m in no)
        if replaces:
            replace.append(field)

    name, role, company = people.contact(text)
    company = company or people.company(text)
    for field, found in (
        ("contact_name", name),
        ("contact_role", role),
        ("company", company),
        ("economic_buyer", people.economic_buyer(text)),
        ("champion", people.champion(text)),
        *narrative(text).items(),
    ):
        if found:
            put(field, found.value, found.evidence)

    update = QualificationUpdate.model_validate({**values, "replace_lists": replace})
    return Extraction(
        update=update,
        evidence=evidence,
        disqualify_reason=_disqualify_reason(text, parts, competitors),
        lexicon_version=lex.version,
    )

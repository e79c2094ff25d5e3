"""Qualification facts from a rep's free text, by rules: what the offline model records each turn.

`extract` composes the per-concern rules (quantities, dates, deployment, lexicon names,
people, narrative) into one `QualificationUpdate`, with the words each fact came from.

Lists: a mention adds a name unless it is negated ("no HIPAA requirement"), hedged ("may need
HIPAA later", "maybe the UK, nothing decided") or a question ("Do they need a BAA?"). A list is
replaced instead of added to when the message says which names are the whole set ("UK only",
"only EU, not US") or takes back names already recorded ("Matillion is out of the picture",
"drop Marketo"); taking a name back needs `known`, the record so far. Scalars are simply set:
the merge lets the latest message win, which is how corrections ("actually 300 seats, not 250")
land; `known` also lets a bare number or date correct the one recorded ("make that 320", "not
Q1, more like Q2").

Facts taken back ("ignore the 150k", "forget the POC", "the 500 was headcount, not users", "Raj
left the company", "SCIM isn't decided") go in the update's `cleared` (agents/offline/retractions.py):
the record no longer knows them.

Vendors: a vendor they pay today or are replacing ("ripping out Boomi", "they pay Fivetran
~$250k/yr", "moving off Talend") is an incumbent; one in the evaluation ("evaluating us against
Snowflake and Databricks", "Fivetran also in the mix") a competitor; one they used before and
left ("tried Stitch in 2024 and dropped it") neither. Identity providers (Okta, Azure AD = Microsoft
Entra ID, Google Workspace for login, Ping for SSO) are the identity provider, not integrations.
Products include the edition the requirements imply (HIPAA or a BAA: the only edition that covers
HIPAA; FedRAMP: the Government edition; self-hosted: the edition offered self-hosted and the
self-hosted runtime), per the governed catalog.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
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
from agents.offline.dates import key_dates
from agents.offline.deployment import deployment, scim_required, sso_required
from agents.offline.lexicon import Lexicon, Mention, lexicon
from agents.offline.narrative import narrative, poc_success_criteria
from agents.offline.quantities import (
    budget,
    currency_correction,
    payment_terms,
    poc_weeks,
    replaces,
    seat_reading,
)
from agents.offline.retractions import retractions
from deals.qualification import Budget, Qualification, QualificationUpdate
from integrations.cpq.catalog import Catalog, load_catalog


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
# "UK only", "US-only", "NA users only", "the EU business only": the noun between is what is limited to the place.
_ONLY_AFTER = re.compile(
    r"^(?:\s+(?:business|operations|entity|entities|team|teams|users|staff|side|org|subsidiary|market|stores|offices|"
    r"sites|data|customers|employees|people|rollout|deployment))?(?:[- ]only|\s+only)\b",
    re.IGNORECASE,
)
# Another company's place is not this deal's: "their parent company already uses us in the US".
_ANOTHER_COMPANY = re.compile(
    r"\b(?:parent(?: company| group| org\w*)?|sister (?:company|brand)|holding company|group company|"
    r"(?:another|other) (?:customer|client|company)|(?:a |our )?reference customer)\b",
    re.IGNORECASE,
)
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
    r"\b(?:last (?:year|quarter|month)|years? ago|months ago|previously|already|in 20\d\d)\b"
    # "tried Stitch back in 2024 and dropped it", "used Hevo a couple of years ago and gave up on it"
    r"|\b(?:tried|used|had|looked at|evaluated|piloted|trialed|trialled|ran)\b[^.;]{0,40}"
    r"\b(?:years? ago|months ago|last (?:year|quarter|month)|back in|in 20\d\d|previously|before)\b"
    r"|\b(?:gave up on|abandoned|was their old|were their old|used to (?:use|run|have|be on))\b"
    r"|\b(?:old|previous|former)\s+(?:vendor|tool|solution|platform|provider|system)\s+(?:was|is)\b",
    re.IGNORECASE,
)
# A vendor in place that we would replace: "ripping out Boomi", "moving off Talend", "currently on Matillion".
_INCUMBENT_BEFORE = re.compile(
    r"\b(?:replac(?:e|es|ing)|rip(?:ping)?(?: out)?|swap(?:ping)? out|mov(?:e|es|ing) (?:off|away from|off of)|"
    r"migrat(?:e|es|ing) (?:off|away from|from)|switch(?:es|ing)? (?:off|from|away from)|get(?:ting)? (?:off|rid of)|"
    r"sunset(?:ting)?|displac(?:e|es|ing)|pay(?:s|ing)?|(?:their|the) (?:current|existing|legacy|incumbent)|"
    r"incumbent(?: is)?|(?:currently|now|today) (?:on|using|use|uses|run|running|with|paying)|(?:they're|they are|are|is) (?:on|using|running)|"
    r"stuck (?:on|with)|renew(?:al|ing) (?:with|of)|contract with|want(?:s)? (?:off|out of)|instead of|rather than|"
    r"unhappy with|frustrated with|fed up with|hate|hates)\s+(?:their\s+|the\s+|it\s+)?(?:[\w-]+\s+){0,1}$"
    # "moved to Fivetran two years ago", "replaced Informatica with Fivetran": what they run now
    r"|\b(?:moved|switched|migrated|standardi[sz]ed) (?:over )?(?:to|on)\s+$|\b(?:replaced|swapped)\b[^.;]{0,30}\bwith\s+$"
    # "their current stack is MuleSoft", "they've been on Talend for years"
    r"|\b(?:their|the) (?:current|existing|legacy|incumbent) (?:[\w-]+\s+){0,2}?(?:is|=|:)\s*$"
    r"|(?:\bhave|\bhas|['’]ve|['’]s) been (?:on|using|running|with)\s+$"
    # "paying about $5k a month for Stitch", "they spend €120k a year on Talend"
    r"|\b(?:pay|pays|paying|spend|spends|spending)\b[^.;]{0,40}\b(?:for|on|to|with)\s+(?:their\s+|the\s+)?$",
    re.IGNORECASE,
)
_INCUMBENT_AFTER = re.compile(
    r"^(?:['’]s)?[^.;]{0,30}?\b(?:today|currently|right now|at the moment|contract (?:ends|expires|is up|runs out|renews)|"
    r"renewal|licen[cs]e (?:ends|expires|is up)|is the incumbent|is what they (?:use|have|run)|costs? them|bill|"
    r"is being replaced|is going away|on the way out|has to go|needs to go|is not keeping up|isn['’]t keeping up)\b"
    r"|^\s*(?:renewal|contract|licen[cs]e|subscription)\b",
    re.IGNORECASE,
)
# "Fivetran (incumbent)", "Talend (current)": a label in parentheses.
_INCUMBENT_LABEL = re.compile(
    r"^\s*\(\s*(?:the\s+)?(?:incumbent|current(?: vendor| tool)?|legacy|existing|today|in place)\s*\)", re.I
)
# A vendor they use and keep is neither: "They use Workato for app integrations and are fine keeping it".
# So is one we would feed: "they run Confluent Cloud today and want us for CDC from Oracle into it".
_KEPT = re.compile(
    r"\b(?:fine keeping|keeping it|keep(?:ing)? using|stay(?:ing)? on|not replacing|no plans to replace|"
    r"(?:into|alongside|on top of|next to|feeding|feed) (?:it|them))\b",
    re.I,
)
_VENDOR_LIST_JOIN = re.compile(
    r"^\s*(?:,|and|&|\+|/|or|as well as|plus)\s*(?:also\s+)?(?:(?:some|their|the|all|a few|any|most)\s+)?"
    r"(?:of\s+(?:their|the)\s+)?$",
    re.IGNORECASE,
)
# An evaluation: names here are competitors even when the lexicon knows them as integrations.
_COMPETING = re.compile(
    r"\b(?:vs\.?|versus|against|bake[- ]?off|shortlist\w*|competitors?|competing|comparing|compared|evaluating|"
    r"evaluation|in the mix|in the running|other option|alternatives?|also looking at|looking at)\b",
    re.IGNORECASE,
)
_US = re.compile(r"\b(?:us|Halyard|our product|we)\b")
# Where users sign in: the clause says so ("Ping for SSO", "Google Workspace for login").
_IDP_CONTEXT = re.compile(
    r"\b(?:SSO|single sign[- ]on|SAML|OIDC|log ?ins?|logs? in|sign[- ]?ins?|signs? in|auth\w*|IdP|identity|directory|"
    r"SCIM|MFA|2FA|accounts?|provisioning)\b",
    re.IGNORECASE,
)
_IDP_FORMER_AFTER = re.compile(
    r"^[^.;]{0,25}?\b(?:was their old|was the old|is the old|was their previous|previously|used to|anymore|any more|"
    r"is going away|being replaced|is out|before)\b",
    re.IGNORECASE,
)
_IDP_FORMER_BEFORE = re.compile(
    r"\b(?:moved|migrated|migrating|moving|switched|switching|went)\s+(?:\w+\s+){0,2}?(?:off(?: of)?|away from|from)\s+$"
    r"|\bused to (?:be on|use|have)\s+$|\b(?:old|previous|former)\s+(?:IdP\s+)?(?:was\s+)?$",
    re.IGNORECASE,
)
# A place people left is not where users are: "the Dublin team moved to the US", "moved from London to ...".
_LEFT_PLACE_AFTER = re.compile(
    r"^\s*(?:team|office|folks|people|staff|users|employees|entity|subsidiary|site|hub)\s+(?:has |have |is |are |was |were )?"
    r"(?:moved|relocated|moving|relocating|closed|closing|shut|was sold|is being sold|consolidated|merged)\b",
    re.IGNORECASE,
)
_LEFT_PLACE_BEFORE = re.compile(
    r"\b(?:moved|relocated|moving|relocating|migrat\w+|consolidat\w+|closed)\s+(?:\w+\s+){0,3}?(?:from|out of)\s+(?:the\s+)?$",
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
        after = text[mention.end : mention.end + 30]
        if "only" in mention.text.lower() or _ONLY_BEFORE.search(before) or _ONLY_AFTER.match(after):
            chosen.append(mention)
            # The names listed with it: "only EU and UK", "EU and UK only".
            for neighbour in mentions[index + 1 :]:
                if _LIST_JOIN.match(text[chosen[-1].end : neighbour.start]):
                    chosen.append(neighbour)
                else:
                    break
    for index in range(len(mentions) - 1, 0, -1):
        if mentions[index] in chosen and _ONLY_AFTER.match(text[mentions[index].end : mentions[index].end + 30]):
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
        # The words leading to the place, from the clause's start or its last comma.
        lead = text[clause.start : mention.start]
        if _ANOTHER_COMPANY.search(lead[lead.rfind(",") + 1 :]):
            continue
        # "HQ is in Singapore but all the users are in Sydney": the users' place, not the HQ.
        if _HQ.search(clause.text) and any(c is not clause for c in users_elsewhere):
            continue
        if _LEFT_PLACE_AFTER.match(text[mention.end : mention.end + 40]) or _LEFT_PLACE_BEFORE.search(
            text[max(clause.start, mention.start - 50) : mention.start]
        ):
            continue
        kept.append(mention)
    affirmed, denied = _classify(kept, text, parts, hedges=True)
    # "EMEA-wide rollout but Middle East is out": a region group less the members taken out of it.
    taken_out = set(_values(denied))
    affirmed = [
        Mention(tuple(v for v in m.values if v not in taken_out), m.start, m.end, m.text)
        if len(m.values) > 1 and taken_out & set(m.values)
        else m
        for m in affirmed
    ]
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


_NOT_IN_EVALUATION = re.compile(
    r"\s+(?:is|was|are)?\s*(?:n['’]t|not|no longer)\s+(?:really\s+|actually\s+)?(?:(?:in|part of)\s+(?:the\s+)?"
    r"(?:eval\w*|running|mix|shortlist|bake[- ]?off|competition|race)|(?:a\s+)?(?:competitor|competing))\b",
    re.IGNORECASE,
)
_IT_IS_IN_PLACE = re.compile(
    r"\s*[-–—,;:.]*\s*(?:it['’]?s|it is|that['’]?s|they['’]?re|it was)\s+(?:actually\s+|really\s+)?"
    r"(?:what they (?:run|use|have|are on|pay for)|their (?:current|existing|legacy|incumbent)|the (?:incumbent|current)|"
    r"in place|what we(?:['’]d| would) replace)",
    re.IGNORECASE,
)


def _vendor_roles(
    text: str, parts: list[Clause], lex: Lexicon, known: Qualification | None
) -> tuple[list[Mention], list[Mention], list[Mention], list[Mention]]:
    """(competitor, incumbent, integration, in place) mentions, each vendor in the role its words give it; the
    last are incumbents said to be out of the evaluation, which does not deny them as incumbents."""
    integrations: list[Mention] = []
    vendors = list(lex.competitors.find(text))
    for mention in lex.integrations.find(text):
        clause = clause_at(parts, mention.start)
        before = text[clause.start : mention.start]
        # "evaluating us against Snowflake and Databricks": a warehouse vendor competing with us.
        if _COMPETING.search(before) and (_US.search(clause.text) or re.search(r"bake|shortlist|compet", before, re.I)):
            vendors.append(mention)
        else:
            integrations.append(mention)
    known_incumbents = {name.casefold() for name in known.incumbents} if known else set()
    competitors: list[Mention] = []
    incumbents: list[Mention] = []
    in_place: list[Mention] = []
    previous: Mention | None = None
    for mention in sorted(vendors, key=lambda m: m.start):
        clause = clause_at(parts, mention.start)
        # "replacing Dell Boomi and some PowerCenter jobs": a name listed with the one before takes its role.
        if previous is not None and _VENDOR_LIST_JOIN.match(text[previous.end : mention.start]):
            for role in (incumbents, competitors):
                if previous in role:
                    role.append(mention)
            previous = mention
            continue
        previous = mention
        before = text[max(clause.start, mention.start - 45) : mention.start]
        if _is_former(mention, clause, before):
            continue
        # "Boomi isn't in the eval - it's what they run today": out of the evaluation, in place today.
        out_of_eval = _NOT_IN_EVALUATION.match(text, mention.end)
        if out_of_eval and _IT_IS_IN_PLACE.match(text, out_of_eval.end()):
            incumbents.append(mention)
            in_place.append(mention)
            continue
        after = text[mention.end : min(clause.end, mention.end + 45)]
        competing = bool(_COMPETING.search(before))
        if _KEPT.search(clause.text) and not competing:
            continue
        if not competing and (
            _INCUMBENT_BEFORE.search(before)
            or _INCUMBENT_AFTER.match(after)
            or _INCUMBENT_LABEL.match(text[mention.end : mention.end + 30])
            or mention.values[0].casefold() in known_incumbents
        ):
            incumbents.append(mention)
        else:
            competitors.append(mention)
    return competitors, incumbents, integrations, in_place


def _is_former(mention: Mention, clause: Clause, before: str) -> bool:
    """A vendor they used and left: inside the words that say so, or right after / before them."""
    if re.search(r"\b(?:replaced|swapped)\b[^.;]{0,30}\bwith\s+$", before, re.IGNORECASE):
        return False  # "replaced Informatica with Fivetran": Fivetran is what they run now
    for match in _FORMER_VENDOR.finditer(clause.text):
        start, end = clause.start + match.start(), clause.start + match.end()
        if start <= mention.start < end or 0 <= mention.start - end <= 3 or 0 <= start - mention.end <= 3:
            return True
        # "burned by Informatica's pricing and ripped it out last year": "it" is the vendor named before.
        if mention.end <= start and re.match(r"\w+(?:\s+\w+)?\s+(?:it|them)\b", match.group(0)):
            return True
    return False


def _identity_provider(text: str, parts: list[Clause], lex: Lexicon) -> tuple[str, str] | None:
    """(canonical name, the rep's words) of the identity provider they use now; the last one said wins."""
    mentions = list(lex.identity_providers.find(text))
    for mention in lex.identity_providers_in_context.find(text):
        sentence = re.search(r"[^.;!?\n]*$", text[: mention.start])
        rest = re.match(r"[^.;!?\n]*", text[mention.start :])
        around = (sentence.group(0) if sentence else "") + (rest.group(0) if rest else "")
        if _IDP_CONTEXT.search(around.replace(mention.text, " ")) and not any(
            m.start <= mention.start < m.end for m in mentions
        ):
            mentions.append(mention)
    found = None
    for mention in sorted(mentions, key=lambda m: m.start):
        clause = clause_at(parts, mention.start)
        if is_negated(clause, mention.start, mention.end) or is_hedged(clause, mention.start, mention.end):
            continue
        if _IDP_FORMER_AFTER.match(text[mention.end : mention.end + 40]) or _IDP_FORMER_BEFORE.search(
            text[max(clause.start, mention.start - 40) : mention.start]
        ):
            continue
        found = (mention.values[0], mention.text)
    return found


_PRODUCT_JOIN = re.compile(r"^\s*(?:,|\+|&|/|and|with|plus)\s*(?:the\s+|an?\s+)?$", re.IGNORECASE)


def _products(text: str, lex: Lexicon) -> list[Mention]:
    """Product mentions; a short form ("SSO") counts only listed with another product."""
    found = list(lex.products.find(text))
    for mention in lex.products_in_context.find(text):
        if any(m.start <= mention.start < m.end or mention.start <= m.start < mention.end for m in found):
            continue
        listed = any(
            _PRODUCT_JOIN.match(text[other.end : mention.start]) or _PRODUCT_JOIN.match(text[mention.end : other.start])
            for other in found
        )
        if listed:
            found.append(mention)
    return sorted(found, key=lambda m: m.start)


@cache
def _catalog() -> Catalog:
    return load_catalog()


SELF_HOSTED_RUNTIME = "HS-SELF"


def implied_products(record: Qualification, *, named_edition: bool) -> tuple[list[str], bool] | None:
    """(products, replaces) with the edition the record's requirements imply, or None when nothing changes.

    An edition is implied when exactly one edition of the catalog covers the compliance regimes,
    the deployment and the regions, and it is narrower than "any edition" (HIPAA or PCI-DSS: the
    edition that covers them; FedRAMP: the Government edition; self-hosted: the one offered
    self-hosted). A recorded edition that cannot cover them is replaced, unless this message named
    it (`named_edition`): then the rep's word stands and inspection flags the gap. Self-hosted also
    implies the self-hosted runtime licence.
    """
    catalog = _catalog()
    editions = [sku for sku in catalog.skus if sku.unit == "seat" and not sku.requires]  # HS-SSO is a seat add-on
    needs = {str(c) for c in record.compliance}
    regions = {str(r) for r in record.regions}

    def covers(sku: Any) -> bool:
        return (
            needs <= {str(c) for c in sku.compliance}
            and (record.deployment is None or sku.deployments is None or record.deployment in sku.deployments)
            and (sku.regions is None or not regions or regions <= {str(r) for r in sku.regions})
        )

    covering = [sku.sku for sku in editions if covers(sku)]
    current = list(record.products_of_interest)
    chosen = [sku for sku in current if sku in {e.sku for e in editions}]
    products = list(current)
    if len(covering) == 1 and len(covering) < len(editions):
        uncovered = [sku for sku in chosen if sku not in covering]
        if not chosen or (uncovered and not named_edition):
            products = [p for p in products if p not in uncovered] + [c for c in covering if c not in products]
    if record.deployment == "self_hosted" and catalog.get(SELF_HOSTED_RUNTIME) and SELF_HOSTED_RUNTIME not in products:
        products.append(SELF_HOSTED_RUNTIME)
    if products == current:
        return None
    return products, any(p not in products for p in current)


def extract(text: str, *, today: date, known: Qualification | None = None, context: str = "") -> Extraction:
    """The facts a rep's message states. `known` (the record so far) lets a message take names back;
    `context` (what the rep wrote earlier in the thread) resolves references to it: a fiscal calendar
    stated before ("the end of their Q3"), a renewal date given before ("live before that renewal")."""
    said, text = text, without_questions(text)
    parts = clauses(text)
    lex = lexicon()
    values: dict[str, Any] = {}
    evidence: dict[str, str] = {}
    replace: list[str] = []

    def put(field: str, value: Any, words: str) -> None:
        if value not in (None, [], ""):
            values[field] = value
            evidence[field] = re.sub(r"\s+", " ", words).strip()[:200]

    competitors, incumbents, integrations, in_place = _vendor_roles(text, parts, lex, known)
    # What they asked about us ("asked if we're FedRAMP authorized") is not what they require.
    asked = asked_about_us(text)

    def requirement(mention: Mention) -> bool:
        return not any(start <= mention.start < end for start, end in asked)

    count, full = seat_reading(text, parts, known.seats if known else None)
    if count:
        put("seats", count.value, count.text)
    if full:
        put("seats_at_full_rollout", full.value, full.text)
    money = budget(text, parts, [c.span for c in (count, full) if c])
    if money and (known is None or known.budget is None or replaces(money.source, known.budget.source)):
        found_budget = Budget(
            amount=money.amount.value,
            currency=money.currency,
            period=money.period,
            years=money.years if money.period == "total" else None,
            source=money.source,
        )
        put("budget", found_budget, money.amount.text)
    elif money is None and known is not None and known.budget is not None:
        # "EUR not USD": the recorded budget's currency corrected, the amount unchanged.
        currency = currency_correction(text)
        if currency and currency[0] != known.budget.currency:
            put("budget", known.budget.model_copy(update={"currency": currency[0]}), currency[1])
    close, live = key_dates(
        text,
        parts,
        today,
        known_close=known.target_close if known else None,
        known_live=known.go_live if known else None,
        context=context,
    )
    # A go-live date stands in for the close date only while no signing date is known apart from it.
    live_only = close is not None and close is live
    if close and not (live_only and known and known.target_close and known.target_close != known.go_live):
        put("target_close", close.value, close.text)
    if live:
        put("go_live", live.value, live.text)
    terms = payment_terms(text, parts)
    if terms:
        put("payment_terms_days", terms.value, terms.text)
    poc = poc_weeks(text, parts)
    if poc:
        put("poc_weeks", poc.value, poc.text)
    how = deployment(text, parts, competitors + incumbents + integrations)
    # "Enterprise + self-hosted runtime for the colo": the add-on's name does not change a known deployment.
    if how and not (
        known
        and known.deployment
        and how[0] != known.deployment
        and re.fullmatch(r"self[- ]?hosted", how[1], re.IGNORECASE)
        and re.search(r"self[- ]?hosted (?:runtime|licen[cs]e|add-?on)", text, re.IGNORECASE)
    ):
        put("deployment", *how)
    cleared: list[str] = []
    for field, verdict in (
        ("sso_required", sso_required(text, parts, asked)),
        ("scim_required", scim_required(text, parts, asked)),
    ):
        if verdict is None:
            continue
        if verdict[0] is None:  # an open decision: unknown again, neither yes nor no
            if known is not None and getattr(known, field) is not None:
                cleared.append(field)
                evidence[field] = verdict[1]
            continue
        values[field], evidence[field] = verdict
    idp = _identity_provider(text, parts, lex)
    if idp:
        put("identity_provider", idp[0], idp[1])

    correcting = bool(_CORRECTION.search(text))
    region_yes, region_no, exclusive = _regions(text, parts)
    known_regions = [r.value for r in known.regions] if known else []
    compliance_yes, compliance_no = _compliance(text, parts, _values(region_yes) or known_regions)
    compliance_yes = [m for m in compliance_yes if requirement(m)]
    products = [m for m in _products(text, lex) if requirement(m)]
    competitor_yes, competitor_no = _classify(competitors, text, parts, replacing_counts=True)
    incumbent_yes, incumbent_no = _classify(incumbents, text, parts, replacing_counts=True)
    incumbent_yes += [m for m in incumbent_no if m in in_place]
    incumbent_no = [m for m in incumbent_no if m not in in_place]
    lists = {
        "regions": (region_yes, region_no, exclusive),
        "compliance": (compliance_yes, compliance_no, False),
        "competitors": (competitor_yes, competitor_no, False),
        "incumbents": (incumbent_yes, incumbent_no, False),
        "integrations": (*_classify(integrations, text, parts), False),
        "products_of_interest": (*_classify(products, text, parts, hedges=True), False),
    }
    # A vendor now known to be the incumbent leaves the competitors: "they're on Fivetran today".
    moved = [name for name in _values(incumbent_yes) if known and name in known.competitors]
    for field, (yes, no, only) in lists.items():
        denied = _values(no) + (moved if field == "competitors" else [])
        affirmed = [name for name in _values(yes) if not (field == "competitors" and name in moved)]
        value, replaces_list = _list_update(field, affirmed, denied, known, exclusive=only, correcting=correcting)
        if value is None:
            continue
        # An empty list is a value too when it replaces: "HIPAA is out of scope" empties compliance.
        values[field] = value
        evidence[field] = ", ".join(m.text for m in yes) or ", ".join(m.text for m in no)
        if replaces_list:
            replace.append(field)

    name, role, company = people.contact(text)
    opening = known is None or known.company is None
    # The company may be named inside a question ("who signs at Northgate Energy?"): look in the whole message.
    named = people.company(text, opening=opening) or people.company(said, opening=opening)
    # "Liam Brooks (Head of Data, Orchard)" in notes headed "Orchard Logistics x Halyard": the fuller name.
    if company is None or (named and named.value.startswith(company.value + " ")):
        company = named
    if company and _names_something_else(company.value, lex):
        company = None
    known_people = [p for p in (name.value if name else None, known.contact_name if known else None) if p]
    criteria = poc_success_criteria(text)
    stories = narrative(text)
    if criteria and "metrics" in stories and stories["metrics"].value == criteria.value:
        del stories["metrics"]  # "POC first, success = ...": the POC's criteria, not the deal's metrics
    for field, found in (
        ("contact_name", name),
        ("contact_role", role),
        ("company", company),
        ("economic_buyer", people.economic_buyer(text)),
        ("champion", people.champion(text, known_people)),
        ("poc_success_criteria", criteria),
        *stories.items(),
    ):
        if found:
            put(field, found.value, found.evidence)

    for taken_back in retractions(text, known, today):
        for field in taken_back.fields:
            # "ignore the 150k": the amount said again while taking it back is not a new value.
            if field in values and known is not None and _restated(values[field], getattr(known, field)):
                del values[field]
            if field not in values and field not in cleared:
                cleared.append(field)
                evidence[field] = re.sub(r"\s+", " ", taken_back.evidence).strip()[:200]

    update = QualificationUpdate.model_validate({**values, "replace_lists": replace, "cleared": cleared})
    merged = (known or Qualification()).merged(update)[0]
    # A deployment read off a product's name ("the self-hosted runtime licence") is the rep's
    # product choice already: no edition is implied from it.
    deployment_said = "deployment" in values and not any(
        m.start <= text.find(evidence["deployment"]) < m.end for m in products
    )
    if "compliance" in values or deployment_said:
        editions = {sku.sku for sku in _catalog().skus if sku.unit == "seat" and not sku.requires}
        named_edition = any(value in editions for m in products for value in m.values)
        implied = implied_products(merged, named_edition=named_edition)
        if implied is not None:
            update.products_of_interest, replaced = implied
            evidence.setdefault(
                "products_of_interest",
                "implied by " + ", ".join(evidence[f] for f in ("compliance", "deployment") if f in evidence),
            )
            if replaced and "products_of_interest" not in update.replace_lists:
                update.replace_lists = [*update.replace_lists, "products_of_interest"]
    return Extraction(
        update=update,
        evidence=evidence,
        disqualify_reason=_disqualify_reason(text, parts, competitors),
        lexicon_version=lex.version,
    )


def _restated(value: Any, recorded: Any) -> bool:
    """The recorded value said again (a budget by its amount), not a new one."""
    if isinstance(value, Budget) and isinstance(recorded, Budget):
        return value.amount == recorded.amount
    return bool(value == recorded)


def _names_something_else(name: str, lex: Lexicon) -> bool:
    """A would-be company name that is a place, a vendor, a system or a product ("Microsoft Entra", "New York")."""
    matchers = (lex.regions, lex.competitors, lex.integrations, lex.identity_providers, lex.products)
    return any(matcher.find(name) for matcher in matchers)

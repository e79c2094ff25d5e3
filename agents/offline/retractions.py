"""What a rep's message takes back: recorded facts that are no longer known, with nothing in their place.

Three ways a fact is taken back, each checked against the record so far (`known`), since only
something recorded can be retracted:

- a retracting verb on the fact itself: "ignore the 150k" (the recorded budget's amount), "forget the
  pilot", "scrap the go-live date", "disregard the seat count";
- a recorded number said to be something else: "the 500 was headcount, not users" (the seats);
- a recorded person gone from the deal: "Raj left the company", "Mia is off the project", or the role
  said to be empty: "no champion right now".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from agents.offline.dates import date_mentions
from deals.qualification import Qualification

_RETRACT = (
    r"(?:ignore|forget(?: about)?|disregard|scratch|strike|scrap|bin|throw out|toss|drop|remove|delete|take out|"
    r"cancel|never ?mind|nvm|don['’]?t count|do not count|no longer counts?)"
)
# What a retraction can point at, by field: the words a rep uses for it.
_TOPICS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("budget",), r"budget(?: (?:number|figure|amount|line))?"),
    (("poc_weeks", "poc_success_criteria"), r"(?:POC|PoC|pilot|proof[- ]of[- ]concept|trial)s?"),
    (("seats",), r"(?:seat|user|licen[cs]e)(?: count| number|s)"),
    (("go_live",), r"go[- ]?live(?: date)?|launch date|live date"),
    (("target_close",), r"(?:close|closing|signing|signature) date|target close"),
    (("payment_terms_days",), r"payment terms|(?:the )?net terms"),
    (("champion",), r"champion"),
    (("economic_buyer",), r"(?:economic buyer|econ buyer|EB)"),
    (("deployment",), r"deployment(?: model)?"),
)
_FILLER = r"(?:(?:the|that|this|their|our|my|about|what I said about|what I wrote about|everything about)\s+){0,3}"
_AMOUNT = re.compile(r"(?P<symbol>[$€£])?\s?(?P<number>\d[\d,]*(?:\.\d+)?)\s?(?P<unit>[kKmM]\b|thousand|million)?")

# A recorded number said to be something other than what it was recorded as.
_NOT_SEATS = re.compile(
    r"\s*(?:[\w-]+\s+){0,3}?(?:was|were|is|are|meant|referred to)\b[^.;\n]{0,40}?\b(?:headcount|head count|employees|staff|people at|"
    r"total (?:staff|people|workforce)|the whole company|the company size|not (?:the )?(?:users|seats|licen[cs]es))\b",
    re.IGNORECASE,
)
_NOT_THE_BUDGET = re.compile(
    r"\s*[^.;\n]{0,25}?\b(?:(?:was|is)\s+(?:for|from)\s+(?:a\s+|another\s+|some\s+|the\s+)?(?:different|other|another|"
    r"separate|old|previous)\s+(?:project|deal|team|budget|initiative|year)|(?:was|is)n['’]?t\s+(?:the|their|a)\s+"
    r"(?:real\s+|actual\s+)?budget|(?:was|is)\s+not\s+(?:the|their|a)\s+(?:real\s+|actual\s+)?budget|"
    r"(?:was|is)\s+(?:just\s+)?(?:a guess|a number (?:someone|the \w+|they) floated|last year['’]s)|"
    r"(?:ignore|disregard|forget|scratch)\s+(?:it|that))\b",
    re.IGNORECASE,
)
# Someone no longer in the deal.
_GONE = (
    r"(?:(?:has|'s|is)\s+)?(?:left(?=\s+(?:the\s+(?:company|business|firm|organi[sz]ation|team|project|deal|account)|"
    r"(?:last|this)\s+(?:week|month)|recently|to join|for (?:a|another))\b|\s*[.,;!]|\s*$)|quit|resigned|retired|been let go|was let go|got let go|been laid off|was laid off|"
    r"moved on|moved to (?:another|a different|the [\w ]{1,20}) (?:company|team|office|role|job|project)|"
    r"(?:is |has gone )?on (?:leave|sabbatical)|(?:is )?(?:off|no longer on|no longer involved (?:in|with)) (?:the |this )?"
    r"(?:project|deal|evaluation|account)|(?:is )?no longer (?:there|with them|at the company|involved))"
)
_NO_ROLE = re.compile(
    r"\b(?:no|without an?|lost (?:our|the|their)|don['’]?t have an?|do not have an?)\s+(?:real\s+|internal\s+)?"
    r"(?P<role>champion|economic buyer|econ buyer|EB)\b(?!\s+(?:is|was|will)\b)",
    re.IGNORECASE,
)
_ROLE_FIELDS = {"champion": "champion", "economic buyer": "economic_buyer", "econ buyer": "economic_buyer"}


@dataclass(frozen=True)
class Retraction:
    fields: tuple[str, ...]
    evidence: str


def _amounts(known: Qualification) -> list[Decimal]:
    return [known.budget.amount] if known.budget is not None else []


def _says_amount(words: str, amounts: list[Decimal]) -> bool:
    """Whether the words name one of the amounts ("the 150k", "$150,000")."""
    for match in _AMOUNT.finditer(words):
        number = Decimal(match["number"].replace(",", ""))
        unit = (match["unit"] or "").lower()
        scale = Decimal(1000) if unit in ("k", "thousand") else Decimal(1_000_000) if unit in ("m", "million") else 1
        if number * scale in amounts:
            return True
    return False


def _first_names(person: str | None) -> list[str]:
    """The ways a recorded person is referred to: the full name and the first name (not a title alone)."""
    if not person or not re.match(r"[A-Z]", person) or person.split()[0].casefold() in {"the", "their", "our"}:
        return []
    return [re.escape(person), re.escape(person.split()[0])]


def retractions(text: str, known: Qualification | None, today: date | None = None) -> list[Retraction]:
    """The recorded facts the message takes back; with `today`, a recorded date taken back by name too
    ("forget June, no date yet")."""
    if known is None:
        return []
    found: list[Retraction] = []
    if today is not None:
        for match in re.finditer(rf"\b{_RETRACT}\s+(?:the\s+|about\s+)?(?P<what>[^,.;\n]{{3,30}})", text, re.I):
            for mention in date_mentions(match["what"], today):
                if mention.start > 0:
                    continue  # "drop the old system by June": the date is not what is dropped
                for field in ("target_close", "go_live"):
                    if getattr(known, field) == mention.value:
                        found.append(Retraction((field,), match.group(0)))
    for fields, topic in _TOPICS:
        if all(getattr(known, name) in (None, []) for name in fields):
            continue
        pattern = (
            rf"\b{_RETRACT}\s+{_FILLER}{topic}\b"
            # "the pilot's off", "POC is cancelled", "no pilot after all"
            rf"|\b{topic}(?:['’]s|\s+(?:is|are|was|got|has been))\s+(?:now\s+)?(?:off|scrapped|cancel+ed|dropped|dead|"
            rf"not happening|off the table)\b"
            rf"|\bno\s+{topic}\s+(?:after all|any ?more|needed|required|now)\b"
            # "they're no longer doing a POC", "go-live date is TBD again", "take the budget off"
            rf"|\b(?:no longer|not|n['’]t)\s+(?:doing|running|planning|going ahead with|going to do|having)\s+"
            rf"(?:a|the|any)\s+{topic}\b"
            rf"|\b{topic}\s+(?:is\s+)?(?:back to\s+)?(?:unknown|TBD|TBC|up in the air)(?:\s+again)?\b"
            rf"|\btake\s+(?:the\s+)?{topic}\s+off\b"
        )
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            found.append(Retraction(fields, match.group(0)))
    amounts = _amounts(known)
    if amounts:
        # "the 60k was for a different project", "the 150k isn't their budget": the amount said to be something else.
        for match in _AMOUNT.finditer(text):
            if match["number"] and _says_amount(match.group(0), amounts) and _NOT_THE_BUDGET.match(text, match.end()):
                found.append(
                    Retraction(("budget",), text[match.start() : _NOT_THE_BUDGET.match(text, match.end()).end()])
                )
                break
        for match in re.finditer(
            rf"\b{_RETRACT}\s+{_FILLER}(?P<what>[$€£]?\s?\d[\d,.]*\s?(?:k|m|thousand|million)?)", text, re.I
        ):
            if _says_amount(match["what"], amounts):
                found.append(Retraction(("budget",), match.group(0)))
    if known.seats is not None:
        for match in re.finditer(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,])|(?<![\d,.])\d+(?![\d,])", text):
            if int(match.group(0).replace(",", "")) != known.seats:
                continue
            said = _NOT_SEATS.match(text, match.end())
            if said:
                found.append(Retraction(("seats",), text[match.start() : said.end()]))
                break
    for field in ("champion", "economic_buyer", "contact_name"):
        names = _first_names(getattr(known, field))
        if not names:
            continue
        match = re.search(rf"\b(?:{'|'.join(names)})\b\s+{_GONE}", text, re.IGNORECASE)
        if match:
            gone = ("contact_name", "contact_role") if field == "contact_name" else (field,)
            found.append(Retraction(gone, match.group(0)))
    for match in _NO_ROLE.finditer(text):
        field = _ROLE_FIELDS.get(match["role"].casefold(), "economic_buyer")
        if getattr(known, field) is not None:
            found.append(Retraction((field,), match.group(0)))
    return found

"""A rep's message cut into clauses, and whether a mention in one is negated, hedged or asked about."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations whose full stop does not end a sentence ("Dir. of Data", "U.S. team", "approx. 250k").
_ABBREVIATIONS = frozenset(
    "dir mr mrs ms dr vs approx incl excl e.g i.e etc inc co corp ltd st no mgr sr jr eng dept est min max "
    "u.s u.k u.s.a d.c".split()
)
_BOUNDARY = re.compile(
    r"(?P<stop>[.!?;])(?=\s)\s*"  # end of sentence (checked against abbreviations below)
    r"|\n+\s*(?:[•*·▪◦‣-]\s+|\d+[.)]\s+)?"  # new line, with or without a bullet
    r"|(?:^|\s)[•·▪◦‣]\s+"  # inline bullets
    r"|\s+\d\)\s+"  # "1) 320 seats 2) AUD 150k"
    r"|\s+[—–]\s+|\s+--?\s+"  # dashes join two thoughts
    r"|\s*\(\s*|\s*\)\s*"  # an aside in parentheses is its own clause
    r"|,?\s+(?:but|however|whereas|although|though|while)\s+",  # contrast
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Clause:
    start: int
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def clauses(text: str) -> list[Clause]:
    """Clauses of a message: sentences, bullets, asides and the two sides of a contrast."""
    pieces: list[Clause] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match["stop"] == ".":
            word = re.search(r"([\w.]+)$", text[start : match.start()])
            if word and word.group(1).casefold() in _ABBREVIATIONS:
                continue
        if match.start() > start:
            pieces.append(Clause(start, text[start : match.start()]))
        start = match.end()
    if start < len(text):
        pieces.append(Clause(start, text[start:]))
    return [piece for piece in pieces if piece.text.strip()]


def clause_at(parts: list[Clause], position: int) -> Clause:
    for part in parts:
        if part.start <= position < part.end:
            return part
    return Clause(position, "")


# A question asks rather than states ("Do we sign a BAA on Business?"): its facts are not facts.
_QUESTION = re.compile(r"(?:(?<=[.!?\n])|^)[^.!?\n]*\?", re.MULTILINE)


# "They asked whether we're FedRAMP authorized": what they asked about us, not what they need.
_ASKED_ABOUT_US = re.compile(
    r"\b(?:asked|asking|wondered|wondering|want(?:ed)? to know|curious)\s+(?:us\s+)?(?:whether|if|about whether)\s+"
    r"(?:we|you|Halyard)\b[^.;!?\n—–()]*",
    re.IGNORECASE,
)


def asked_about_us(text: str) -> list[tuple[int, int]]:
    """Spans of indirect questions about our product ("asked if we support SAML")."""
    return [m.span() for m in _ASKED_ABOUT_US.finditer(text)]


def without_questions(text: str) -> str:
    """The text with questions blanked out (same length, so offsets stay valid)."""
    return _QUESTION.sub(lambda m: " " * len(m.group(0)), text)


# Negation in front of a mention: the negating word, then only words that carry the negation
# over to it ("don't need", "not looking at", "no longer evaluating", "not in the"). Any other
# word stops it: in "no data leaves their VPC" the VPC is not negated.
_NEGATOR = (
    r"(?P<neg>\bno(?!\s+(?:later|more|less|sooner)\s+than\b)|\bnot(?!\s+(?:only|just)\b)|n['’]t|\bnever|\bwithout|\bnor"
    r"|\bneither|\bno longer|\bexcept|\bexcluding|\bother than|\brather than|\binstead of|\bdrop(?:ped|ping)?"
    r"|\bremov(?:e|ed|ing)|\bruled out|\bditch(?:ed|ing)?|\bretir(?:e|ed|ing))"
)
_CARRY = (
    r"(?:need|needs|needed|require|requires|required|want|wants|wanted|do|doing|does|did|have|has|having|"
    r"use|using|used|looking|look|at|evaluating|evaluate|considering|consider|touch|touching|handle|handling|"
    r"store|storing|process|processing|care|about|worried|going|to|with|for|into|of|in|on|the|a|an|any|"
    r"anything|anymore|more|longer|really|actually|currently|planning|pursuing|pursue|support|be|is|are|it|them|"
    r"under|subject|interested|get|getting|asking|ask|mention|mentioned|talk|talking|worry|bother|"
    r"users|people|anyone|offices?|staff|teams?|presence|operations|customers|data|sites?)"
)
_NEGATED_BEFORE = re.compile(rf"{_NEGATOR}(?:[\s,/]+{_CARRY})*[\s,/:]*$", re.IGNORECASE)
_NEGATED_AFTER = re.compile(
    r"^(?::\s*no\b|\s*(?:❌|✖️?|✗|🚫|⛔|:x:|:no_entry(?:_sign)?:|\(no\)|-\s*no\b)|\s+(?:(?:requirements?|compliance|certification|stuff|itself|for now|at all)\s+)?"
    r"(?:(?:is|are|was|were|would be|will be)\s+|['’]s\s+)?"
    r"(?:(?:currently|now|also|just|honestly|really|definitely|probably|totally|apparently|actually)\s+)?"
    r"(?:not\b(?!\s+(?:only|just)\b)|isn['’]t\b|aren['’]t\b|wasn['’]t\b|no longer\b"
    r"|out of (?:scope|the picture|the running|the question)|off the table|ruled out|a no[- ]go|a non[- ]starter"
    r"|n/a\b|irrelevant\b|unnecessary\b|dropped\b|gone\b|out\b(?!\s+(?:of|to|there|here)\b)))",
    re.IGNORECASE,
)
_NO_X_NO_DEAL = re.compile(
    r"^\s*(?:[\w-]+\s+){0,2}?(?:=|==|means|→|->|equals|,)\s*no (?:deal|go|sale|contract|signature|PO)\b", re.IGNORECASE
)
# A vendor used "instead of" or "rather than" is still in the deal (the incumbent).
_REPLACING = frozenset({"instead of", "rather than", "other than", "except", "excluding"})
_MODAL_BEFORE = re.compile(r"\b(?:may|might|could|possibly|potentially|eventually)\b[\w\s]{0,20}$", re.IGNORECASE)
_LATER_AFTER = re.compile(
    r"^[\w\s,]{0,20}\b(?:later|down the road|in the future|at some point|in phase (?:2|two)|next year|eventually)\b",
    re.IGNORECASE,
)


def is_negated(clause: Clause, start: int, end: int, *, replacing_counts: bool = False) -> bool:
    """Whether the words right around a mention deny it ("no HIPAA requirement", "PCI is out of scope").

    With `replacing_counts`, "instead of X" does not deny X (a vendor being replaced is in the deal).
    """
    before = clause.text[max(0, start - clause.start - 60) : start - clause.start]
    after = clause.text[end - clause.start : end - clause.start + 50]
    if _NO_X_NO_DEAL.match(after):
        return False  # "no SOC 2 report = no deal": a hard requirement, said as a negation
    negated = _NEGATED_BEFORE.search(before)
    if negated and not (replacing_counts and negated["neg"].casefold() in _REPLACING):
        return True
    return bool(_NEGATED_AFTER.match(after))


def is_hedged(clause: Clause, start: int, end: int) -> bool:
    """A possibility for later, not a requirement now ("they may need HIPAA later")."""
    before = clause.text[max(0, start - clause.start - 40) : start - clause.start]
    after = clause.text[end - clause.start : end - clause.start + 40]
    return bool(_MODAL_BEFORE.search(before) and _LATER_AFTER.match(after))

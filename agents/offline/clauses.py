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
    r"(?:we|you|Halyard)\b[^.;!?\n—–()]*"
    # "they asked about FedRAMP but it's for a future bid": a topic raised, not a requirement stated.
    r"|\b(?:asked|asking|enquired|inquired|curious|questions?)\s+(?:us\s+)?about\s+(?:(?!\bbut\b)[^.;!?\n—–(),])*",
    re.IGNORECASE,
)


def asked_about_us(text: str) -> list[tuple[int, int]]:
    """Spans of indirect questions about our product ("asked if we support SAML")."""
    return [m.span() for m in _ASKED_ABOUT_US.finditer(text)]


# "Enterprise x 500 + SSO — that's the bundle, right?": a statement, then a question about it.
_DASH = re.compile(r"\s[—–-]{1,2}\s")
_INTERROGATIVE = re.compile(
    r"^\W*(?:do|does|did|is|are|was|were|can|could|will|would|should|shall|may|might|what|which|how|where|when|who|"
    r"whom|whose|why|any|anything|has|have)\b",
    re.IGNORECASE,
)


def _blank_question(match: re.Match[str]) -> str:
    question = match.group(0)
    dashes = list(_DASH.finditer(question))
    if dashes and not _INTERROGATIVE.match(question):
        cut = dashes[-1].start()
        return question[:cut] + " " * (len(question) - cut)
    return " " * len(question)


def without_questions(text: str) -> str:
    """The text with questions blanked out (same length, so offsets stay valid).

    A statement before a dash stays: in "Enterprise x 500 + SSO — that's the bundle, right?" only
    the part after the dash asks.
    """
    return _QUESTION.sub(_blank_question, text)


# Negation in front of a mention: the negating word, then only words that carry the negation
# over to it ("don't need", "not looking at", "no longer evaluating", "not in the"). Any other
# word stops it: in "no data leaves their VPC" the VPC is not negated.
_NEGATOR = (
    r"(?P<neg>\bno(?!\s+(?:later|more|less|sooner)\s+than\b)|\bnot(?!\s+(?:only|just)\b)|n['’]t|\bnever|\bwithout|\bnor"
    r"|\bneither|\bno longer|\bexcept|\bexcluding|\bother than|\brather than|\binstead of|\bdrop(?:ped|ping)?"
    r"|\b(?:dont|doesnt|didnt|wont|cant|isnt|arent|wasnt|werent|havent|hasnt|shouldnt|wouldnt)"
    r"|\bremov(?:e|ed|ing)|\bruled out|\bditch(?:ed|ing)?|\bretir(?:e|ed|ing))"
)
_CARRY = (
    r"(?:need|needs|needed|require|requires|required|want|wants|wanted|do|doing|does|did|have|has|having|"
    r"use|using|used|looking|look|at|evaluating|evaluate|considering|consider|touch|touching|handle|handling|"
    r"store|storing|process|processing|care|about|worried|going|to|with|for|into|of|in|on|the|a|an|any|"
    r"anything|anymore|more|longer|really|actually|currently|planning|pursuing|pursue|support|be|is|are|it|them|"
    r"under|subject|interested|get|getting|asking|ask|mention|mentioned|talk|talking|worry|bother|"
    r"users|people|anyone|offices?|staff|teams?|presence|operations|customers|data|sites?|put|putting|send|sending|"
    r"keep|keeping|hold|holding|share|sharing|collect|collecting|move|moving|run|running|on|yet|even)"
)
_NEGATED_BEFORE = re.compile(rf"{_NEGATOR}(?:[\s,/]+{_CARRY})*[\s,/:]*$", re.IGNORECASE)
_NEGATED_AFTER = re.compile(
    r"^(?::\s*no\b|\s*(?:❌|✖️?|✗|🚫|⛔|:x:|:no_entry(?:_sign)?:|\(no\)|-\s*no\b)|\s+(?:(?:requirements?|compliance|certification|stuff|itself|for now|at all)\s+)?"
    r"(?:(?:is|are|was|were|would be|will be)\s+|['’]s\s+)?"
    r"(?:(?:currently|now|also|just|honestly|really|definitely|probably|totally|apparently|actually)\s+)?"
    r"(?:not\b(?!\s+(?:only|just)\b)|isn['’]t\b|aren['’]t\b|wasn['’]t\b|no longer\b"
    r"|out of (?:scope|the picture|the running|the question)|off the table|ruled out|a no[- ]go|a non[- ]starter"
    r"|n/a\b|irrelevant\b|unnecessary\b|dropped\b|gone\b|out\b(?!\s+(?:of|to|there|here)\b)))"
    # "Airbyte got eliminated", "Fivetran withdrew": ruled out of the evaluation
    r"|^\s+(?:(?:got|has been|have been|was|were|is|are)\s+)?(?:eliminated|disqualified|knocked out|rejected|cut)\b"
    r"|^\s+(?:has\s+|have\s+)?(?:withdrew|withdrawn|pulled out|dropped out|bowed out)\b"
    r"|^\s+off(?:\s+the\s+list)?\b(?![- ](?:site|shore|line))",  # "take Sydney off"
    re.IGNORECASE,
)
_NO_X_NO_DEAL = re.compile(
    r"^\s*(?:[\w-]+\s+){0,2}?(?:=|==|means|→|->|equals|,)\s*no (?:deal|go|sale|contract|signature|PO)\b", re.IGNORECASE
)
# A vendor used "instead of" or "rather than" is still in the deal (the incumbent).
_REPLACING = frozenset({"instead of", "rather than", "other than", "except", "excluding"})
_MODAL = r"(?:may|might|could|possibly|potentially|eventually|maybe|perhaps|probably not)"
_MODAL_BEFORE = re.compile(rf"\b{_MODAL}\b[\w\s]{{0,20}}$", re.IGNORECASE)
# "maybe the UK", "perhaps HIPAA": doubt said right before the name is a hedge by itself.
_DOUBT_BEFORE = re.compile(
    r"\b(?:maybe|perhaps|possibly|potentially)\s+(?:also\s+|add(?:ing)?\s+)?(?:the\s+|a\s+)?$", re.I
)
_LATER = (
    r"(?:later|down the road|down the line|in the future|at some point|(?:in )?phase (?:2|two|II)|next year|eventually|long[- ]term|"
    r"not (?:now|yet|for now|for this (?:deal|quote|round|phase)|in this (?:quote|deal|round|phase))|"
    r"nothing (?:decided|firm|confirmed)|undecided|not decided|TBD|TBC|unclear|not sure|if needed|future \w+)"
)
_LATER_AFTER = re.compile(rf"^[\w\s,/-]{{0,25}}\b{_LATER}\b", re.IGNORECASE)
_LATER_IN_CLAUSE = re.compile(rf"\b{_LATER}\b", re.IGNORECASE)
# "ISO 27001 maybe next year", "PCI could come up next year": the doubt is said after the name.
_MODAL_AFTER = re.compile(
    rf"^[\s:-]{{0,3}}(?:(?!(?:and|or|plus)\b)\w+\s+){{0,3}}?{_MODAL}\b[^.;,]{{0,30}}\b{_LATER}\b", re.IGNORECASE
)
_NOT_REQUIRED_AFTER = re.compile(
    r"^(?:[^.;,]{0,45}?|[^.;,]{0,45},\s*)\b(?:nice[- ]to[- ]have|would be nice|optional|not (?:a )?(?:must|mandatory|required|needed|"
    r"a requirement|a priority)|isn['’]?t (?:a )?(?:must|required|needed|a requirement))\b",
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
    """A possibility for later, not a requirement now.

    "they may need HIPAA later", "maybe extended retention later, not now", "ISO 27001 maybe next
    year", "phase 2 maybe the UK but nothing decided", "SSO would be nice": doubt plus a later
    time or an open decision, doubt right before the name, or a word that says it is optional.
    """
    before = clause.text[max(0, start - clause.start - 40) : start - clause.start]
    after = clause.text[end - clause.start : end - clause.start + 60]
    if _DOUBT_BEFORE.search(before) or _MODAL_AFTER.match(after) or _NOT_REQUIRED_AFTER.match(after):
        return True
    return bool(_MODAL_BEFORE.search(before) and (_LATER_AFTER.match(after) or _LATER_IN_CLAUSE.search(clause.text)))

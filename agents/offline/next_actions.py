"""Next actions a rep's message makes evident, read by rules: what the offline model proposes as next steps.

A sentence proposes a step when it says who will do what, going forward: the customer will send or promised
something ("they'll send the security questionnaire by Friday": chase it), someone must be brought in ("need to
get their CISO on a call"), we owe them something ("I promised them a proposal by the 15th"), a person named
by mention will do it ("<@U0SE1> will run the architecture review"), a POC was agreed, or they asked for a
demo or workshop. Questions, hedges ("probably", "at some point"), what already happened and steps the rep
wrote as steps ("next step: ...", added by deals/step_words.py already) propose nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from deals.step_words import read_due, read_step

_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_HEDGE = re.compile(
    r"\b(?:probably|maybe|might|perhaps|possibly|at some point|eventually|some day|someday|not sure|if ever)\b",
    re.IGNORECASE,
)
_WILL = r"(?:'ll|’ll|\s+will|\s+(?:is|are)\s+going\s+to|\s+promised(?:\s+to)?|\s+agreed\s+to|\s+committed\s+to|\s+said\s+they'd)"
# Someone on the customer's side, as reps name them.
_THEM = r"(?P<who>they|he|she|their\s+[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2}|procurement|legal|security|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
_SENDS = re.compile(
    rf"^{_THEM}{_WILL}\s+(?:send(?:\s+(?:us|over))?|share|provide|return|deliver|forward)\s+(?P<what>.+)$",
    re.IGNORECASE,
)
_PROMISED_THING = re.compile(
    rf"^{_THEM}\s+(?:promised|owes?)\s+(?:us\s+)?(?P<what>(?:the|a|an|their)\s+.+)$", re.IGNORECASE
)
_GETS_BACK = re.compile(rf"^{_THEM}{_WILL}\s+get\s+back\s+to\s+(?:us|me)\s+(?P<what>.+)$", re.IGNORECASE)
_INTRODUCES = re.compile(
    rf"^{_THEM}{_WILL}\s+(?:introduce|intro|connect)\s+(?:us|me)\s+(?:to|with)\s+(?P<what>.+)$", re.IGNORECASE
)
_MENTIONED = re.compile(
    r"^<@(?P<owner>[UW][A-Z0-9]{2,30})>(?:'ll|’ll|\s+will|\s+(?:is\s+going|needs|has)\s+to|\s+to|\s+can)\s+"
    r"(?P<what>.+)$",
    re.IGNORECASE,
)
_ACTION_VERBS = (
    r"get|book|schedule|set\s+up|send|share|loop\s+in|call|email|prepare|draft|run|arrange|organi[sz]e|"
    r"introduce|confirm|ask|review|bring|invite|line\s+up|walk|demo|present"
)
_WE_MUST = re.compile(
    r"^(?:(?:i|we)(?:'ll|’ll|\s+will|\s+need\s+to|\s+have\s+to|\s+must|\s+should|\s+ought\s+to|\s+promised(?:\s+them)?\s+to|"
    r"\s+(?:have|'ve)\s+got\s+to)|need\s+to|have\s+to|must|got\s+to)\s+"
    rf"(?P<what>(?:{_ACTION_VERBS})\b.+)$",
    re.IGNORECASE,
)
_WE_OWE = re.compile(
    r"^(?:i|we)\s+(?:owe|promised)\s+(?P<whom>them|the\s+customer|\w+)\s+(?P<what>(?:a|an|the|our|some|updated|"
    r"revised|new)?\s*.+)$",
    re.IGNORECASE,
)
_POC = re.compile(r"\b(?:(?P<weeks>\d+)[- ]week\s+)?(?:POC|proof\s+of\s+concept|pilot)\b", re.IGNORECASE)
_AGREED = re.compile(r"\b(?:agreed|confirmed|approved|signed\s+off|green[- ]?lit|a\s+go)\b", re.IGNORECASE)
_POC_WEEKS = re.compile(r"\b(?P<weeks>\d+)\s*[- ]?\s*weeks?\b", re.IGNORECASE)
_WANTS = re.compile(
    r"\b(?:they|he|she)\s+(?:want|would\s+like|asked\s+for|requested)\s+(?P<what>(?:a|an|another)\s+"
    r"(?:demo|workshop|deep\s+dive|walkthrough|call|meeting|session|reference\s+call)\b.*)$",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s,;:.!-]+$")


@dataclass(frozen=True)
class NextAction:
    """A step the message makes evident: its title, who (None: the rep), and the day it is due (None: not said)."""

    title: str
    owner: str | None
    due: date | None
    when_said: str | None


def read_next_actions(text: str, *, today: date, limit: int = 2) -> list[NextAction]:
    """The next actions in a rep's message, first said first (at most `limit`)."""
    written_at = datetime.combine(today, time(12), tzinfo=UTC)
    found: list[NextAction] = []
    for sentence in (s.strip() for s in _SENTENCES.split(text.strip())):
        if not sentence or sentence.endswith("?") or _HEDGE.search(sentence):
            continue
        if read_step(sentence, written_at=written_at) is not None:
            continue  # the rep wrote it as a step: it is added from their words
        action = _action(sentence.rstrip(".!;"), written_at)
        if action is not None and all(a.title.casefold() != action.title.casefold() for a in found):
            found.append(action)
    return found[:limit]


def _action(sentence: str, written_at: datetime) -> NextAction | None:
    due, when_said, rest = read_due(sentence, written_at=written_at)
    rest = _TRAILING.sub("", re.sub(r"\s+", " ", rest).strip())
    title, owner = _title(rest)
    if title is None:
        return None
    return NextAction(title=_capitalised(title), owner=owner, due=due, when_said=when_said)


def _title(sentence: str) -> tuple[str | None, str | None]:
    """What to do about the sentence, and who (a mentioned person), or (None, None) when it proposes nothing."""
    if _POC.search(sentence) and _AGREED.search(sentence):
        weeks = _POC.search(sentence)
        length = (weeks.group("weeks") if weeks else None) or (
            m.group("weeks") if (m := _POC_WEEKS.search(sentence)) else None
        )
        return (f"Kick off the {length}-week POC" if length else "Kick off the POC"), None
    if match := _MENTIONED.match(sentence):
        return match.group("what"), match.group("owner").upper()
    if match := _SENDS.match(sentence):
        return f"Chase {_object(match.group('what'))} from {_whom(match.group('who'))}", None
    if match := _GETS_BACK.match(sentence):
        return f"Chase {_whose(match.group('who'))} answer {match.group('what')}", None
    if match := _INTRODUCES.match(sentence):
        return f"Meet {match.group('what')} ({match.group('who')} to introduce us)", None
    if match := _PROMISED_THING.match(sentence):
        return f"Chase {_object(match.group('what'))} from {_whom(match.group('who'))}", None
    if match := _WE_MUST.match(sentence):
        return match.group("what"), None
    if match := _WE_OWE.match(sentence):
        return f"Send {match.group('whom')} {match.group('what')}", None
    if match := _WANTS.match(sentence):
        return f"Set up {match.group('what')}", None
    return None, None


def _object(what: str) -> str:
    """The thing they send, as it reads after "Chase": their own words, "us" dropped."""
    return re.sub(r"^(?:us|over)\s+", "", what.strip(), flags=re.IGNORECASE)


def _whom(who: str) -> str:
    """They -> them; "Their legal team" -> "their legal team"; a name stays a name."""
    lowered = who.lower()
    if lowered in ("they", "he", "she"):
        return {"they": "them", "he": "him", "she": "her"}[lowered]
    if lowered.startswith("their ") or lowered in ("procurement", "legal", "security"):
        return lowered
    return who


def _whose(who: str) -> str:
    lowered = who.lower()
    if lowered in ("they", "he", "she"):
        return {"they": "their", "he": "his", "she": "her"}[lowered]
    return f"{_whom(who)}'s"


def _capitalised(title: str) -> str:
    title = re.sub(r"\s+", " ", title).strip(" \t,;:-–—.")
    return title[:1].upper() + title[1:]

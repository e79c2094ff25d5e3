"""Next actions a rep's message makes evident, read by rules: what the offline model proposes as next steps.

A sentence proposes a step when it says who will do what, going forward: the customer will send or promised
something, or we wait on it by a day ("they'll send the security questionnaire by Friday", "expecting the
signed order form Friday": chase it), someone must be brought in ("need to get their CISO on a call", "gotta
loop in procurement", "need legal to review the MSA"), we owe them something or said we would do it ("I
promised them a proposal by the 15th", "I told Dana I'd send the ROI model Thursday", "sending them the deck
tmrw"), the rep asks for something with a deadline ("pls send the redlines back by EOW"), a person named by
mention is asked to or will do it ("<@U0SE1> can you spin up a sandbox?", "<@U0SE1> will run the review"), a
meeting is booked for a day ahead ("booked the demo for Wed the 16th"), a POC was agreed, or they asked for a
demo or workshop. Questions (other than a request to someone mentioned), hedges ("probably", "at some point"),
conditions ("if they ever..."), what already happened and steps the rep wrote as steps ("next step: ...", added
by deals/step_words.py already) propose nothing. A sentence proposes one step at most: the first of its clauses
that says one, due on the first day the sentence names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from deals.step_words import read_due, read_step

_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_HEDGE = re.compile(
    r"\b(?:probably|maybe|might|perhaps|possibly|at some point|eventually|some day|someday|sometime|not sure|if ever|"
    r"could|would be (?:nice|good|great)|worth (?:a|an|doing|trying)|ideally)\b",
    re.IGNORECASE,
)
_CONDITION = re.compile(r"^(?:if|unless|in case|whether)\b", re.IGNORECASE)
# A date said of the past: nothing ahead to do ("booked the demo yesterday", "sent it last week").
_PAST = re.compile(r"\b(?:yesterday|last|ago|earlier|this morning|previous)\b", re.IGNORECASE)
# Chat spellings, read as the words they stand for before anything else.
_CHAT = (
    (re.compile(r"(?<!\S)w/(?!\S)", re.IGNORECASE), "with"),
    (re.compile(r"(?<!\S)w/o(?!\S)", re.IGNORECASE), "without"),
    (re.compile(r"\bu\b(?!\.)", re.IGNORECASE), "you"),
    (re.compile(r"\bur\b", re.IGNORECASE), "your"),
    (re.compile(r"\bppl\b", re.IGNORECASE), "people"),
    (re.compile(r"\b(?:rly|realy|really|def|definitely|seriously|still|just|urgently)\s+", re.IGNORECASE), ""),
    (re.compile(r"\bmtg\b", re.IGNORECASE), "meeting"),
    (re.compile(r"\b(?P<who>they|we|you)ll\b", re.IGNORECASE), r"\g<who>'ll"),
    (re.compile(r"\bim\b", re.IGNORECASE), "I'm"),
    (re.compile(r"\bgotta\b", re.IGNORECASE), "got to"),
    (re.compile(r"\bgonna\b", re.IGNORECASE), "going to"),
    (re.compile(r"\blets\b", re.IGNORECASE), "let's"),
    (re.compile(r"[’]"), "'"),
)
_LEAD_IN = re.compile(r"^(?:(?:ok(?:ay)?|so|also|and|btw|fyi|update|quick update|heads up)\b[\s,:-]*)+", re.IGNORECASE)
_GREETING_MENTION = re.compile(r"^(?:hey|hi|hello|yo)\s+(?=<@)", re.IGNORECASE)
_PLEASE = re.compile(r"\s*\b(?:pls|plz|please|pretty please|thx|thanks|ty)\b[\s,!]*", re.IGNORECASE)
# A new clause after a comma, or a reason or consequence tacked on: not part of the step.
_CLAUSES = re.compile(
    r",\s+(?=(?:she|he|they|we|i|it|this|that|which|so|but|then|will|otherwise|because|since|as|and\s+"
    r"(?:she|he|they|we|i|it))\b)|\s+(?=(?:or\s+(?:else|this|it|we)|otherwise|because|since|so\s+that)\b)|\s+[-–—]\s+",
    re.IGNORECASE,
)

_WILL = r"(?:'ll|\s+will|(?:\s+is|\s+are|'s|'re)\s+going\s+to|\s+promised(?:\s+to)?|\s+agreed\s+to|\s+committed\s+to|\s+said\s+(?:they|he|she)(?:'d|'ll|\s+would|\s+will))"
# Someone on the customer's side, as reps name them.
_THEM = (
    r"(?P<who>they|he|she|the\s+customer|the\s+client|the\s+prospect|their\s+[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2}|procurement|legal|security|infosec|"
    # A name is capitalised, whatever the case of the rest: "Dana", "Sarah from IT", "Acme legal".
    r"(?-i:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)(?:\s+(?:legal|procurement|security|infosec|finance|it))?"
    r"(?:\s+(?:from|at|in|on)\s+(?:the\s+)?[\w-]+(?:\s+team)?)?)"
)
_SENDS = re.compile(
    rf"^{_THEM}{_WILL}\s+(?:send(?:\s+(?:us|over))?|share|provide|return|deliver|forward)\s+(?P<what>.+)$",
    re.IGNORECASE,
)
_SIGNS = re.compile(rf"^{_THEM}{_WILL}\s+(?:sign|countersign|execute)\b\s*(?P<what>.*)$", re.IGNORECASE)
_PROMISED_THING = re.compile(
    rf"^{_THEM}\s+(?:promised|owes?)\s+(?:us\s+)?(?P<what>(?:the|a|an|their)\s+.+)$", re.IGNORECASE
)
_GETS_BACK = re.compile(
    rf"^{_THEM}{_WILL}\s+(?:get|come)\s+back\s+to\s+(?:us|me)\s+(?:with\s+(?P<thing>.+)|(?P<what>.+))$", re.IGNORECASE
)
_INTRODUCES = re.compile(
    rf"^{_THEM}{_WILL}\s+(?:introduce|intro|connect)\s+(?:us|me)\s+(?:to|with)\s+(?P<what>.+)$", re.IGNORECASE
)
_ASKED_US = re.compile(rf"^{_THEM}\s+(?:asked|wants?|needs?)\s+(?:us|me)\s+to\s+(?P<what>.+)$", re.IGNORECASE)

# What a rep does, as a verb at the head of a step.
_DOING = (
    r"send|share|prepare|prep|draft|write|put\s+together|pull\s+together|update|revise|finali[sz]e|build|spin\s+up|"
    r"set\s+up|schedule|reschedule|book|call|email|ping|chase|nudge|reach\s+out|loop\s+in|sync|run|review|get|bring|"
    r"invite|introduce|intro|walk|demo|present|confirm|ask|check|deliver|submit|sign\s+off|sign|approve|redline|"
    r"escalate|talk|meet|line\s+up|arrange|organi[sz]e|grab|find|connect|align|give|hand|create|provision|kick\s+off|"
    r"reply|respond|return|hop\s+on|jump\s+on|cc|add|dm|text|look\s+into|dig\s+into|work\s+out|circulate|forward|own|"
    r"handle|finish|complete|wrap\s+up|close\s+out|make\s+sure|follow\s+up"
)
# Verbs clear enough to be a request on their own, with a day or a "please" ("send the redlines by EOW").
_REQUESTING = (
    r"send|share|prepare|draft|write|put\s+together|pull\s+together|revise|finali[sz]e|spin\s+up|set\s+up|schedule|"
    r"reschedule|book|ping|chase|nudge|reach\s+out|loop\s+in|get|bring|invite|introduce|intro|confirm|deliver|"
    r"submit|sign\s+off\s+on|approve|redline|escalate|line\s+up|arrange|organi[sz]e|grab|provision|kick\s+off"
)
# Their -ing forms, said as a plan ("sending them the deck tmrw"), and the verb they stand for.
_GERUNDS = {
    "sending": "send",
    "sharing": "share",
    "prepping": "prep",
    "preparing": "prepare",
    "drafting": "draft",
    "writing": "write",
    "putting together": "put together",
    "pulling together": "pull together",
    "updating": "update",
    "revising": "revise",
    "finalizing": "finalize",
    "finalising": "finalise",
    "booking": "book",
    "scheduling": "schedule",
    "setting up": "set up",
    "calling": "call",
    "emailing": "email",
    "pinging": "ping",
    "chasing": "chase",
    "looping in": "loop in",
    "reaching out": "reach out",
    "presenting": "present",
    "submitting": "submit",
    "delivering": "deliver",
    "walking": "walk",
    "demoing": "demo",
    "bringing": "bring",
    "inviting": "invite",
}
_GERUND = "|".join(w.replace(" ", r"\s+") for w in sorted(_GERUNDS, key=len, reverse=True))
_MEETING = (
    r"call|meeting|demo|workshop|deep[- ]dive|walk[- ]?through|session|sync|follow[- ]up|check[- ]in|review|"
    r"presentation|on[- ]?site|visit|kick[- ]?off|qbr|briefing|sit[- ]down|touch[- ]?point|catch[- ]up|zoom|lunch|dinner"
)
_MODAL = (
    r"(?:'ll|'d\s+better|\s+will|\s+need\s+to|\s+have\s+to|\s+must|\s+should|\s+ought\s+to|\s+promised(?:\s+them)?\s+to|"
    r"(?:\s+have|'ve)?\s+got\s+to|(?:'m|'re|\s+am|\s+are)\s+going\s+to|\s+plan\s+to|(?:'m|'re|\s+am|\s+are)\s+planning\s+to)"
)
_WE_MUST = re.compile(
    rf"^(?:(?:i|we){_MODAL}|will|need\s+to|have\s+to|must|got\s+to|going\s+to|should|let's|let\s+us|"
    r"(?:it's\s+|that's\s+)?on\s+(?:me|us)\s+to|(?:i'm|we're|i\s+am|we\s+are)\s+on\s+the\s+hook\s+to)\s+"
    rf"(?P<what>(?:{_DOING})\b.+)$",
    re.IGNORECASE,
)
# "I told Dana I'd send the ROI model Thursday": what the rep said they would do, for whom.
_TOLD_THEM = re.compile(
    r"^(?:(?:i|we)\s+)?(?:told|promised|assured|let)\s+(?P<whom>them|him|her|the\s+customer|the\s+client|[A-Z]\w+(?:\s+[A-Z]\w+)?)"
    r"(?:\s+know)?\s+(?:that\s+)?(?:i|we)(?:'d|\s+would|'ll|\s+will)\s+"
    rf"(?P<what>(?:{_DOING})\b.+)$",
    re.IGNORECASE,
)
_PLANNED = re.compile(rf"^(?:(?:i'm|we're|i\s+am|we\s+are)\s+)?(?P<verb>{_GERUND})\b(?P<what>.*)$", re.IGNORECASE)
_PLEASE_DO = re.compile(rf"^(?P<please>(?:pls|plz|please)\s+)?(?P<what>(?:{_REQUESTING})\b.+)$", re.IGNORECASE)
# "I'm on the hook for the ROI calc": the rep delivers it.
_ON_THE_HOOK = re.compile(
    r"^(?:(?:i'm|we're|i\s+am|we\s+are)\s+on\s+the\s+hook|(?:it's\s+)?on\s+(?:me|us))\s+for\s+(?P<what>(?:the|a|an|our)\s+.+)$",
    re.IGNORECASE,
)
# "need legal to review the MSA": get them to do it.
_NEED_THEM_TO = re.compile(
    rf"^(?:(?:i|we)\s+)?need\s+(?P<who>(?!to\b)[\w' -]{{1,40}}?)\s+to\s+(?P<what>(?:{_DOING}|sign|approve|agree)\b.+)$",
    re.IGNORECASE,
)
# "they'll have the redlines back to us by Monday".
_BACK_TO_US = re.compile(
    rf"^{_THEM}{_WILL}\s+(?:have|get|send)\s+(?P<what>.+?)\s+back(?:\s+to\s+(?:us|me))?$", re.IGNORECASE
)
# "expecting the signed order form from them Friday", "waiting on their security team for the pen test results".
_WAITING = re.compile(
    r"^(?:(?:we're|i'm|we\s+are|i\s+am)\s+)?(?P<verb>expecting|awaiting|waiting\s+(?:on|for))\s+(?P<first>.+?)"
    r"(?:\s+(?P<link>from|for)\s+(?P<second>.+))?$",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"^(?:them|it|him|her|they|us|that|this|something|anything)$", re.IGNORECASE)
# "we're meeting their CFO on Tuesday".
_MEETING_THEM = re.compile(r"^(?:we're|i'm|we\s+are|i\s+am)\s+meeting\s+(?:with\s+)?(?P<who>.+)$", re.IGNORECASE)
_WE_OWE = re.compile(
    r"^(?:i|we)\s+(?:owe|promised)\s+(?P<whom>them|the\s+customer|\w+)\s+(?P<what>(?:a|an|the|our|some|updated|"
    r"revised|new)?\s*.+)$",
    re.IGNORECASE,
)
_WANTING = (
    r"(?:(?:i|we)(?:'d|'ve)?\s+)?(?:(?:need|have|got|want)\s+to\s+(?:get|have|bring)|let's\s+(?:get|have|bring)|"
    r"need|want|would\s+like)"
)
# "need their CISO on a call", "let's get legal on a call Thursday": a call with them.
_ON_A_CALL = re.compile(
    rf"^(?:{_WANTING}|get)\s+(?P<who>.+?)\s+(?:on|onto|in|into|for|at)\s+(?:a|the|an|our)\s+"
    r"(?P<kind>(?:[\w-]+\s+){0,2}?(?:call|zoom|phone|meeting|room|demo|session|workshop|review))\b(?P<rest>.*)$",
    re.IGNORECASE,
)
# "need a follow-up with the CFO", "let's set up a workshop with their data team".
_A_MEETING = re.compile(
    rf"^(?:{_WANTING}|let's\s+(?:do|set\s+up|book|schedule)|(?:i|we){_MODAL}\s+(?:set\s+up|book|schedule|do|have))\s+"
    rf"(?:a|an|another|the|one\s+more)\s+(?P<meeting>(?:[\w-]+\s+){{0,2}}?(?:{_MEETING}))"
    r"(?P<rest>(?:\s+(?:with|for|on|about|to|before|after|so)\b.*)?)$",
    re.IGNORECASE,
)
# "booked the technical demo for Wed the 16th", "the QBR is scheduled for the 10th": a meeting ahead, on its day.
_BOOKED = re.compile(
    r"^(?:(?:i|we)(?:'ve|\s+have)?\s+)?(?:booked|scheduled|set\s+up|lined\s+up|locked\s+in|confirmed|got|have|"
    r"sent\s+(?:the\s+|an\s+|a\s+)?(?:calendar\s+)?invites?\s+for|(?:calendar\s+)?invites?\s+(?:sent|is\s+out|out)\s+for)\s+"
    rf"(?:a|an|the|our|their)\s+(?P<meeting>(?:[\w-]+\s+){{0,3}}?(?:{_MEETING}))\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_IS_BOOKED = re.compile(
    rf"^(?:(?:the|our|their)\s+)?(?P<meeting>(?:[\w-]+\s+){{0,3}}?(?:{_MEETING}))(?P<with>(?:\s+with\s+.+?)?)\s+"
    r"(?:(?:(?:is|'s)\s+)?(?:booked|scheduled|confirmed|locked\s+in|set\s+up|set)|(?:is|'s)\s+on)\b(?P<rest>.*)$",
    re.IGNORECASE,
)

_MENTION = r"<@(?P<owner>[UW][A-Z0-9]{2,30})>"
_MENTIONED = re.compile(
    rf"^{_MENTION}(?:'ll|\s+will|\s+(?:is\s+going|needs|has)\s+to|\s+to|\s+can)\s+(?P<what>.+)$", re.IGNORECASE
)
# "<@U0SE1> can you spin up a sandbox by Tuesday?", "<@U0SE1> please send the deck": asked of them.
_ASKED_OF = re.compile(
    rf"^{_MENTION}[\s,:]+(?:(?:can|could|would|will)\s+you\s+(?:please\s+|pls\s+)?|(?:please|pls|plz)\s+)"
    r"(?P<what>.+)$",
    re.IGNORECASE,
)
# "<@U0MGR> need your sign off on the 18% discount": what they are asked to give.
_THEIR_PART = {
    "sign off": "Sign off on",
    "sign-off": "Sign off on",
    "signoff": "Sign off on",
    "approval": "Approve",
    "ok": "Approve",
    "okay": "Approve",
    "go-ahead": "Approve",
    "go ahead": "Approve",
    "review": "Review",
    "eyes": "Review",
    "input": "Give input on",
    "feedback": "Give feedback on",
    "thoughts": "Give input on",
    "help": "Help with",
}
_PARTS = "|".join(re.escape(part).replace(r"\ ", r"\s+") for part in sorted(_THEIR_PART, key=len, reverse=True))
_NEED_THEIR = re.compile(
    rf"^{_MENTION}[\s,:]+(?:i|we)?\s*(?:need|want|would\s+like)\s+your\s+(?P<part>{_PARTS})"
    r"\s+(?:on|for|with|of)\s+(?P<what>.+)$",
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
# "let's get started", "we'll get there": a verb of the list that is no step.
_NOT_A_STEP = re.compile(r"^get\s+(?:started|going|moving|there|it\s+done|back\s+to\s+work)\b", re.IGNORECASE)
_SENDING = re.compile(r"^(?:send|share|deliver|forward|submit|return)\b", re.IGNORECASE)
# A word the date leaves behind, or a "for"/"on" left without its day ("the demo for with their team").
_DANGLING = re.compile(r"\s+(?:for|on|at|by|until|till)(?=\s+(?:with|to|after|before)\b|\s*$)", re.IGNORECASE)
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
    for sentence in split_sentences(text):
        if read_step(sentence, written_at=written_at) is not None:
            continue  # the rep wrote it as a step: it is added from their words
        action = _action(sentence, written_at)
        if action is not None and all(a.title.casefold() != action.title.casefold() for a in found):
            found.append(action)
    return found[:limit]


def split_sentences(text: str) -> list[str]:
    """The message's sentences, as the rules read them one by one."""
    return [s.strip() for s in _SENTENCES.split(text.strip()) if s and s.strip()]


def _action(sentence: str, written_at: datetime) -> NextAction | None:
    said = _plain(sentence)
    asked_of = _ASKED_OF.match(said) is not None
    if said.endswith("?") and not asked_of:
        return None  # a question, unless it asks someone mentioned to do something
    if (_HEDGE.search(said) and not asked_of) or _CONDITION.match(said):
        return None
    due, when_said, rest = read_due(said.rstrip(".!?;"), written_at=written_at)
    if when_said is not None and _PAST.search(when_said):
        return None  # said of a day gone by
    rest = _TRAILING.sub("", re.sub(r"\s+", " ", rest).strip())
    for clause in _CLAUSES.split(rest):
        clause = _TRAILING.sub("", clause.strip())
        title, owner = _title(clause, dated=due is not None)
        if title is not None:
            title = _tidy(title)
            return NextAction(title=title, owner=owner, due=due, when_said=when_said) if title else None
    return None


def _plain(sentence: str) -> str:
    """The sentence with chat spellings read, a lead-in ("ok so", "fyi") and a greeting before a mention dropped."""
    for pattern, word in _CHAT:
        sentence = pattern.sub(word, sentence)
    sentence = _GREETING_MENTION.sub("", _LEAD_IN.sub("", sentence.strip()))
    return re.sub(r"\s+", " ", sentence).strip()


def _title(clause: str, *, dated: bool) -> tuple[str | None, str | None]:
    """What to do about a clause, and who (a mentioned person), or (None, None) when it proposes nothing."""
    if _POC.search(clause) and _AGREED.search(clause):
        weeks = _POC.search(clause)
        length = (weeks.group("weeks") if weeks else None) or (
            m.group("weeks") if (m := _POC_WEEKS.search(clause)) else None
        )
        return (f"Kick off the {length}-week POC" if length else "Kick off the POC"), None
    if match := _NEED_THEIR.match(clause):
        part = _THEIR_PART[re.sub(r"\s+", " ", match.group("part").lower())]
        return f"{part} {match.group('what')}", match.group("owner").upper()
    if match := _ASKED_OF.match(clause) or _MENTIONED.match(clause):
        return _as_step(match.group("what")), match.group("owner").upper()
    if match := _SENDS.match(clause):
        return f"Chase {_object(match.group('what'))} from {_whom(match.group('who'))}", None
    if match := _SIGNS.match(clause):
        what = re.sub(r"^(?:the|our|their)\s+", "", match.group("what").strip(), flags=re.IGNORECASE)
        if not what or re.match(r"(?:it|off)\b", what, re.IGNORECASE):
            return f"Chase {_whose(match.group('who'))} signature", None
        return f"Chase the signed {what} from {_whom(match.group('who'))}", None
    if match := _GETS_BACK.match(clause):
        if match.group("thing"):
            return f"Chase {_object(match.group('thing'))} from {_whom(match.group('who'))}", None
        return f"Chase {_whose(match.group('who'))} answer {match.group('what')}", None
    if match := _INTRODUCES.match(clause):
        return f"Meet {match.group('what')} ({match.group('who')} to introduce us)", None
    if match := _BACK_TO_US.match(clause):
        return f"Chase {_object(match.group('what'))} from {_whom(match.group('who'))}", None
    if dated and (match := _WAITING.match(clause)):
        return _waited_for(match), None
    if match := _PROMISED_THING.match(clause):
        return f"Chase {_object(match.group('what'))} from {_whom(match.group('who'))}", None
    if match := _ASKED_US.match(clause):
        if re.match(rf"(?:{_DOING})\b", match.group("what"), re.IGNORECASE):
            return _as_step(match.group("what")), None
        return None, None
    if match := _ON_A_CALL.match(clause):
        return _call_with(match), None
    if match := _A_MEETING.match(clause):
        return f"{match.group('meeting')}{match.group('rest')}", None
    if match := _TOLD_THEM.match(clause):
        return _for_them(_as_step(match.group("what")), match.group("whom")), None
    if (match := _WE_MUST.match(clause)) and not _NOT_A_STEP.match(match.group("what")):
        return _as_step(match.group("what")), None
    if match := _ON_THE_HOOK.match(clause):
        return f"Deliver {match.group('what')}", None
    if match := _NEED_THEM_TO.match(clause):
        return f"Get {match.group('who')} to {match.group('what')}", None
    if match := _WE_OWE.match(clause):
        return f"Send {match.group('whom')} {match.group('what')}", None
    if match := _WANTS.match(clause):
        return f"Set up {match.group('what')}", None
    if dated and (match := _BOOKED.match(clause) or _IS_BOOKED.match(clause)):
        return f"{match.group('meeting')}{match.groupdict().get('with') or ''}{match.group('rest')}", None
    if dated and (match := _MEETING_THEM.match(clause)):
        return f"Meeting with {match.group('who')}", None
    if dated and (match := _PLANNED.match(clause)):
        verb = _GERUNDS[re.sub(r"\s+", " ", match.group("verb").lower())]
        return f"{verb}{match.group('what')}", None
    if (match := _PLEASE_DO.match(clause)) and (dated or match.group("please")):
        return _as_step(match.group("what")), None
    return None, None


def _as_step(what: str) -> str:
    """A verb phrase as a step: "get legal on a call" reads "Call with legal"; "intro" reads "Introduce"."""
    if match := _ON_A_CALL.match(what):
        return _call_with(match)
    return re.sub(r"^intro\b", "introduce", what.strip(), flags=re.IGNORECASE)


def _call_with(match: re.Match[str]) -> str:
    """ "get legal on a call" reads "Call with legal"; "on the roadmap call", "Roadmap call with ..."."""
    *named, kind = match.group("kind").split()
    noun = {"zoom": "call", "phone": "call", "room": "meeting"}.get(kind.lower(), kind)
    named = [word for word in named if word.lower() not in ("quick", "short", "zoom", "video", "phone")]
    return f"{' '.join([*named, noun])} with {match.group('who')}{match.group('rest')}"


def _waited_for(match: re.Match[str]) -> str | None:
    """ "waiting on their security team for the pen test results": chase the results from the team."""
    first, second = match.group("first"), match.group("second")
    if match.group("verb").lower() == "waiting on" and second and match.group("link").lower() == "for":
        who, what = first, second
    else:
        what, who = first, second
    if _PRONOUN.match(what.strip()):
        return None
    return f"Chase {what} from {_whom(who)}" if who else f"Chase {what}"


def _for_them(step: str, whom: str) -> str:
    """ "Send the ROI model", told to Dana: "Send the ROI model to Dana"."""
    if not _SENDING.match(step) or re.search(r"\bto\s+\S", step, re.IGNORECASE):
        return step
    return f"{step} to {_whom(whom) if whom.lower() in ('he', 'she', 'they') else whom}"


def _object(what: str) -> str:
    """The thing they send, as it reads after "Chase": their own words, "us" dropped."""
    return re.sub(r"^(?:us|over)\s+", "", what.strip(), flags=re.IGNORECASE)


def _whom(who: str) -> str:
    """They -> them; "Their legal team" -> "their legal team"; a name stays a name."""
    lowered = who.lower()
    if lowered in ("they", "he", "she"):
        return {"they": "them", "he": "him", "she": "her"}[lowered]
    if lowered.startswith("the "):
        return lowered
    if lowered.startswith("their "):
        return f"their {who[6:]}"
    if lowered in ("procurement", "legal", "security", "infosec"):
        return lowered
    return who


def _whose(who: str) -> str:
    lowered = who.lower()
    if lowered in ("they", "he", "she"):
        return {"they": "their", "he": "his", "she": "her"}[lowered]
    return f"{_whom(who)}'s"


def _tidy(title: str) -> str:
    title = _PLEASE.sub(" ", title)
    title = _DANGLING.sub("", re.sub(r"\s+", " ", title))
    title = re.sub(r"\s+", " ", title).strip(" \t,;:-–—.!?")
    return title[:1].upper() + title[1:]

"""What a question asks for, and whether the passages retrieved for it state that kind of thing.

A passage can share a question's words and be close to it in meaning without answering it: the pricing page
without prices, the SSO page asked about SCIM, the integrations page asked about PagerDuty. These checks read
the question's shape (what it asks for, and what it asks *about*) and look for that in the passages; each
returns what is lacking, in the question's own words, so "I don't know" can say what was not found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from knowledge import lexical

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_MIN_SENTENCE = 20  # characters: shorter lines are headings or table fragments


class GeneralEnglish(Protocol):
    """General English, as knowledge.answerability.EverydayWords knows it."""

    def rank(self, word: str) -> int | None: ...

    def general(self, word: str) -> bool: ...

    def common(self, word: str) -> bool: ...


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if len(s.strip()) >= _MIN_SENTENCE]


# The kind of answer a question asks for, when it is one a passage states in a recognisable form: an amount of
# money ("how much is Scale-Up per month?", "how much extra do they charge?", "what's the licence fee?"), an
# uptime percentage ("what's the uptime SLA?"), a rate, or a named, numbered standard or version ("SOC 1",
# "ISO 27701"). Passages about the subject that lack it do not answer:
# the pricing page without prices, the support SLA without an uptime figure, the SOC 2 page asked about SOC 1.
_ASKS_PRICE = re.compile(
    r"\bhow\s+much\s+(?:is|are|does|do|would|will|for|per)\b|\b(?:list|unit)\s+prices?\b|"
    r"\bwhat(?:'?s|\s+is|\s+are|\s+does)?\s+(?:[\w-]+\s+){0,3}?(?:cost|price)\b|\b(?:costs?|prices?)\s+(?:per|for)\b|"
    r"\bhow\s+much\s+(?:extra|more)\b(?=[^?.!]*\b(?:costs?|charge[sd]?|pay|fees?|price[sd]?)\b)|\bwhat(?:'?s|\s+is|\s+are)\s+(?:the\s+)?(?:[\w-]+\s+){0,4}(?:fees?|charges?)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(?:k|m)?\s?(?:USD|EUR|GBP|AUD|CAD|dollars?|euros?|pounds?)\b", re.IGNORECASE
)
# "Availability" asks for uptime only beside an SLA, a guarantee or a percentage, and not as a release stage
# ("early availability") or a place ("availability zones").
_AVAILABILITY = r"(?<!early )(?<!limited )(?<!general )(?<!high )\bavailability\b(?!\s+zones?)"
_COMMITMENT = r"(?:\bSLA\b|\bguarantee|%|\bpercent|\bnines\b)"
_ASKS_UPTIME = re.compile(
    rf"\buptime\b|{_AVAILABILITY}(?=.*{_COMMITMENT})|{_COMMITMENT}.*{_AVAILABILITY}", re.IGNORECASE
)
_UPTIME_SAID = re.compile(r"\b(?:uptime|availability|available|SLA)\b", re.IGNORECASE)
_PERCENT = re.compile(r"\d\s?%|\bpercent\b", re.IGNORECASE)
# A rate limit is stated as a rate: "120 requests per minute", "10 rps", "1,000/hour".
_ASKS_RATE = re.compile(
    r"\brate[- ]?limits?\s+(?:on|for|of)\b|\bwhat(?:'?s|\s+is|\s+are)?\s+(?:the\s+)?(?:\w+\s+)?rate[- ]?limits?\b|"
    r"\brate[- ]?limits\s*\?|\brequests?\s+(?:per|a|/)\s*(?:second|sec|minute|min|hour)\b",
    re.IGNORECASE,
)
_RATE = re.compile(
    r"\d[\d,.]*\s*(?:k\s*)?(?:[a-z]+\s+){0,2}?(?:/|per|a|an|every|each)\s*(?:s|sec|seconds?|min|minutes?|h|hr|hours?|day)\b|"
    r"\b\d[\d,.]*\s*(?:rps|rpm|qps|req/s)\b|"
    # a table's limit and window columns: "| 100 requests | 1 minute |"
    r"\b\d[\d,.]*\s*(?:requests?|calls?|req)\s*\|\s*(?:\d+\s*)?(?:s|sec|seconds?|min|minutes?|h|hr|hours?|day)\b",
    re.IGNORECASE,
)
# "max file size", "how big can an upload be": a size in bytes, which no passage that states none answers.
_ASKS_SIZE = re.compile(
    r"\b(?:max(?:imum)?|largest|biggest|limit\s+on\s+(?:the\s+)?)\s+(?:[a-z]+\s+){0,2}size\b|"
    r"\bsize\s+(?:limits?|caps?)\b|\bhow\s+(?:big|large)\s+(?:can|may|could)\b",
    re.IGNORECASE,
)
_SIZE = re.compile(
    r"\d\s?(?:[KMGTP]i?B|[KMGTP]B?/s)\b|\d\s?(?:bytes?|kilobytes?|megabytes?|gigabytes?|terabytes?)\b|"
    r"\b(?:unlimited|no\s+(?:size\s+)?limit)\b",
    re.IGNORECASE,
)
# How long something lasts or takes is answered by a duration ("30 days", "24 hours", "indefinitely", "daily"),
# which a page on the topic that never states one ("audit logs record every change") does not give.
_ASKS_DURATION = re.compile(
    r"\bhow\s+(?:long|soon|quickly|many\s+(?:seconds|minutes|hours|days|weeks|months|years))\b|"
    r"\bretention\s+(?:period|window)\b",
    re.IGNORECASE,
)
# ... but "how long does the key need to be?" asks for a length: a clause that ends in "be" asks how long a thing
# is, not how long it lasts.
_ASKS_LENGTH = re.compile(r"\bhow\s+long\b[^?.!;]*\bbe\s*(?:[?.!;,]|$)", re.IGNORECASE)
_UNIT = r"(?:ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|d|days?|weeks?|months?|years?|yrs?)"
_DURATION = re.compile(
    rf"\b\d[\d,.]*[\s-]*{_UNIT}\b|\b(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|"
    rf"thirty|sixty|ninety)[\s-]+{_UNIT}\b|\b(?:indefinitely|forever|immediately|instantly|hourly|daily|weekly|"
    rf"monthly|annually|yearly|permanently)\b|\bP\d+[DWMY]\b",
    re.IGNORECASE,
)


def _asks_duration(question: str) -> bool:
    return bool(_ASKS_DURATION.search(question)) and not _ASKS_LENGTH.search(question)


def figure_asked_for(question: str) -> re.Pattern[str] | None:
    """What states the kind of figure `question` asks for, when it asks for a duration or a size: "how long are
    logs kept?" is answered by "30 days", not by "up to 3 nodes"."""
    if _asks_duration(question):
        return _DURATION
    if _ASKS_SIZE.search(question):
        return _SIZE
    return None


# A standard or version named with its number, as typed: "SOC 1", "ISO 27701", "GA4", "PCI-DSS 4".
_NUMBERED_NAME = re.compile(r"\b([A-Za-z]{2,})[ -]?(\d{1,5}(?:\.\d+)?)(?![\d.%])\b")
NAME_GAP = 12  # characters a passage may put between a name and its number ("ISO/IEC 27001")
# A number after a protocol is a port, not an edition: "TCP 443" is answered by "TCP connections using port 443".
_PROTOCOLS = frozenset({"tcp", "udp", "port", "ports", "http", "https"})


# A table whose header names the window ("| Plan | API requests (per minute) |") and whose rows hold the numbers
# (the line may begin with the words the answer decision puts before a passage: its title and heading)
_RATE_HEADER = re.compile(
    r"\|[^\n]*(?:\bper|/)\s*(?:s|sec|seconds?|min|minutes?|h|hr|hours?|day)\b[^\n]*\|\s*$", re.IGNORECASE | re.MULTILINE
)
_NUMBER_CELL = re.compile(r"\|\s*\d[\d,.]*\s*(?:k\s*)?\|")


def _rate_table(text: str) -> bool:
    """Whether a table in `text` states a rate: a header naming its window, a row with a number under it."""
    header = _RATE_HEADER.search(text)
    return header is not None and _NUMBER_CELL.search(text, header.end()) is not None


def lacking_answer(question: str, passages: Sequence[str], everyday: GeneralEnglish) -> str | None:
    """The kind of answer `question` asks for that none of `passages` states, or None."""
    said = [" ".join(text.split()) for text in passages]
    if _ASKS_PRICE.search(question) and not any(_MONEY.search(text) for text in said):
        return "a price"
    if _ASKS_UPTIME.search(question) and not any(
        _PERCENT.search(sentence) and _UPTIME_SAID.search(sentence) for text in said for sentence in sentences(text)
    ):
        return "an uptime commitment"
    if _ASKS_RATE.search(question) and not any(
        _RATE.search(flat) or _rate_table(text) for flat, text in zip(said, passages, strict=True)
    ):
        return "a rate limit"
    if _asks_duration(question) and not any(_DURATION.search(text) for text in said):
        return "a duration"
    if _ASKS_SIZE.search(question) and not any(_SIZE.search(text) for text in said):
        return "a size"
    counted = _counted(question)
    ways = _said_as(counted) if counted else []
    if counted and not any(_counts(sentence, ways) for text in passages for sentence in _prose_sentences(text)):
        return "a number of " + " ".join(counted.values())
    lowered = [text.lower() for text in said]
    # the asker's own versions are the scene: "our standard is RHEL 8 - is there an RPM?"
    asking = question if _REFERS_BACK.search(question) else _asking_parts(question)
    for match in _NUMBERED_NAME.finditer(asking):
        name, number = match[1], match[2]
        if not (name.isupper() or (len(name) <= 4 and not everyday.common(name.lower()))):
            continue  # "manage 6 sites", "top 10": a word and a quantity, not a name
        if name.lower() in _PROTOCOLS:
            if not any(re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", t) for t in lowered):
                return f"{name} {number}"
            continue
        if name.lower() in lexical.STOP_WORDS or not any(
            re.search(rf"\b{re.escape(name.lower())}", t) for t in lowered
        ):
            continue  # a name the passages never use is the coverage's business, not this check's
        if any(
            re.search(rf"\b{re.escape(name.lower())}\W?\d[\d.]*\s?(?:\+|or later|and later|or higher|and up)", t)
            for t in lowered
        ):
            continue  # "EHP 7+" answers "EHP8": a range of versions, not another standard
        named = re.compile(
            rf"\b{re.escape(name.lower())}(?:{re.escape(number)}|\W[^.\n]{{0,{NAME_GAP}}}?\b{re.escape(number)})(?![\d])"
        )
        if not any(named.search(text) for text in lowered):
            return f"{name} {number}"
    return None


# A question asking how many of something there may be ("how many seats", "max message size", "a cap on how many
# agents") is answered by a sentence that puts a number (or "unlimited") beside the thing counted, not by passages
# that speak of the thing without counting it.
_ASKS_COUNT = re.compile(
    r"\b(?:(?P<how>how\s+many)|(?<!\d\s)(?<!\d)(?:max(?:imum)?|(?P<least>min(?:imum)?))|"  # not "40 min": minutes
    # a rate limit asks for a rate
    r"(?<!rate\s)(?P<cap>(?:cap|limit|ceiling)s?\s+(?:on|to|for))(?:\s+(?:(?P<many>how\s+many)|the))?|"
    r"number\s+of)\s+(?P<thing>(?:[A-Za-z][\w-]*\s*){1,4})",
    re.IGNORECASE,
)
_COUNT_FILLER = frozenset("number amount count total size".split())  # besides the stop words
# "max message size", "maximum file length", "max runtime": the measure of one thing (a size a table or sentence
# states in MB, a duration), not how many of them.
_MEASURE = frozenset("size sizes length lengths duration weight runtime runtimes timeout timeouts lifetime ttl".split())
_COUNT_WORD = re.compile(
    r"\d|\b(?:unlimited|no\s+limit|one|two|three|four|five|six|seven|eight|nine|ten|twelve|single|dozen|hundred|"
    r"thousand)\b",
    re.IGNORECASE,
)
# Not a count of things: "how many times does it retry?" counts how often something happens ("the default
# maximum retries is 3"); "how many can go down?" leaves the thing unsaid; "the minimum box", "min specs" and
# "minimum version" ask for a requirement, which a table of CPU and RAM or "v1.37 or later" states.
_REPETITIONS = frozenset({"time", "times"})
_ELIDED = frozenset("can could do does did will would should are is must may might go get".split())
COUNT_SPAN = 5  # words between the number and the thing counted


def _counted(question: str) -> dict[str, str]:
    """The thing a question asks the number of, as stems to their words (at most two content words)."""
    match = _ASKS_COUNT.search(question)
    if not match:
        return {}
    thing = match["thing"]
    content = [
        w
        for w in re.findall(r"[A-Za-z][\w-]*", thing)
        if w.lower() not in _COUNT_FILLER and w.lower() not in lexical.STOP_WORDS
    ]
    first = thing.split()[0].lower()
    before = question[: match.start()].split()[-1:]  # "a size limit on uploads" limits a size
    if _MEASURE & ({w.lower() for w in re.findall(r"[A-Za-z]+", thing)} | {w.lower() for w in before}):
        return {}
    if match["least"] or first in _REPETITIONS or (match["how"] and first in _ELIDED):
        return {}
    if match["cap"] and not match["many"] and not (content and content[0].lower().endswith("s")):
        return {}  # "limits on the ingestion API" limits it; "a cap on identities" counts them
    words = content[:2]
    return {lexical.stem(w.lower()): w for w in words}


def _prose_sentences(text: str) -> list[str]:
    """Sentences across hard-wrapped lines: a paragraph's lines are one text, a list item or table row its own."""
    lines = re.split(r"\n\s*\n|\n(?=\s*(?:[-*•|#]|\d+\.)\s)", text)
    return [s for line in lines for s in re.split(r"(?<=[.!?])\s+", " ".join(line.split())) if s]


def _counts(sentence: str, counted: Sequence[frozenset[str]]) -> bool:
    """Whether `sentence` puts a number beside one of the ways to say the thing counted (`_said_as`)."""
    words = re.findall(r"[\w.,%$€£-]+", sentence)
    stems = [lexical.stem(w.lower().strip(".,")) for w in words]
    for i, stem in enumerate(stems):
        for terms in counted:
            if stem in terms and terms <= set(stems[max(0, i - len(terms)) : i + len(terms) + 1]):
                window = words[max(0, i - COUNT_SPAN) : i + COUNT_SPAN + 1]
                if any(_COUNT_WORD.search(w) for w in window):
                    return True
    return False


def _said_as(counted: dict[str, str]) -> list[frozenset[str]]:
    """The ways a page may say the things counted: each word, and its glossary synonyms ("AZs": "availability
    zones")."""
    from knowledge.glossary import default_glossary

    ways = [frozenset({stem}) for stem in counted]
    for word in counted.values():
        for _, _, alternatives in default_glossary().expansions(lexical.words(word)):
            ways.extend(terms for terms, _, broad in alternatives if not broad and terms)
    return list(dict.fromkeys(ways))


# A product named with a capital as the thing to connect to or support ("integrate with PagerDuty", "a Splunk
# connector", "post into Microsoft Teams"): not a customer's or a colleague's name, which is context ("Acme asks
# whether we support SAML").
_NAME = r"([A-Z][a-z]+[A-Za-z0-9]*)"
_CONNECTED_NAME = re.compile(
    rf"\b(?:integrat\w*|connect\w*|plug-?ins?|support\w*|sync\w*|export\w*|stream\w*|send\w*|push\w*|post\w*)"
    rf"\s+(?:(?:with|into|to|from|for|in|on|our|the|a|an)\s+){{0,2}}{_NAME}\b|"
    rf"\b{_NAME}\s+(?:integrations?|connectors?|plug-?ins?|apps?|sinks?|sources?|destinations?)\b|"
    rf"\binto\s+(?:(?:our|the|a|an)\s+)?{_NAME}\b"
)


def named_connection(label: str, question: str) -> bool:
    """Whether a concept the corpus never mentions is a product the question asks to connect to or support:
    what the question is about ("does it integrate with PagerDuty?" is not answered by pages on integrations)."""
    return any(label in (name or "").lower() for match in _CONNECTED_NAME.finditer(question) for name in match.groups())


# A name with its number: a standard, a certification or an algorithm's strength ("ISO 27001", "AES 256", "FIPS
# 140-2"), as the concept reads it.
_STANDARD = re.compile(r"[a-z]{2,}[ -]\d[\d.-]*")


def numbered_standard(label: str) -> bool:
    """Whether a concept the corpus never mentions is a standard named with its number ("iso 27001"): the pages
    of a corpus that never names it cannot say whether it is met, however well they match the rest ("cert")."""
    return _STANDARD.fullmatch(label.lower()) is not None


# What a question asks about sits in recognisable places: after the verb that asks for it ("do you support
# SCIM", "will you sign a BAA", "invoiced in GBP", "is there a GraphQL API", "can we enforce MFA"), where data
# goes to or comes from ("ship the audit log to Splunk", "keys pulled from HashiCorp Vault", "write Avro"), after
# "what" or "which" ("what RPO do you commit to", "what's the sev1 response time"), or before the word that
# says what is wanted of it ("HITRUST certified", "CJIS compliant", "FedRAMP High authorized", "a ServiceNow
# integration"). The asker's own circumstances are context, not subject: "for our DPIA", "we're a DoD
# contractor", "they have 5 MB payloads".
_ASKING_VERB = re.compile(
    r"\b(?:support(?:s|ed)?|sign(?:s|ed)?|offer(?:s|ed)?|provides?|accepts?|integrat\w*|connect\w*|ha(?:ve|s)|"
    r"pay(?:s|ing)?|paid|invoiced|billed|charged|priced|issues?|gives?|runs?|allows?|includes?|"
    r"enforc\w*|requir\w*|enabl\w*|configur\w*|use|using|writes?|sends?|exports?|streams?|forwards?|push(?:es)?|"
    r"syncs?|"
    r"there|into|with|in|via|through|any|which|what(?:'?s|\s+is)?|where(?:'?s|\s+is|\s+are)?)\s+"
    r"(?:(?:a|an|the|some|any|your|its|other)\s+)?(?:(?!(?:for|of|on|at|by|to|from)\b)[\w]+[\s-]+)?$"
    r"|(?<!question\s)(?<!questions\s)(?<!request\s)\b(?:to|from)\s+$",  # "ship to Splunk", not "question from Acme"
    re.IGNORECASE,
)
_WHICH = re.compile(r"\b(?:which|what)\b", re.IGNORECASE)
# Where or which, not whose verb: "is there", "into", "what RPO", never the asker's doing.
_PLACE = re.compile(r"\b(?:there|into|with|in|via|through|any|which|what(?:'?s)?|where(?:'?s)?)\b", re.IGNORECASE)
_ASKING_AFTER = re.compile(
    r"^\s*(?:[A-Z][\w-]*\s+|\d[\w.:-]*\s+)?"  # a level or version between: "FedRAMP High", "ISO 27001:2022"
    r"(?i:certified|certification|compliant|compliance|attestation|accredited|authori[sz]ed|integration|"
    r"connector|app|plug-?in)\b",
)
_ASKERS_OWN = re.compile(
    r"\b(?:our|my|their|his|her|we'?re|we\s+are|i'?m|i\s+am|as\s+an?|for\s+our|for\s+the)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)
_ASKED = re.compile(r"\b(?:can|could|do|does|did|will|would|should|may|might|must)\s+\w+\s+(?:\w+\s+)?$", re.IGNORECASE)
_ASKER = re.compile(r"\b(?:we|they|i|client|customer|cust|prospect|he|she|team|company)\s+(?:\w+\s+)?$", re.IGNORECASE)


# The asker's people and circumstances, named with a possessive or as who wants the answer: "Initech's terraform
# runs", "our CISO", "ciso and cto both want it".
_POSSESSIVE = re.compile(r"^'s\b")
_WHO_WANTS = re.compile(
    r"^(?:\s+(?:and|&)\s+\w+)?(?:\s+(?:both|also|team|here))?\s+"
    r"(?:wants?|asks?|asked|asking|needs?|says?|said|requires?|is\s+asking|are\s+asking)\b",
    re.IGNORECASE,
)


def asker_context(label: str, question: str) -> bool:
    """Whether the question names `label` as the asker's own context (a customer, a role, their circumstances)
    rather than as what it asks about."""
    word = label.split()[0]
    for match in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", question, re.IGNORECASE):
        after = question[match.end() :]
        if _POSSESSIVE.match(after) or _WHO_WANTS.match(after):  # not "our": a rep's "our NPS" is the vendor's
            return True
    return False


# Who the customer is, said in passing: "Customer (Brightwell Logistics) wants...", "Prospect (FinServ, ~40
# nodes) asks...", "a Broker-dealer prospect", "french public-sector lead". A description of the asker's customer,
# not what the question asks about.
_ASKER_NOUN = r"(?:customer|prospect|client|cust)s?"
_ASIDE = re.compile(rf"\b{_ASKER_NOUN}\s*\(([^)]*)\)", re.IGNORECASE)
_DESCRIBED = re.compile(rf"((?:\b[\w-]+\s+){{1,2}}){_ASKER_NOUN}(?![\w-])", re.IGNORECASE)
# A count of the asker's things ("~40 nodes", "2000 PVCs", "3 pods"): a number before a word, not after a name
# ("SOC 2", "RHEL 8", "Longhorn 1.12", "version 3").
_COUNT_OF_THINGS = re.compile(r"(?<![\w.-])(\d[\d,]*(?:k|m)?)\s+[a-z]", re.IGNORECASE)
_AFTER_NAME = re.compile(r"(?:\b[A-Z][\w-]*|\bv|\bversion|\brelease)\s*$", re.IGNORECASE)


# "Prospect needs WORM storage for SEC 17a-4. Does object locking meet that?": the scene is what is asked about.
_REFERS_BACK = re.compile(r"\b(?:it|that|this|them|these|those|either|both|one|so)\s*(?:[?.!,]|$)", re.IGNORECASE)


# Who asks, before what they ask: "Prospect in banking asks: ...", "Customer question - ...".
_LEAD_IN = re.compile(
    r"^[^?:\n]{0,80}?\b(?:asks?|asked|asking|wants\s+to\s+know|wondering|question)\s*[:\u2013\u2014-]\s",
    re.IGNORECASE,
)


def asker(label: str) -> bool:
    """Whether `label` is the asker's customer itself ("prospect", "customer"): who asks, never what about. A
    passage that names it ("customer-managed keys") still counts it."""
    return bool(re.fullmatch(_ASKER_NOUN, label, re.IGNORECASE))


def in_scene(label: str, question: str) -> bool:
    """Whether the question names `label` (as it writes it) only as the scene, not as what it asks about: in a
    part that does not ask ("firewall team needs a list"), in who the customer is ("Customer (Brightwell
    Logistics)", "broker-dealer prospect"), in who asks ("Prospect in banking asks: ..."), or as a count of the
    asker's things ("~40 nodes")."""
    asked = _LEAD_IN.sub(lambda m: " " * len(m[0]), question)
    asking = asked if _REFERS_BACK.search(asked) else _asking_parts(asked, _SENTENCES)
    for described in (_ASIDE, _DESCRIBED):
        asking = described.sub(lambda m: m[0].replace(m[1], " " * len(m[1])), asking)
    spans = list(re.finditer(_span(label.split()), asking, re.IGNORECASE))
    if not spans:
        return bool(re.search(_span(label.split()), question, re.IGNORECASE))
    return all(_counts_things(asking, match) for match in spans)


def _counts_things(text: str, match: re.Match[str]) -> bool:
    counted = _COUNT_OF_THINGS.match(text, match.start())
    return bool(counted and counted.end(1) == match.end()) and not _AFTER_NAME.search(text[: match.start()])


def unanswered_subject(question: str, missing: Sequence[str], english: GeneralEnglish) -> str | None:
    """The first of `missing` (concepts of the question that no retrieved passage holds, in its own words)
    that is what the question asks about, and is specific: written with a capital or a digit, or not a word of
    general English. Passages on the topic that never name it do not answer ("SAML SSO" asked about SCIM)."""
    asking = _asking_parts(question)
    for label in missing:
        words = label.split()
        spans = list(re.finditer(_span(words), asking, re.IGNORECASE)) or list(
            re.finditer(_span(words[:1]), asking, re.IGNORECASE)
        )
        for match in spans:
            before, after = asking[: match.start()], asking[match.end() :]
            written = re.split(r"[\s-]+", match[0])
            if _ASKERS_OWN.search(before) or not any(_specific(word, before, english) for word in written):
                continue
            if _one_of_a_choice(before, after, missing):
                continue
            verb = _ASKING_VERB.search(before)
            subject = before[: verb.start()] if verb else ""
            if verb and not _PLACE.search(verb[0]) and _ASKER.search(subject) and not _ASKED.search(subject):
                verb = None  # "they have 5mb payloads": the asker's verb, so context ("can we enforce MFA" asks)
            if verb and _WHICH.search(verb[0]) and not any(_named_as_such(word) for word in written):
                verb = None  # "which env vars": an abbreviation, where "what RPO" or "what's the sev1" is a name
            if verb or _ASKING_AFTER.match(after):
                return label
    return None


# A question often sets the scene before it asks ("customer wants three people with full admin rights. how many
# owners can a team have?"): what it asks about is in the parts that ask.
_PART = re.compile(r"(?<=[.?!;])\s+|\s+[-–—]\s+|\n")
_ASKS = re.compile(
    r"^(?:do|does|did|can|could|is|are|was|were|will|would|should|has|have|what|what's|whats|which|who|how|when|"
    r"where|why|any|r|u)\b",
    re.IGNORECASE,
)


_SENTENCES = re.compile(r"(?<=[.?!;])\s+|\n")  # parts a dash does not end: "data pinned to the EU - possible?"


def _asking_parts(question: str, split: re.Pattern[str] = _PART) -> str:
    """The parts of `question` that ask (end in "?" or start as a question does), or all of it."""
    parts = [part for part in split.split(question) if part.strip()]
    asking = [part for part in parts if part.rstrip().endswith("?") or _ASKS.match(part.strip())]
    return " ".join(asking) if asking and len(asking) < len(parts) else question


def _named_as_such(written: str) -> bool:
    """Written as a name is: in capitals ("RPO") or with a digit ("sev1")."""
    return any(c.isdigit() for c in written) or (len(written) > 1 and written.isupper())


def _span(words: Sequence[str]) -> str:
    """A pattern for `words` as the question writes them, apart or hyphenated ("ISO 27001", "pen-test")."""
    return r"(?<![\w-])" + r"[\s-]+".join(re.escape(word) for word in words) + r"(?![\w-])"


def _specific(written: str, before: str, english: GeneralEnglish) -> bool:
    if re.fullmatch(r"\d+(?:st|nd|rd|th)", written, re.IGNORECASE):
        return False  # "a 2nd person": an ordinal, not a name
    if any(c.isdigit() for c in written):
        return True
    parts = [part for part in re.split(r"[/-]", written.lower()) if part]  # "cpu/ram", "right-to-erasure": English
    if any(not any(english.general(form) for form in _word_forms(part)) for part in parts):
        return True  # "SCIM", "GraphQL", "escrow": not general English ("provisioning" is: "provision")
    starts_sentence = not before.strip() or before.rstrip()[-1] in ".?!:"
    return written[0].isupper() and not starts_sentence


def _word_forms(word: str) -> list[str]:
    """The word and the forms general English may list it under: "provisioning" under "provision"."""
    forms = [word]
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.append(word[: -len(suffix)] + replacement)
    return forms


def asked_about(question: str, label: str) -> bool:
    """Whether the question asks about `label` (as it writes it) rather than naming it as the scene or as the
    asker's own: "is there an offline licence? we're air-gapped" does not ask whether air-gapped installs exist."""
    asking = _asking_parts(question)
    for match in re.finditer(_span(label.split()), asking, re.IGNORECASE):
        before, after = asking[: match.start()], asking[match.end() :]
        if not _ASKERS_OWN.search(before) and not _one_of_a_choice(before, after):
            return True
    return False


_OTHER_AFTER = re.compile(
    r"^\s*,?\s*(?:or|vs\.?|versus)\s+(?:(?:a|an|the|our|my|your|their)\s+)?([\w-]+)", re.IGNORECASE
)
_OTHER_BEFORE = re.compile(r"([\w-]+)\s+(?:or|vs\.?|versus)\s+$", re.IGNORECASE)


def _one_of_a_choice(before: str, after: str, missing: Sequence[str] | None = None) -> bool:
    """Whether the words stand as one side of a choice ("SAML or OIDC?", "OIDC vs SAML"): the passages that name
    the other side answer which it is. With `missing` (what no passage names), only when they do name the other
    side: "HashiCorp Vault or AWS KMS?" is not answered by pages that name neither."""
    other = _OTHER_AFTER.match(after) or _OTHER_BEFORE.search(before)
    if other is None:
        return False
    unnamed = {word for label in missing or () for word in label.lower().split()}
    return other[1].lower() not in unnamed

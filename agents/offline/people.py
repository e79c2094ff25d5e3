"""Who is who in the deal: the contact (name, role, company), the economic buyer and the champion.

Only names and titles the rep wrote are kept, as written; nothing is inferred from a bare
first name or an email address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = r"(?:[A-Z][a-z][\w'’-]*|[A-Z][a-z]?['’][A-Z][\w'’-]+|Mc[A-Z][\w'’-]+)(?:\s+(?:van |de |da |von |del |le )?(?:[A-Z][a-z][\w'’-]*|Mc[A-Z][\w'’-]+)){1,2}"
_COMPANY = (
    r"[A-Z][\w&'’-]*(?:\.[a-z]{2,})?"
    r"(?:\s+(?:&\s+)?(?!(?:The|They|Their|We|Our|He|She|It|And|But|So|About|Pain|Budget)\b)[A-Z][\w&'’-]*(?:\.[a-z]{2,})?){0,3}"
)
_NOT_A_NAME = re.compile(
    r"^(?:The|They|Their|This|That|These|Those|We|Our|He|She|His|Her|Head|VP|Chief|Director|Team|Data|Call|Met|"
    r"Spoke|Budget|Deal|Account|Customer|Prospect|Sales|Security|Legal|Procurement|Finance|IT|Engineering|Platform|"
    r"Product|Operations|Analytics|North|South|East|West|New|San|Los|Las|Salt|Great|United|Saudi|Hong|Kuala|Abu|"
    r"Tel|Cape|Buenos|Mexico|Santiago|Rio|Sao|São|Monday|Tuesday|Wednesday|Thursday|Friday|Q[1-4])\b"
)
_TITLE_WORDS = (
    r"VP|SVP|EVP|AVP|Vice President|Head|Director|Dir\.?|Chief [\w ]{2,20}? Officer|C[A-Z]{1,2}O|CISO|GM|"
    r"General Manager|Managing Director|Manager|Mgr|Lead|Principal|Architect|Engineer|Owner|President|Founder|"
    r"Co-?founder|Analyst|Admin\w*|Officer|Partner|Controller|Treasurer|Specialist|Consultant|Scientist|"
    r"Eng\b|Buyer|Procurement|Counsel|Steward"
)
_TITLE = re.compile(rf"\b(?:{_TITLE_WORDS})\b", re.IGNORECASE)
_ROLE_AFTER = re.compile(
    r"^\s*(?:\(\s*(?P<paren>[^)]{2,60})\)|[,–—-]\s*(?:the |their |our )?(?P<apposition>[^,.;()\n]{2,60}))"
)
_COMPANY_AFTER = re.compile(rf"^\s*(?:,\s*)?(?:at|from|of|@)\s+(?P<company>{_COMPANY})")
_CONTACT = re.compile(
    rf"\b(?i:spoke (?:with|to)|speaking (?:with|to)|call with|calls with|met with|met|meeting with|talked (?:with|to)|"
    rf"chatted with|contact is|point of contact is|main contact is|champion call with|intro(?:duction)?(?: call)? "
    rf"(?:to|with|w/)|(?:spoke|met|mtg|meeting|sync|chat|catch[- ]up|talked|call|demo) w/|heard (?:back )?from|"
    rf"demo (?:with|for)|connected with|email from|"
    rf"discovery (?:call )?with|(?:got )?off (?:the|a) (?:phone|call) with|on (?:the|a) (?:phone|call|zoom|Teams call) with|"
    rf"phone call with|zoom with|coffee with|lunch with|chat with)\s+(?P<name>{_NAME})"
)
_COMPANY_LABEL = re.compile(
    r"(?:^|\n|[.;]\s+)\W{0,3}(?i:deal|new opp(?:ortunity)?|opp(?:ortunity)?|account|prospect|customer|company|client|"
    rf"new (?:lead|logo))\s*[:\-–—]\s*(?P<company>{_COMPANY})"
    rf"|^\W{{0,3}}(?P<heading>{_COMPANY})\s+[-–—]\s+(?i:discovery|call notes|notes|recap)\b"
)
# A title as reps write it: "VP Finance", "VP of Finance", "group CFO", "Chief Data Officer", "Head of IT".
_TITLE_PHRASE = (
    rf"(?:(?:the|their|our)\s+)?(?:(?:group|global|regional|divisional|interim|acting|new)\s+)?"
    rf"(?:[A-Z][\w&]*\s+){{0,2}}?(?:{_TITLE_WORDS})(?:\s+(?:of\s+)?[A-Z][\w&]*(?:\s+[A-Z][\w&]*)?)?"
)
_BUYER_SITS = re.compile(
    rf"\b(?i:budget|sign[- ]?off|signature|final say|final approval|approval|the money|the \$\$|purse strings|the decision)\s+"
    rf"(?i:(?:actually|really|ultimately|now)\s+)?(?i:sits|lies|rests|is|comes|has to come)\s+(?i:with|from)\s+"
    rf"(?P<v>{_TITLE_PHRASE}|{_NAME})"
)
_BUYER = re.compile(
    rf"\b(?i:economic buyer|econ(?:\.)? buyer|EB|budget owner|budget holder|signer|signatory|final approver|"
    rf"(?:the|their) buyer|decision[- ]maker|final decision[- ]maker|"
    rf"(?:the (?:one|person)|whoever) (?:who )?(?:holds|controls|owns|has|signs)(?: off)?(?: the)?(?: purse strings| budget| money| final say| sign-off)?)"
    rf"\s*(?i:is|:|=|will be|would be)\s*"
    rf"(?P<v1>[^.;\n]{{2,80}})"
    rf"|(?P<v2>{_TITLE_PHRASE}(?:,\s*{_NAME},?)?|{_NAME}(?:\s*\([^)]*\)|,\s*[^,.;]{{2,40}},)?)"
    rf"\s+(?i:signs|will sign|would sign|signs off|has to sign(?: off)?|owns the (?:budget|money|spend)|holds the (?:budget|purse strings)|"
    rf"controls the (?:budget|money|spend)|has (?:the )?(?:final say|budget|signing authority|purse strings|last word|sign[- ]?off|approval authority)|"
    rf"approves|will approve|is the (?:econ(?:omic)? buyer|EB|budget owner|decision[- ]maker)|makes the call|"
    rf"is the one (?:signing|who signs|approving|who approves)|is signing(?: off)?|"
    rf"has the purse strings)"
    rf"|(?P<v3>{_NAME}(?:,\s*[^,.;]{{2,40}})?),?\s+who\s+(?i:owns|holds|controls|signs|has)\s+(?i:the budget|off|final say|the final say)"
)
# A first name alone ("Raj is pushing for us"): resolved to the full name of someone already named.
_FIRST_NAME = r"(?:[A-Z][a-zà-ÿ][\w'’-]*)"
_CHAMPION_NOUN = r"(?i:(?:internal |inside |strong |biggest )?(?:champion|sponsor|advocate|coach|ally|fan))"
_PUSHING = (
    r"(?i:is pushing (?:hard |really hard )?for (?:us|this|Halyard)(?: internally)?|is championing (?:us|this|the deal|it)|"
    r"is selling (?:us|this|it) internally|is in our corner|is backing us|is rooting for us|"
    r"is driving (?:this|it|the deal|the project|the evaluation)(?: internally)?|wants us to win)"
)
# Between a champion's name and what they do: "Chris from their data team loves us and is driving this".
_ABOUT_THEM = (
    r"(?:\s+(?i:from|at|on|in)\s+(?i:the\s+|their\s+)?[\w&-]+(?:\s+[\w&-]+){0,2}?)?(?:\s*,\s*[^,.;]{2,30},)?"
    r"(?:\s+(?i:loves|likes|gets|is into)\s+(?i:us|it|this)\s+(?i:and))?"
)
_CHAMPION = re.compile(
    rf"(?<![Ee]xec )(?<![Ee]xecutive )\b(?i:(?:our |the |their )?(?:internal )?(?:champion|champ|internal sponsor|sponsor|coach|advocate))"
    rf"\s*(?i:is|:|=|will be)\s*(?P<v1>[^.;\n]{{2,80}})"
    rf"|\b(?P<v2>{_NAME}|{_TITLE_PHRASE}|{_FIRST_NAME})(?:\s*\([^)]*\))?\s+(?i:is|has been|will be|['’]s)\s+(?i:our|the|a strong|a|an|the internal)\s+"
    rf"{_CHAMPION_NOUN}"
    rf"|\b(?P<v3>{_NAME}|{_FIRST_NAME})(?:\s*\([^)]*\))?{_ABOUT_THEM}\s+{_PUSHING}"
    rf"|\b(?P<pronoun>(?i:she|he))(?:['’]s|\s+is)\s+(?:(?i:our|the|a strong|a|an)\s+{_CHAMPION_NOUN}|"
    rf"(?i:pushing (?:hard |really hard )?for (?:us|this|Halyard)|championing (?:us|this)|in our corner))"
)
# Not a person yet: "champion is whoever runs the data team", "econ buyer probably the COO but TBD".
_VAGUE = re.compile(
    r"^(?:whoever|someone|somebody|anyone|no ?one|nobody|none|n/a|unknown|unclear|TBD|TBC|not sure|not yet|"
    r"probably|maybe|possibly|likely|I think|we think|guess)\b|\b(?:TBD|TBC|not sure|unclear|to be confirmed|"
    r"haven['’]?t met|not confirmed)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Found:
    value: str
    evidence: str


# Where the name and title end and the sentence goes on: "Mei Chen (data eng lead) and she's pushing ...".
_SENTENCE_GOES_ON = re.compile(
    r"\s+(?:and|but|who|which|so)\s+(?:she|he|they|is|was|has|will|would|wants?|thinks?|said|says)\b.*$"
    r"|,?\s+(?:she|he|they)(?:'s|'re| is| are| has| will| wants?| said| thinks?)\b.*$"
    r"|,\s+(?:she|he|they)\s+\w+.*$"
    r"|,?\s+(?:[A-Z]{2,5}|the \w+|\w+) only (?:recommends|advises|influences)\b.*$",
    re.IGNORECASE,
)


def _clean(value: str) -> str:
    value = _SENTENCE_GOES_ON.sub("", value)
    return re.sub(r"\s+", " ", value).strip(" ,.;:-–—")


def contact(text: str) -> tuple[Found | None, Found | None, Found | None]:
    """(name, role, company) of the person the rep spoke with."""
    for match in _CONTACT.finditer(text):
        name = match["name"]
        if _NOT_A_NAME.match(name):
            continue
        rest = text[match.end() :]
        role_match = _ROLE_AFTER.match(rest)
        role = None
        paren_company = None
        if role_match:
            words = role_match["paren"] or role_match["apposition"]
            words = re.split(r"\s+(?:at|from|@)\s+[A-Z]", words)[0]
            # "(IT Director, Osaka Gas Logistics)": the part without a title is the company.
            title, _, other = words.partition(",")
            if (
                other.strip()
                and _TITLE.search(title)
                and not _TITLE.search(other)
                and re.match(_COMPANY, other.strip())
            ):
                words, paren_company = title, other.strip()
            if _TITLE.search(words):
                role = Found(_clean(words), match.group(0) + role_match.group(0))
                rest = rest[role_match.end() :]
        company = Found(_clean(paren_company), role_match.group(0)) if paren_company and role_match else None
        company_match = _COMPANY_AFTER.match(rest)
        if company:
            pass
        elif company_match and not _NOT_A_NAME.match(company_match["company"]):
            company = Found(_clean(company_match["company"]), company_match.group(0))
        elif role_match and role_match["apposition"]:
            at = re.search(rf"\s(?:at|from|@)\s+(?P<company>{_COMPANY})", role_match.group(0))
            if at:
                company = Found(_clean(at["company"]), at.group(0))
        return Found(name, match.group(0)), role, company
    return None, None, None


# Words that end a company's name: "Brightwater Foods", "Granite Peak Credit Union", "Acme GmbH".
_COMPANY_NOUN = re.compile(
    r"\b(?:Inc|Corp|Corporation|Co|Company|Ltd|LLC|LLP|GmbH|AG|SA|SAS|BV|NV|PLC|Pty|Group|Holdings|Partners|Labs|"
    r"Systems|Software|Technologies|Technology|Tech|Health|Healthcare|Medical|Bank|Banking|Capital|Financial|Finance|"
    r"Insurance|Assurance|Energy|Power|Foods?|Retail|Logistics|Freight|Ports?|Games|Gaming|Analytics|Robotics|Biotech|"
    r"Pharma|Pharmaceuticals|Therapeutics|Legal|Law|Credit Union|Motors|Automotive|Airlines?|Airways|Media|Studios?|"
    r"Networks?|Solutions|Services|Industries|Manufacturing|Maschinenbau|Brewing|Brewery|Hospitality|Hotels?|Telecom|"
    r"Utilities|Mining|Minerals|Shipping|Marine|Clinics?|Hospitals?|University|College|Agency|Consulting|Ventures|"
    r"Dynamics|Works|Cloud|AI|Data|Apparel|Fashion|Outfitters|Markets|Grocers|Pharmacy|Dental|Realty|Properties|"
    r"Construction|Engineering|Aerospace|Defen[cs]e|Chemicals|Steel|Transport|Transit|Rail|Mobility|Education)$"
)
_MEETING_WITH_COMPANY = re.compile(
    rf"\b(?i:kick[- ]?off|call|meeting|mtg|demo|discovery|intro|sync|workshop|QBR|onsite|on-site|chat|session|visit)\s+"
    rf"(?i:w/|with|at|for)\s+(?P<company>{_COMPANY})"
)
# "Caldera Games — 35 devs", "Aurora Biotech: 250 seats", "Vela Robotics. 130 engineers": the first
# words of a thread, a name, then the facts.
_COMPANY_FIRST = re.compile(
    rf"^\W{{0,3}}(?P<company>{_COMPANY})(?:\s+(?i:call|meeting|mtg|sync|demo|discovery(?: call)?|notes|recap|kick-?off|intro))?"
    rf"\s*(?:[—–:]\s*|\s-\s|,\s+|\.\s+)(?P<rest>[^\n]*)"
)
_LABEL_WORD = re.compile(
    r"^(?:Deal|Opp|Opportunity|Account|Prospect|Customer|Client|Company|Budget|Seats?|Users?|Regions?|Compliance|"
    r"Deployment|Deploy|Timeline|Target|Go|Next|Pain|Decision|Paper|Champion|Economic|Competitors?|Integrations?|"
    r"Products?|Contact|Notes?|Update|Call|Meeting|Discovery|Recap|Summary|Action|Kickoff|Kick|Security|Legal|"
    r"Procurement|Finance|Data|Identity|SSO|POC|Pilot|Payment|Terms|Net|Status|Stage|Risks?|Blockers?|Quote|Pricing)\b"
)


# A group inside the customer, not the customer: "Big Data Team — 40 users".
_PART_OF_A_COMPANY = re.compile(
    r"\b(?:Team|Teams|Users|Folks|People|Department|Dept|Org|Project|Program|Stack|Platform|Side|Office|Offices|HQ)$"
)


def _looks_like_company(name: str, rest: str = "") -> bool:
    words = [w for w in name.split() if w != "&"]
    if _NOT_A_NAME.match(name) or _LABEL_WORD.match(name) or _PART_OF_A_COMPANY.search(name):
        return False
    if _COMPANY_NOUN.search(name):
        return True
    return (len(words) >= 2 or "&" in name) and bool(re.search(r"\d", rest))


def company(text: str, *, opening: bool = False) -> Found | None:
    """The customer company: after a label ("Deal: Acme Corp"); while no company is known yet
    (`opening`), also a meeting with a company-like name ("Kickoff w/ Brightwater Foods") or the
    name a message starts with ("Quill Legal — 70 seats").
    """
    match = _COMPANY_LABEL.search(text)
    if match:
        return Found(_clean(match["company"] or match["heading"]), match.group(0))
    if not opening:
        return None  # the thread's company is known: other names are references, partners, vendors
    for match in _MEETING_WITH_COMPANY.finditer(text):
        if _COMPANY_NOUN.search(match["company"]) and _looks_like_company(match["company"]):
            return Found(_clean(match["company"]), match.group(0))
    match = _COMPANY_FIRST.match(text)
    if match and _looks_like_company(match["company"], match["rest"]):
        return Found(_clean(match["company"]), match["company"])
    return None


_NAME_THEN_THEIR_ROLE = re.compile(rf"^(?P<name>{_NAME}),\s*(?:their|our|the)\s+[^,]{{2,40}}$")
_THEIR_ROLE_THEN_NAME = re.compile(rf"^(?:their|our|the)\s+[^,]{{2,40}},\s*(?P<name>{_NAME})$", re.IGNORECASE)


def _person(value: str) -> str | None:
    """A person as the rep named them: the name, or the title when no name is given; None when vague.

    "Helen Cho, their COO" and "their data lead, Sam Okafor" are the person's name; "Priya Shah,
    CIO" stays as written; "the VP Finance" keeps its article, lower-cased.
    """
    value = _clean(value)
    if _VAGUE.search(value):
        return None
    match = _NAME_THEN_THEIR_ROLE.match(value) or _THEIR_ROLE_THEN_NAME.match(value)
    if match:
        value = match["name"]
    value = re.sub(r"^The\s+", "the ", value)
    return value if len(value) >= 2 else None


def _in_full(first: str, people: list[str]) -> str:
    """A first name alone, as the full name of someone already named with it ("Tomás" -> "Tomás Ferreira")."""
    if " " in first:
        return first
    for person in people:
        if person.split()[0].casefold() == first.casefold() and " " in person:
            return person.split(",")[0].strip()
    return first


# "We met the CFO, she signs off on anything IT buys": the person named just before.
_BUYER_PRONOUN = re.compile(
    r"\b(?i:she|he)\s+(?i:signs|will sign|signs off|has (?:the )?final say|owns the (?:budget|money)|holds the budget|"
    r"controls the (?:budget|money)|approves (?:the )?(?:budget|spend|purchase)|is the (?:econ(?:omic)? buyer|budget owner))\b"
)


def _without_leading_non_names(words: str) -> str | None:
    """ "Met Dana Whitfield" -> "Dana Whitfield"; a title stays ("the CFO"); None when nothing is left."""
    if re.fullmatch(_TITLE_PHRASE, words):
        return words
    parts = words.split()
    while parts and _NOT_A_NAME.match(parts[0]):
        parts = parts[1:]
    return " ".join(parts) if len(parts) >= 2 else None


def economic_buyer(text: str) -> Found | None:
    found: list[tuple[int, Found]] = []
    for match in _BUYER_PRONOUN.finditer(text):
        named = [
            _without_leading_non_names(m.group(0))
            for m in re.finditer(rf"{_NAME}|{_TITLE_PHRASE}", text[: match.start()])
        ]
        named = [name for name in named if name]
        value = _person(named[-1]) if named else None
        if value:
            found.append((match.start(), Found(value, match.group(0))))
    for pattern in (_BUYER, _BUYER_SITS):
        for match in pattern.finditer(text):
            raw = next((match[group] for group in match.groupdict() if match[group]), None)
            value = _person(raw or "")
            if value:
                found.append((match.start(), Found(value, match.group(0))))
                break
    # The latest statement in the message wins: "econ buyer is the CTO; actually budget sits with the CFO".
    return max(found, key=lambda f: f[0])[1] if found else None


def _named_people(text: str) -> list[tuple[int, str]]:
    """Full names written in the text, with where they start (for "she's our champion")."""
    return [
        (m.start(), m.group(0))
        for m in re.finditer(_NAME, text)
        if not _NOT_A_NAME.match(m.group(0)) and not re.search(r"(?:\bat|\bfrom|\bof|@)\s+$", text[: m.start()])
    ]


def champion(text: str, known_people: list[str] | None = None) -> Found | None:
    """The champion: named, described as pushing for us, or "she's our champion" after a name.

    A pronoun is the person named last before it (in this message, or the contact known so far);
    a first name alone becomes the full name of someone already named with it.
    """
    known_people = [p for p in known_people or [] if p]
    for match in _CHAMPION.finditer(text):
        if match["pronoun"]:
            before = [name for start, name in _named_people(text) if start < match.start()]
            candidates = before or known_people[:1]
            if not candidates:
                continue
            return Found(candidates[-1], match.group(0))
        raw = next(match[group] for group in ("v1", "v2", "v3") if match[group])
        value = _person(raw)
        if value is None or (_NOT_A_NAME.match(value) and not match["v1"] and not re.fullmatch(_TITLE_PHRASE, value)):
            continue
        written = [name for _, name in _named_people(text)]
        return Found(_in_full(value, written + known_people), match.group(0))
    return None

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
    r"Tel|Cape|Buenos|Mexico|Santiago|Rio|Sao|São|Monday|Tuesday|Wednesday|Thursday|Friday|Q[1-4]|At|In|On|For|From|"
    r"With|To|By|Hello|Hi|Hey|Talked|Main|EB|Who|Mr|Mrs|Ms|Dr)\b"
)
_TITLE_WORDS = (
    r"VP|SVP|EVP|AVP|Vice President|Head|Director|Dir\.?|Chief [\w ]{2,20}? Officer|C[A-Z]{1,2}O|CISO|GM|"
    r"General Manager|Managing Director|Manager|Mgr|Lead|Principal|Architect|Engineer|Owner|President|Founder|"
    r"Co-?founder|Analyst|Admin\w*|Officer|Partner|Controller|Treasurer|Specialist|Consultant|Scientist|"
    r"Eng\b|Buyer|Procurement|Counsel|Steward"
)
_TITLE = re.compile(rf"\b(?:{_TITLE_WORDS})\b", re.IGNORECASE)
_TITLE_AS_WRITTEN = re.compile(rf"\b(?:{_TITLE_WORDS})\b")  # "Helen Cho" is a name, "CHO" would be a title
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
    rf"phone call with|zoom with|coffee with|lunch with|chat with|"
    # "Main contact at Bramley Water is Joe Finch", "Contact at Beacon Credit: Marta Silva", "Attendees: ..."
    rf"(?:main |primary |my |our |their )?contact(?:\s+(?:at|from|@|with)\s+{_COMPANY})?\s*(?:is|:|=|-)|"
    rf"(?:attendees|participants|present|people on the call)\s*:|"
    rf"(?:have |had )?(?:a )?(?:meet|meeting)\s+(?:today|yesterday|this morning|this afternoon)(?:\s+with)?)"
    rf"\s+(?:(?:Mr|Mrs|Ms|Mx|Dr)\.?\s+)?(?P<name>{_NAME})"
    # "contact: Okafor, Chidi - VP Engineering": surname first, then the given name.
    rf"|\b(?i:contact(?:\s+(?:at|from|@)\s+{_COMPANY})?\s*[:=-])\s+(?P<surname>[A-Z][\w'’-]+),\s*(?P<given>[A-Z][\w'’-]+)"
    rf"(?=\s*[-–—(@,]|\s*$)"
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
# The most senior titles as reps write them in lower case: "the president", "their founder".
_HONORIFIC = r"(?:(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?\s+)?"
_SENIOR = (
    r"(?:(?i:the|their|our)\s+)?(?i:president|chair(?:man|woman|person)?|owner|founder|managing director|"
    r"general manager|head of [\w&]+)"
)
_BUYER_SITS = re.compile(
    rf"\b(?i:budget|sign[- ]?off|signature|final say|final approval|approval|the money|the \$\$|purse strings|the decision)\s+"
    rf"(?i:(?:actually|really|ultimately|now)\s+)?(?i:sits|lies|rests|is|comes|has to come)\s+(?i:with|from)\s+"
    rf"(?P<v>(?:{_TITLE_PHRASE}|{_SENIOR})(?:,\s*{_HONORIFIC}{_NAME})?|{_HONORIFIC}{_NAME})"
    # "Sign-off by the CFO, Ben Okoro", "approval from their COO", "the budget is decided by the CEO"
    rf"|\b(?i:sign[- ]?off|signed off|signature|final approval|approved|budget approval|"
    rf"(?:budget|money|decision|purchase)\s+(?:is\s+|are\s+|will be\s+)?(?:decided?|approved?|signed))\s+(?i:by|from)\s+"
    rf"(?P<by>(?:{_TITLE_PHRASE}|{_SENIOR})(?:,\s*{_HONORIFIC}{_NAME})?|{_HONORIFIC}{_NAME})"
)
# A name said after the title: "the CFO signs - Mark Duffy".
_NAME_AFTER = re.compile(rf"\s*[-–—:,]\s*{_HONORIFIC}(?P<name>{_NAME})\b")
_BUYER = re.compile(
    rf"\b(?i:economic buyer|econ(?:\.)? buyer|EB|budget owner|budget holder|signer|signatory|final approver|"
    rf"(?:the|their) buyer|decision[- ]maker|final decision[- ]maker|"
    rf"(?:the (?:one|person)|whoever) (?:who )?(?:holds|controls|owns|has|signs)(?: off)?(?: the)?(?: purse strings| budget| money| final say| sign-off)?)"
    rf"\s*(?i:is|:|=|will be|would be)\s*"
    rf"(?P<v1>[^.;\n]{{2,80}})"
    rf"|(?P<v2>{_TITLE_PHRASE}(?:,\s*{_NAME},?)?|{_NAME}(?:\s*\([^)]*\)|,\s*[^,.;]{{2,40}},)?)"
    rf"\s+(?i:signs|will sign|would sign|signs off|has to sign(?: off)?|owns the (?:budget|money|spend)|holds the (?:budget|purse strings)|"
    rf"controls the (?:budget|money|spend)|has (?:the )?(?:final say|budget|signing authority|purse strings|last word|sign[- ]?off|approval authority)|"
    rf"approves|will approve|is (?:the |their |our )?(?:econ(?:omic)? buyer|EB|budget owner|decision[- ]maker)|makes the call|"
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
    r"is driving (?:this|it|the deal|the project|the evaluation)(?: internally)?|wants us to win|"
    r"will push (?:for )?(?:us|it|this)(?: hard)?(?: inside| internally| within)?)"
)
# Between a champion's name and what they do: "Chris from their data team loves us and is driving this".
_ABOUT_THEM = (
    r"(?:\s+(?i:from|at|on|in)\s+(?i:the\s+|their\s+)?[\w&-]+(?:\s+[\w&-]+){0,2}?)?(?:\s*,\s*[^,.;]{2,30},)?"
    r"(?:\s+(?i:loves|likes|gets|is into)\s+(?i:us|it|this)\s+(?i:and))?"
    # "Liam owns the initiative and is championing it internally"
    r"(?:\s+(?i:owns|leads|runs|sponsors|drives)\s+(?i:the|this)\s+[\w -]{2,25}?\s+(?i:and))?"
)
_CHAMPION = re.compile(
    rf"(?<![Ee]xec )(?<![Ee]xecutive )\b(?i:(?:our |the |their )?(?:internal )?(?:champion|champ|internal sponsor|sponsor|coach|advocate))"
    rf"\s*(?i:is|:|=|will be)\s*(?P<v1>[^.;\n]{{2,80}})"
    rf"|\b(?P<v2>{_NAME}|{_TITLE_PHRASE}|{_FIRST_NAME})(?:\s*\([^)]*\))?\s+(?i:is|has been|will be|['’]s)\s+(?i:our|the|a strong|a|an|the internal)\s+"
    rf"{_CHAMPION_NOUN}"
    rf"|\b(?P<v3>{_NAME}|{_FIRST_NAME})(?:\s*\([^)]*\))?{_ABOUT_THEM}\s+{_PUSHING}"
    rf"|\b(?P<pronoun>(?i:she|he))(?:(?:['’]s|\s+is)\s+(?:(?i:our|the|a strong|a|an)\s+{_CHAMPION_NOUN}|"
    rf"(?i:pushing (?:hard |really hard )?for (?:us|this|Halyard)|championing (?:us|this)|in our corner))|"
    # "he will push it inside the company"
    rf"(?:\s+[^.;\n]{{0,40}}?\s+(?i:and))?\s+(?i:will|wants to|is going to)\s+(?i:push|champion|sell)\s+(?i:for\s+)?"
    rf"(?i:us|it|this)\b)"
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


_ATTENDEES = re.compile(r"(?i:attendees|participants|present|on the call)\s*:\s*(?P<list>[^\n]+)")
_ATTENDEE = re.compile(rf"(?P<name>{_NAME})\s*\((?P<role>[^)]{{2,60}})\)")
_OUR_SIDE = re.compile(r"\b(?:Halyard|us|our|we|AE|SE|CSM)\b")


def _attendee(text: str) -> tuple[Found, Found | None, Found | None] | None:
    """The first customer attendee of pasted call notes: "Attendees: Halyard (AE, SE); Fenwick: Rosa Lind (VP Data)"."""
    for listed in _ATTENDEES.finditer(text):
        for match in _ATTENDEE.finditer(listed["list"]):
            name, role = match["name"], match["role"]
            if _NOT_A_NAME.match(name) or _named_like_a_company(name) or _OUR_SIDE.search(name + " " + role):
                continue
            title, _, where = role.partition(",")
            found_role = Found(_clean(title), match.group(0)) if _TITLE.search(title) else None
            company = (
                Found(_clean(where), match.group(0)) if where.strip() and re.match(_COMPANY, where.strip()) else None
            )
            return Found(name, match.group(0)), found_role, company
    return None


def contact(text: str) -> tuple[Found | None, Found | None, Found | None]:
    """(name, role, company) of the person the rep spoke with."""
    attendee = _attendee(text)
    if attendee is not None:
        return attendee
    for match in _CONTACT.finditer(text):
        name = match["name"] or f"{match['given']} {match['surname']}"
        if _NOT_A_NAME.match(name) or _named_like_a_company(name):
            continue  # "call w/ Lindqvist Bank": a meeting with the company, not a person
        rest = text[match.end() :]
        # A phone number or an email address between the name and the role: "Marta Silva, +44 20 ..., she's ...".
        rest = re.sub(r"^\s*,\s*(?:\+?\d[\d ().-]{6,}\d|[\w.+-]+@[\w-]+\.[\w.]+)(?=\s*[,(])", "", rest)
        role_match = _ROLE_AFTER.match(rest)
        role = None
        paren_company = None
        if role_match:
            words = role_match["paren"] or role_match["apposition"]
            # "he is head of IT", "she's the data platform lead": the title, without the sentence around it.
            words = re.sub(
                r"^(?:she|he|they)(?:['’]s|\s+is|\s+are)\s+(?:the\s+|their\s+|our\s+)?", "", words, flags=re.I
            )
            words = re.split(r"\s+(?:at|from|@)\s+[A-Z]", words)[0]
            # "head of IT of Sakura Precision": the company named after the title is not part of it.
            for of in re.finditer(rf"\s+(?:of|in|for)\s+(?P<c>{_COMPANY})", words):
                if _named_like_a_company(of["c"]):
                    words, paren_company = words[: of.start()], paren_company or of["c"]
                    break
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
    r"Construction|Engineering|Aerospace|Defen[cs]e|Chemicals|Steel|Transport|Transit|Rail|Mobility|Education|"
    r"Co-?op|Cooperative|Trust|Council|Authority|Foundation|Institute|Society|Association|Federation|Academy|Schools?|"
    r"Ferries|Cruises|Lines|Aviation|Couriers|Express|Haulage|Trucking|Water|Electric|Gas|Oil|Petroleum|Renewables|"
    r"Solar|Precision|Instruments|Devices|Electronics|Semiconductors?|Optics|Machinery|Equipment|Industrial|Metals|"
    r"Materials|Plastics|Packaging|Paper|Textiles|Tools|Dairy|Farms?|Foods?|Beverages|Drinks|Wines?|Distillers|"
    r"Publishing|Publishers|Press|Books|Travel|Tours|Resorts?|Leisure|Entertainment|Sports|Fitness|Payments|Pay|"
    r"Credit|Lending|Loans|Mortgages?|Securities|Investments?|Wealth|Trading|Commerce|Digital|Interactive|Care|"
    r"Diagnostics|Genomics|Biosciences|Sciences|Research|Laboratories|Homes|Housing|Estates|Property|Mutual|"
    r"Co-?operative|Glass|Fisheries|Vineyards|Mills|Shipyards?|Yards|"
    # industry words by their ending: Agritech, Medtech, Ceramics, Kitchenware, Ironworks
    r"[A-Z]\w*tech|[A-Z]\w{3,}ics|[A-Z]\w*ware|[A-Z]\w+works)$"
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
    # "Brennan & Holt want SaaS", "Aurelia Hotels (UK) want to be live...": the subject of the first sentence.
    match = _COMPANY_SUBJECT.match(text)
    if match and _named_like_a_company(match["company"]):
        return Found(_clean(match["company"]), match.group(0))
    # "Orchard Logistics x Halyard": a meeting between them and us.
    match = _COMPANY_AND_US.search(text)
    if match and not _NOT_A_NAME.match(match["company"]) and not _LABEL_WORD.match(match["company"]):
        return Found(_clean(match["company"]), match.group(0))
    # "Talked to Ortiz Freight", "EB at Granite Peak Health", "head of IT of Sakura Precision": a named
    # organisation after a preposition, the first one the message names.
    for match in _COMPANY_AFTER_PREPOSITION.finditer(text):
        name = re.sub(r"['’]s?$", "", match["company"])  # "Verity Labs' data team"
        sentence = re.split(r"[.;!?\n]", text[: match.start()])[-1]
        # "they talked to Big Bank Group": someone else's contact, not the rep's customer; "moving to
        # Google Cloud": a place their data goes.
        if _THIRD_PARTY.search(sentence) or _PRODUCT_LIKE.search(name):
            continue
        if _named_like_a_company(name):
            return Found(_clean(name), match.group(0))
    return None


_THIRD_PARTY = re.compile(r"\b(?:they|he|she|their|them|his|her|it)\b", re.IGNORECASE)
_PRODUCT_LIKE = re.compile(r"\b(?:Cloud|Services|AI|Data|Digital|Interactive|Web)$")


_COMPANY_SUBJECT = re.compile(
    rf"^\W{{0,3}}(?P<company>{_COMPANY})(?:\s*\([^)\n]{{1,40}}\))?\s*(?:[:—–,]|\s-\s|\s+(?=[a-z~\d]))"
)
_COMPANY_AND_US = re.compile(rf"(?P<company>{_COMPANY})\s+(?:x|X|×|<>|and|&|/|\+|vs\.?)\s+(?:Halyard|us)\b")
_COMPANY_AFTER_PREPOSITION = re.compile(rf"(?<![\w.])(?i:at|to|for|with|of|@|w/)\s+(?:the\s+)?(?P<company>{_COMPANY})")


def _named_like_a_company(name: str) -> bool:
    """A name a company would have: ending in an organisation's noun ("Ortiz Freight") or two names joined by
    "&" ("Brennan & Holt"); never a label, a team or a title."""
    if _NOT_A_NAME.match(name) or _LABEL_WORD.match(name) or _PART_OF_A_COMPANY.search(name):
        return False
    if _TITLE_AS_WRITTEN.search(name):
        return False
    words = [w for w in name.split() if w != "&"]
    return bool(_COMPANY_NOUN.search(name)) or (len(words) >= 2 and " & " in name)


def _person_names(value: str) -> list[str]:
    """Full names of people in the words: not titles, places, companies, nor a name after "at"/"of"."""
    found = []
    for match in re.finditer(_NAME, value):
        name = match.group(0)
        if _NOT_A_NAME.match(name) or _named_like_a_company(name) or _TITLE_AS_WRITTEN.search(name):
            continue
        if re.search(r"(?:\bat|\bfrom|\bof|@)\s+$", value[: match.start()], re.IGNORECASE):
            continue
        found.append(name)
    return found


def _person(value: str) -> str | None:
    """A person as the rep named them: the name alone when one is given ("the CFO Angela Marsh", "Helen Cho,
    COO", "his replacement, Nadia Romero" are the name), else the title ("the VP Finance", its article
    lower-cased); None when vague.
    """
    value = _clean(value)
    if _VAGUE.search(value):
        return None
    names = _person_names(value)
    if names:
        return names[0]
    # "Priya (data lead)": the person, without the aside about them.
    value = _clean(re.sub(r"\s*\([^)]*\)", "", value)) if re.match(r"[A-Z]", value) else value
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
            after = _NAME_AFTER.match(text, match.end())
            if value and not _person_names(value) and after and _person_names(after["name"]):
                value = after["name"]
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
        if not _NOT_A_NAME.match(m.group(0))
        and not _named_like_a_company(m.group(0))
        and not re.search(r"(?:\bat|\bfrom|\bof|\bin|@)\s+$", text[: m.start()])
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

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
_BUYER = re.compile(
    rf"\b(?i:economic buyer|EB|budget owner|budget holder|signer|signatory|final approver)\s*(?i:is|:|=|will be|would be)\s*"
    rf"(?P<v1>[^.;\n]{{2,80}})"
    rf"|(?P<v2>(?:(?i:the|their) )?(?:{_TITLE_WORDS})(?:\s+of\s+[\w &/-]{{2,30}}?)?(?:,\s*{_NAME},?)?|{_NAME}(?:\s*\([^)]*\)|,\s*[^,.;]{{2,40}},)?)"
    rf"\s+(?i:signs|will sign|would sign|signs off|has to sign|owns the budget|holds the budget|controls the budget|"
    rf"has (?:the )?(?:final say|budget|signing authority)|approves|will approve|is the economic buyer|makes the call|"
    rf"has the purse strings)"
    rf"|(?P<v3>{_NAME}(?:,\s*[^,.;]{{2,40}})?),?\s+who\s+(?i:owns|holds|controls|signs|has)\s+(?i:the budget|off|final say|the final say)"
)
_CHAMPION = re.compile(
    rf"(?<![Ee]xec )(?<![Ee]xecutive )\b(?i:champion|internal sponsor|sponsor|coach)\s*(?i:is|:|=|will be)\s*(?P<v1>[^.;\n]{{2,80}})"
    rf"|\b(?P<v2>{_NAME})(?:\s*\([^)]*\))?\s+(?i:is|has been|will be)\s+(?i:our|the|a strong|a|an|the internal)\s+"
    rf"(?i:champion|internal sponsor|sponsor|advocate|coach)"
    rf"|\b(?P<v3>{_NAME})(?:\s*\([^)]*\))?\s+(?i:is pushing (?:hard )?for (?:us|this|Halyard)|is championing|is selling (?:us|this) internally)"
)


@dataclass(frozen=True)
class Found:
    value: str
    evidence: str


# Where the name and title end and the sentence goes on: "Mei Chen (data eng lead) and she's pushing ...".
_SENTENCE_GOES_ON = re.compile(
    r"\s+(?:and|but|who|which|so)\s+(?:she|he|they|is|was|has|will|would|wants?|thinks?|said|says)\b.*$"
    r"|,?\s+(?:she|he|they)(?:'s|'re| is| are| has| will| wants?| said| thinks?)\b.*$",
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


def company(text: str) -> Found | None:
    match = _COMPANY_LABEL.search(text)
    if not match:
        return None
    return Found(_clean(match["company"] or match["heading"]), match.group(0))


def economic_buyer(text: str) -> Found | None:
    match = _BUYER.search(text)
    if not match:
        return None
    value = next(match[group] for group in ("v1", "v2", "v3") if match[group])
    value = re.sub(r"^(?i:the|their)\s+", "", _clean(value))
    return Found(value, match.group(0)) if len(value) >= 2 else None


def champion(text: str) -> Found | None:
    match = _CHAMPION.search(text)
    if not match:
        return None
    value = _clean(next(match[group] for group in ("v1", "v2", "v3") if match[group]))
    return Found(value, match.group(0)) if len(value) >= 2 else None

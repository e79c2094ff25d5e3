"""The free-text qualification fields (pain, metrics, decision criteria and process, paper process).

Each is the clause its cue phrase sits in, as the rep wrote it: the words after a label
("Pain: ...", "success means ...") or the whole clause for cues that are part of the fact
("procurement needs a security review"). Nothing is paraphrased or invented.
"""

from __future__ import annotations

import re

from agents.offline.people import Found

_END = r"[^.;\n]"
_LABELLED: dict[str, re.Pattern[str]] = {
    "pain": re.compile(
        rf"\b(?:pain(?: point)?s?\s*(?:is|are|=|:|-)|(?:they(?:'re| are)|customer is|team is|we(?:'re| are)) "
        rf"(?:struggling|frustrated|stuck|suffering|fed up|drowning|unhappy) with|struggl\w+ with|"
        rf"the (?:main |big |biggest |core |real )?(?:problem|issue|challenge|pain)\s*(?:is|are|:)|problem:|issue:|"
        rf"challenge:|their problem is|biggest headache is|bottleneck is|what hurts is)\s*(?P<v>{_END}{{6,220}})",
        re.IGNORECASE,
    ),
    "metrics": re.compile(
        rf"\b(?:success\s*(?:means|is|looks like|=|:|criteria\s*(?:is|are|:))|they(?:'ll| will)? measure (?:it |success )?"
        rf"(?:by|on|with)|measured (?:by|on)|KPIs?\s*(?:is|are|=|:)|metrics?\s*(?:is|are|=|:)|(?:the )?goal is to|"
        rf"aim is to|they want to (?:cut|reduce|get|bring|save|hit)|target is to)\s*(?P<v>{_END}{{4,200}})",
        re.IGNORECASE,
    ),
    "decision_criteria": re.compile(
        rf"\b(?:decision criteria\s*(?:is|are|:|=)?|(?:their |the )?criteria\s*(?:is|are|:)|decid\w+ (?:based )?on|"
        rf"care(?:s)? most about|evaluating (?:us |vendors |everyone )?on|must[- ]haves?\s*(?:are|is|:)|"
        rf"(?:they|it)(?:'ll| will) come down to|deciding factors?\s*(?:is|are|:))\s*(?P<v>{_END}{{4,200}})",
        re.IGNORECASE,
    ),
}
_WHOLE_CLAUSE: dict[str, re.Pattern[str]] = {
    "decision_process": re.compile(
        rf"(?P<v>\b(?:decision (?:by|via|through|process|will be made|is made|committee|goes to|needs)|(?:buying |steering )?"
        rf"committee|(?:after|following) (?:a|the) (?:\d+[- ]week )?(?:POC|pilot|bake[- ]off|trial|proof of concept)|"
        rf"POC (?:then|first|before)|steps?\s*(?:are|is|:)|evaluation (?:process|plan)|board (?:approval|sign[- ]off)|"
        rf"needs? sign[- ]off from|goes to the board){_END}{{0,200}})",
        re.IGNORECASE,
    ),
    "paper_process": re.compile(
        rf"(?P<v>\b(?:procurement\s+(?:needs|requires|process|review|takes|will|has to|must|wants|is|asked)|legal review|"
        rf"security review|vendor (?:onboarding|assessment|risk(?: review)?)|security questionnaire|MSA|redlines?|"
        rf"paper process|infosec review|third[- ]party risk|TPRM|SIG (?:lite|questionnaire)|CAIQ|PO process|"
        rf"purchase order process){_END}{{0,160}})",
        re.IGNORECASE,
    ),
}


# What the POC must show: "POC first, success = all 40 stores syncing hourly", "POC: 3 wks, must
# ingest 5TB from S3 without manual fixes", "pilot passes if ...". Only in a sentence about a POC.
_POC_SENTENCE = re.compile(
    r"[^.;\n]*\b(?:POC|PoC|proof[- ]of[- ]concept|pilot|trial|technical (?:evaluation|validation))\b[^.\n]*", re.I
)
_POC_CRITERIA = re.compile(
    rf"\b(?:success\s*(?:criteria)?\s*(?:(?:for|of|in) (?:the |this |their )?(?:\d+[- ]weeks? )?"
    rf"(?:POC|PoC|pilot|trial|proof[- ]of[- ]concept)\s*)?"
    rf"(?:means|is|are|looks like|=|:|-)|exit criteria\s*(?:is|are|:|=)?|(?:is |counts as |call it )?a success if|"
    rf"(?:it |they |the (?:POC|pilot|trial) )?(?:pass(?:es)? if|wins? if|succeeds? if|passes)|to pass,?|"
    rf"goal\s*(?:is|:|=)|has to|needs? to|must)\s*[:=–—-]?\s+(?P<v>{_END}{{6,200}})",
    re.IGNORECASE,
)


def poc_success_criteria(text: str) -> Found | None:
    """What the proof of concept must show to count as a success, as the rep wrote it."""
    for sentence in _POC_SENTENCE.finditer(text):
        match = _POC_CRITERIA.search(sentence.group(0))
        if match:
            value = _trimmed(match["v"])
            modal = re.match(r"(?:has to|needs? to|must)\b", match.group(0), re.IGNORECASE)
            value = f"{modal.group(0)} {value}" if modal else value
            if len(value) >= 6:
                return Found(value, _trimmed(match.group(0)))
    return None


def _trimmed(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip(" ,:;-–—")


def narrative(text: str) -> dict[str, Found]:
    found: dict[str, Found] = {}
    for name, pattern in {**_LABELLED, **_WHOLE_CLAUSE}.items():
        match = pattern.search(text)
        if match:
            value = _trimmed(match["v"])
            if len(value) >= 4:
                found[name] = Found(value, _trimmed(match.group(0)))
    return found

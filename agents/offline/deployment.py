"""How the customer wants Halyard run (SaaS, self-hosted, hybrid) and whether they need SSO and SCIM.

Deployment rule: words about *their* systems do not count ("MySQL + Postgres on prem",
"Kafka (they run it on-prem)", "going with Airbyte self-hosted"): a deployment word right
after a system or competitor name, with no wish ("want", "need", "must") in between, describes
that system; so does a word about today ("on-prem today, want our SaaS"). A self-hosted and a
SaaS wish in one sentence make it hybrid; in different sentences, or when the text says they
are still choosing ("either SaaS or self-hosted", "open to"), nothing is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.offline.clauses import Clause, clause_at, is_hedged, is_negated
from agents.offline.lexicon import Mention

_SELF_HOSTED = re.compile(
    r"\b(?:on[- ]?prem(?:ise|ises)?\b|self[- ]?hosted|self[- ]?host|self[- ]?managed|(?:their|its|our|the customer'?s) own "
    r"(?:data ?cent(?:er|re)s?|DCs?|infrastructure|infra|servers|hardware|kubernetes|k8s|cluster|cloud account|"
    r"AWS account|Azure (?:tenant|subscription)|GCP project|VPC|cloud)|in (?:their|the customer'?s) (?:own )?"
    r"(?:(?:AWS|Azure|GCP|Google|cloud|private|internal|corporate)\s+)?(?:VPC|data ?cent(?:er|re)s?|DCs?|cloud account|"
    r"account|tenant|subscription|project|environment|network)|private cloud|"
    r"(?:run|running|deploy|deployed|deploying|install|installed|host|hosted)\s+(?:it\s+)?on\s+(?:their\s+)?(?:own\s+)?"
    r"(?:AKS|EKS|GKE|OpenShift|Kubernetes|k8s|Rancher|VMware|bare metal)|"
    r"air[- ]?gapped|behind (?:their|the) firewall|customer[- ]hosted|customer[- ]managed|bring your own cloud|BYOC|"
    r"run it themselves|host it themselves|install(?:ed)? (?:it )?on (?:their|our own) (?:servers|hardware))",
    re.IGNORECASE,
)
_SAAS = re.compile(
    r"\b(?:SaaS|cloud[- ]hosted|hosted by (?:us|you|Halyard|the vendor)|host(?:ed)? (?:it )?for them|"
    r"(?:fully[- ])?managed (?:service|cloud|offering|version|platform|solution|SaaS)|fully[- ]managed|"
    r"multi[- ]tenant|your cloud|our cloud|Halyard cloud|the cloud version|hosted version|cloud version|"
    r"cloud (?:is fine|only|offering|service|deployment)|in the cloud|cloud-first|nothing to (?:run|manage|host)|"
    r"(?:don'?t|do not|doesn'?t) want to (?:run|host|manage|operate) (?:anything|it|infrastructure|infra|servers)|"
    r"no (?:ops|infra|platform) team|GovCloud|(?:want|wants|need|needs|prefer|prefers|asked|asking|expect|expects)\s+"
    r"(?:us|you|Halyard|the vendor)\s+to\s+(?:host|run|manage|operate)(?: it| everything| the platform)?"
    r"(?!(?:\s+(?:it|everything))?\s+(?:in|on|inside|within|behind)\s+(?:their|its|the customer))|"
    r"(?:we|you) (?:host|run) it(?: for them)?)\b",
    re.IGNORECASE,
)
# "cloud" alone, in a list of requirements ("40 seats, cloud, ISO 27001"): SaaS, if nothing
# else is said. Not "Confluent Cloud", "Sales Cloud", "private cloud", "cloud storage".
_BARE_CLOUD = re.compile(
    r"(?<!private )(?<!own )(?<!Confluent )(?<!Sales )(?<!Service )(?<!Marketing )(?<!Google )(?<!Informatica )"
    r"(?<!Airbyte )(?<!Talend )\bcloud\b(?!\s*(?:storage|account|provider|data|warehouse|costs?|bill|spend|native|"
    r"migration|strategy|team|infra\w*))",
    re.IGNORECASE,
)
_HYBRID = re.compile(
    r"\bhybrid\b|\bsome\b[^.;]{0,25}?\b(?:on[- ]?prem\w*|(?:in|to) the cloud|in (?:their|our) (?:DC|data ?cent(?:er|re))s?)"
    r"[^.;]{0,60}\bsome\b|\bpart(?:ly)? (?:on[- ]?prem\w*|cloud)\b[^.;]{0,40}\bpart(?:ly)?\b",
    re.IGNORECASE,
)
_UNDECIDED = re.compile(
    r"\b(?:either|open to|no preference|undecided|not sure|haven'?t decided|TBD|still deciding|deciding between|"
    r"evaluating both)\b",
    re.IGNORECASE,
)
_WISH = re.compile(
    r"\b(?:want|wants|need|needs|must|has to|have to|prefer|prefers|require|requires|would|should|will|only|"
    r"fine with|ok with|okay with|going|plan|planning|so)\b",
    re.IGNORECASE,
)


def _about_a_system(text: str, start: int, end: int, systems: list[Mention]) -> bool:
    """A deployment word that describes one of their systems or a competitor, not Halyard."""
    for system in systems:
        # "on-prem Informatica", "their self-hosted Kafka": the word is the system's adjective.
        if 0 <= system.start - end <= 12 and re.fullmatch(r"[\s-]*(?:\w+[\s-]+)?", text[end : system.start]):
            return True
        # Not limited to the clause: "Kafka (they run it on-prem)" puts the words in an aside.
        if system.end <= start and start - system.end <= 40:
            between = text[system.end : start]
            if not _WISH.search(between) and not re.search(r"[.;]", between):
                return True
    return False


# "They're on-prem today but want our SaaS": how they run things now, not what they want.
_NOW_AFTER = re.compile(r"^\W{0,3}(?:\w+\W+){0,1}?(?:today|currently|right now|at the moment|for now|now)\b", re.I)
_NOW_BEFORE = re.compile(r"\b(?:currently|today|existing|legacy|current|still|historically)\b[\w\s,'’]{0,20}$", re.I)


def _affirmed(pattern: re.Pattern[str], text: str, parts: list[Clause], systems: list[Mention]) -> list[re.Match[str]]:
    found = []
    for match in pattern.finditer(text):
        clause = clause_at(parts, match.start())
        if is_negated(clause, match.start(), match.end()):
            continue
        # "might do self-hosted eventually, starting SaaS": a possibility for later, not the wish.
        if is_hedged(clause, match.start(), match.end()):
            continue
        if _about_a_system(text, match.start(), match.end(), systems):
            continue
        found.append(match)
    return found


def _describes_today(text: str, match: re.Match[str]) -> bool:
    return bool(
        _NOW_AFTER.match(text[match.end() : match.end() + 25])
        or _NOW_BEFORE.search(text[max(0, match.start() - 30) : match.start()])
    )


def deployment(text: str, parts: list[Clause], systems: list[Mention]) -> tuple[str, str] | None:
    """(saas|self_hosted|hybrid, the words it came from), or None."""
    hybrid = _affirmed(_HYBRID, text, parts, systems)
    if hybrid:
        return "hybrid", hybrid[0].group(0)
    self_hosted = _affirmed(_SELF_HOSTED, text, parts, systems)
    saas = _affirmed(_SAAS, text, parts, systems) or (
        [] if self_hosted else _affirmed(_BARE_CLOUD, text, parts, systems)
    )
    refused_saas = [m for m in _SAAS.finditer(text) if is_negated(clause_at(parts, m.start()), m.start(), m.end())]
    if self_hosted and saas:
        return _both(text, self_hosted, saas)
    if _UNDECIDED.search(text) and re.search(r"\bor\b", text):
        return None
    if self_hosted:
        return "self_hosted", self_hosted[0].group(0)
    if saas:
        # "They don't want SaaS, and they don't want to manage it either": no answer yet.
        return None if refused_saas else ("saas", saas[0].group(0))
    if refused_saas:
        return "self_hosted", refused_saas[0].group(0)  # "no SaaS", nothing else said
    return None


def _both(text: str, self_hosted: list[re.Match[str]], saas: list[re.Match[str]]) -> tuple[str, str] | None:
    """Self-hosted and SaaS words in one message: today vs the wish, a change of mind, or a hybrid."""
    wanted_self_hosted = [m for m in self_hosted if not _describes_today(text, m)]
    wanted_saas = [m for m in saas if not _describes_today(text, m)]
    if not wanted_self_hosted or not wanted_saas:
        if wanted_saas:
            return "saas", wanted_saas[-1].group(0)  # "on-prem today, want our SaaS"
        if wanted_self_hosted:
            return "self_hosted", wanted_self_hosted[-1].group(0)
        return None
    if _UNDECIDED.search(text):
        return None
    if _saas_replaces_self_hosted(text, wanted_self_hosted[-1], wanted_saas[-1]):
        return "saas", wanted_saas[-1].group(0)
    if not any(_same_sentence(text, a, b) for a in wanted_self_hosted for b in wanted_saas):
        return None  # "CTO wants on-prem; CFO prefers SaaS": two wishes, not one hybrid design
    return "hybrid", f"{wanted_self_hosted[0].group(0)} + {wanted_saas[0].group(0)}"


def _same_sentence(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    start, end = sorted((a.start(), b.start()))
    return not re.search(r"[.;!?\n]", text[start:end])


def _saas_replaces_self_hosted(text: str, self_hosted: re.Match[str], saas: re.Match[str]) -> bool:
    """A change of mind, not a hybrid: "They wanted on-prem at first; now SaaS is fine"."""
    if saas.start() < self_hosted.start():
        return False
    return bool(
        re.search(r"\b(?:at first|initially|originally|used to|wanted|before)\b", text[: saas.start()], re.I)
        and re.search(r"\b(?:now|fine with|ok with|instead|after|changed|switched)\b", text[self_hosted.end() :], re.I)
    )


# ---- SSO -----------------------------------------------------------------------------------

_SSO = re.compile(
    r"\b(?:SSO|single[- ]sign[- ]on|SAML(?:\s*2(?:\.0)?)?|OIDC|OpenID Connect|"
    r"(?:log ?in|logs in|sign ?in|signs in|authenticate|auth)\s+(?:with|via|through|using|against)\s+(?:(?:their|the)\s+)?(?:Okta|Azure AD|AAD|"
    r"(?:Microsoft )?Entra(?: ID)?|Ping(?:\s?ID|\s?Federate|\s?One| Identity)?|OneLogin|JumpCloud|Google Workspace|ADFS|"
    r"their (?:IdP|identity provider))|"
    r"(?:Okta|Azure AD|Entra ID|Entra|Ping|OneLogin|JumpCloud|ADFS)\s+(?:login|log-in|sign-in|auth\w*|integration for login)|"
    r"(?:Okta|Azure AD|Entra ID|Entra|OneLogin|JumpCloud|ADFS)\s+for\s+(?:login|log-in|sign-in|auth\w*))\b",
    re.IGNORECASE,
)
_NOT_REQUIRED = re.compile(
    r"^[^.;]{0,30}\b(?:nice[- ]to[- ]have|would be nice|optional|not (?:a )?(?:must|mandatory|required|needed|a requirement|"
    r"a priority|urgent)|(?:is|are)n['’]?t (?:a )?(?:must|mandatory|required|needed|a requirement)|can wait|later phase|"
    r"down the road|phase (?:2|two))\b",
    re.IGNORECASE,
)


# An open decision is neither yes nor no: "SSO not decided", "they haven't decided on SCIM", "SCIM is TBD".
_UNDECIDED_BEFORE = re.compile(
    r"\b(?:(?:has|have|had)(?:n['’]?t| not)(?: yet)? (?:decided|made up their minds?|settled|agreed)|undecided|"
    r"(?:still|yet to) (?:decid\w*|discuss\w*|debat\w*|figur\w* out|work\w* out)|not (?:yet )?(?:decided|sure))"
    r"\s+(?:on|about|whether|if)?\s*(?:they need\s+|they want\s+|to\s+\w+\s+)?(?:the\s+)?$",
    re.IGNORECASE,
)
_UNDECIDED_AFTER = re.compile(
    r"^[^.;,]{0,25}?\b(?:(?:is|are)\s+)?(?:(?:still|yet)\s+)?(?:not (?:yet )?(?:decided|confirmed|settled)|undecided|"
    r"TBD|TBC|to be (?:decided|confirmed)|up in the air|an open question|under discussion|"
    r"(?:is|are)n['’]?t (?:decided|confirmed|settled)(?: yet)?)\b",
    re.IGNORECASE,
)


def sso_required(
    text: str, parts: list[Clause], asked: Sequence[tuple[int, int]] = ()
) -> tuple[bool | None, str] | None:
    """True when SSO is asked for, False when the text says it is not needed, None (with the words) while the
    decision is open; the last statement wins.

    `asked` are spans of questions about our product ("asked if we support SAML"): not a requirement.
    """
    return _required(_SSO, text, parts, asked)


# SCIM: users created and removed from the identity provider (the HS-SSO add-on), apart from SSO itself.
_SCIM = re.compile(
    r"\b(?:SCIM(?:\s*2(?:\.0)?)?|(?:automated|automatic|auto)[- ]?(?:de)?provisioning|"
    r"(?:user|account|identity)\s+(?:de)?provisioning|deprovisioning|directory sync)\b",
    re.IGNORECASE,
)


def scim_required(
    text: str, parts: list[Clause], asked: Sequence[tuple[int, int]] = ()
) -> tuple[bool | None, str] | None:
    """True when SCIM provisioning is asked for, False when the text says it is not needed, None while the
    decision is open; the last statement wins. A question about our product (`asked`) is not a requirement."""
    return _required(_SCIM, text, parts, asked)


def _required(
    pattern: re.Pattern[str], text: str, parts: list[Clause], asked: Sequence[tuple[int, int]]
) -> tuple[bool | None, str] | None:
    """Whether what `pattern` names is required: the last statement wins, a negation or "not needed" after it
    says no, an open decision says None, and a question about our product (`asked`) says nothing."""
    verdict: tuple[bool | None, str] | None = None
    for match in pattern.finditer(text):
        if any(start <= match.start() < end for start, end in asked):
            continue
        clause = clause_at(parts, match.start())
        after = text[match.end() : min(clause.end, match.end() + 40)]
        before = text[max(clause.start, match.start() - 50) : match.start()]
        if _UNDECIDED_BEFORE.search(before) or _UNDECIDED_AFTER.match(after):
            verdict = (None, match.group(0))
            continue
        negated = is_negated(clause, match.start(), match.end()) or bool(_NOT_REQUIRED.match(after))
        verdict = (not negated, match.group(0))
    return verdict

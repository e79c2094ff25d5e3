"""Deal inspection: deterministic rules that read a deal's record and latest quote and say what is wrong.

Each finding carries a severity and the next step a sales manager would ask for. The rules are
code, not model output: the same record and quote always give the same findings. They read the
quote through `QuoteFacts` (what the pricing engine reported) and the catalog's edition facts
(deployments, compliance coverage, regions, the features each includes, the sources a SKU is required
for), so inspection needs no database.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from deals.poc_models import FailedPoc, failed_poc
from deals.qualification import Qualification, apply_caps, format_money
from integrations.cpq.catalog import Catalog, names_a_source
from integrations.cpq.engine import Quote
from integrations.cpq.models import QuoteRecord

# Which record field says the deal needs a catalog feature: an add-on's feature nobody asked for is not a
# reason to buy it.
FEATURE_NEEDS = {"sso": "sso_required", "scim": "scim_required"}
# A deal counts as mature enough to be inspected for people and budget once a quote exists or once
# it holds this many of the core commercial facts.
MATURITY_FACTS = ("pain", "seats", "deployment", "regions", "budget", "target_close")
MATURE_AT = 5


class Severity(enum.StrEnum):
    HIGH = "high"  # blocks the deal as it stands
    MEDIUM = "medium"  # a risk to work on before the proposal
    LOW = "low"  # worth knowing


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message: str = Field(description="What is wrong, in a sentence a rep reads.")
    next_step: str = Field(description="What to do about it.")


class EditionFacts(BaseModel):
    """What the catalog says an edition SKU covers."""

    model_config = ConfigDict(frozen=True)

    sku: str
    deployments: tuple[str, ...] = ()
    compliance: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()  # empty: every hosted region
    includes: tuple[str, ...] = ()  # features it comes with


class SourceRuleFacts(BaseModel):
    """A source system only one SKU reaches (the catalog's `rules.requires`)."""

    model_config = ConfigDict(frozen=True)

    sources: tuple[str, ...]  # words naming such a source in an integration's name
    sku: str
    name: str  # the SKU's name

    def needed_by(self, integration: str) -> bool:
        return names_a_source(integration, self.sources)


class QuoteFacts(BaseModel):
    """The latest quote as inspection reads it: SKUs, total over the term, and the engine's own gaps."""

    model_config = ConfigDict(frozen=True)

    skus: tuple[str, ...]
    total: Decimal
    currency: str
    term_years: int = Field(1, ge=1)
    compliance_gaps: tuple[str, ...] = ()
    unhosted_regions: tuple[str, ...] = ()

    @property
    def acv(self) -> Decimal:
        """Annual contract value."""
        return (self.total / self.term_years).quantize(Decimal("0.01"))


class CatalogFacts(BaseModel):
    """The part of the governed catalog inspection needs."""

    model_config = ConfigDict(frozen=True)

    editions: dict[str, EditionFacts]
    hosted_regions: tuple[str, ...]
    source_rules: tuple[SourceRuleFacts, ...] = ()
    addons: dict[str, tuple[str, ...]] = Field(default_factory=dict, description="Add-on SKU -> features it provides")
    features: dict[str, str] = Field(default_factory=dict, description="Feature id -> its name")

    def feature_names(self, features: Iterable[str]) -> str:
        names = [self.features.get(feature, feature) for feature in features]
        return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def catalog_facts(catalog: Catalog) -> CatalogFacts:
    """The editions with what each covers and includes, the add-ons' features, the sources that need a SKU,
    and the hosted regions."""
    editions = {
        sku.sku: EditionFacts(
            sku=sku.sku,
            deployments=tuple(sku.deployments or ()),
            compliance=tuple(str(c) for c in sku.compliance),
            regions=tuple(str(r) for r in sku.regions or ()),
            includes=tuple(sku.includes),
        )
        for sku in catalog.editions
    }
    source_rules = tuple(
        SourceRuleFacts(sources=tuple(rule.sources), sku=rule.sku, name=needed.name)
        for rule in catalog.rules.requires
        if (needed := catalog.get(rule.sku)) is not None
    )
    return CatalogFacts(
        editions=editions,
        hosted_regions=tuple(str(r) for r in catalog.hosted_regions),
        source_rules=source_rules,
        addons={sku.sku: tuple(sku.provides) for sku in catalog.skus if sku.provides},
        features=dict(catalog.features),
    )


def quote_facts(quote: Quote) -> QuoteFacts:
    return QuoteFacts(
        skus=tuple(line.sku for line in quote.lines),
        total=quote.total,
        currency=quote.currency,
        term_years=quote.term_years,
        compliance_gaps=tuple(str(c) for c in quote.compliance_gaps),
        unhosted_regions=tuple(str(r) for r in quote.unhosted_regions),
    )


def _is_mature(record: Qualification, quote: QuoteFacts | None) -> bool:
    known = sum(getattr(record, name) not in (None, [], "") for name in MATURITY_FACTS)
    return quote is not None or known >= MATURE_AT


def _percent_over(amount: Decimal, limit: Decimal) -> Decimal:
    return ((amount - limit) / limit * 100).quantize(Decimal("1")) if limit else Decimal(0)


def _budget_findings(record: Qualification, quote: QuoteFacts | None) -> list[Finding]:
    if quote is None:
        return []
    budget = record.budget
    if budget is None:
        return [
            Finding(
                code="budget_unknown",
                severity=Severity.MEDIUM,
                message=f"A quote of {format_money(quote.acv, quote.currency)} a year exists but no budget is known.",
                next_step="Ask what budget is set aside, and for which period.",
            )
        ]
    annual = budget.annual()
    if budget.currency != quote.currency or annual is None or quote.acv <= annual:
        return []
    over = _percent_over(quote.acv, annual)
    if budget.source == "sign_off_threshold":
        return [
            Finding(
                code="over_sign_off_limit",
                severity=Severity.MEDIUM,
                message=f"The quote's {format_money(quote.acv, quote.currency)} a year is above the "
                f"{format_money(annual, budget.currency)} the buyer may sign alone.",
                next_step="Find out who signs above that limit and how long their approval takes.",
            )
        ]
    if budget.source == "incumbent_spend":
        return []
    return [
        Finding(
            code="budget_gap",
            severity=Severity.HIGH if over > 10 else Severity.MEDIUM,
            message=f"The quote's {format_money(quote.acv, quote.currency)} a year is {over}% over the "
            f"{format_money(annual, budget.currency)} a year budget.",
            next_step="Confirm the budget, reduce scope, or build the business case for the difference.",
        )
    ]


def budget_fit(record: Qualification, quote: QuoteFacts) -> str:
    """The quote's annual value against the budget, in one line an approver reads."""
    budget = record.budget
    acv = format_money(quote.acv, quote.currency)
    if budget is None:
        return f"ACV {acv}; no budget known"
    annual = budget.annual()
    if budget.currency != quote.currency or annual is None:
        return f"ACV {acv}; budget {budget} (not comparable)"
    if quote.acv <= annual:
        return f"ACV {acv} within the {format_money(annual, budget.currency)} a year budget"
    over = _percent_over(quote.acv, annual)
    label = "sign-off limit" if budget.source == "sign_off_threshold" else "budget"
    return f"ACV {acv} is {over}% over the {format_money(annual, budget.currency)} a year {label}"


def _people_findings(record: Qualification, quote: QuoteFacts | None) -> list[Finding]:
    if not _is_mature(record, quote):
        return []
    findings = []
    if not record.economic_buyer:
        findings.append(
            Finding(
                code="missing_economic_buyer",
                severity=Severity.HIGH if quote is not None else Severity.MEDIUM,
                message="Nobody is named who signs off on the budget.",
                next_step="Ask who signs, and get a meeting with them before the proposal.",
            )
        )
    if not record.metrics:
        findings.append(
            Finding(
                code="missing_success_metrics",
                severity=Severity.MEDIUM,
                message="No success metrics are known: nothing says how the customer will judge the project.",
                next_step="Ask how they will measure success, in numbers, and put it in the proposal.",
            )
        )
    if not record.champion:
        findings.append(
            Finding(
                code="missing_champion",
                severity=Severity.MEDIUM,
                message="No champion is named: nobody is known to sell for us inside the account.",
                next_step="Find who gains most from this project and test whether they will push for it.",
            )
        )
    people = {p.strip().casefold() for p in (record.contact_name, record.economic_buyer, record.champion) if p}
    if len(people) <= 1:
        findings.append(
            Finding(
                code="single_threaded",
                severity=Severity.MEDIUM,
                message="The deal hangs on one person." if people else "No person at the account is named.",
                next_step="Meet at least one more stakeholder (the buyer, a user lead, IT or security).",
            )
        )
    return findings


def _date_findings(record: Qualification, today: date) -> list[Finding]:
    findings = []
    if record.target_close is not None and record.target_close < today:
        findings.append(
            Finding(
                code="close_date_passed",
                severity=Severity.HIGH,
                message=f"The target close date {record.target_close.isoformat()} has passed.",
                next_step="Agree a new close date with the buyer and what must happen before it.",
            )
        )
    slipped = _slipped_days(record)
    if record.target_close is not None and record.target_close >= today and slipped is not None:
        first = record.target_close_first.isoformat() if record.target_close_first else "the first date"
        times = "once" if record.target_close_moves == 1 else f"{record.target_close_moves} times"
        findings.append(
            Finding(
                code="close_date_slipping",
                severity=Severity.MEDIUM,
                message=f"The close date has slipped {times}, {slipped} days in all: from {first} to "
                f"{record.target_close.isoformat()}.",
                next_step="Ask what changed, and confirm who signs and the steps to signature before the new date.",
            )
        )
    if record.go_live and record.target_close and record.go_live < record.target_close:
        findings.append(
            Finding(
                code="go_live_before_close",
                severity=Severity.LOW,
                message=f"Go-live ({record.go_live.isoformat()}) is before signature "
                f"({record.target_close.isoformat()}).",
                next_step="Check which date is right: a go-live before signing is not possible.",
            )
        )
    return findings


SLIPPING_MOVES = 2  # pushed out this many times ...
SLIPPING_DAYS = 45  # ... or this far in all


def _slipped_days(record: Qualification) -> int | None:
    """Days the close date moved out since first recorded, when that counts as slipping."""
    first, now = record.target_close_first, record.target_close
    if first is None or now is None or now <= first:
        return None
    days = (now - first).days
    return days if record.target_close_moves >= SLIPPING_MOVES or days > SLIPPING_DAYS else None


def _quoted_editions(quote: QuoteFacts, catalog: CatalogFacts) -> list[EditionFacts]:
    return [catalog.editions[sku] for sku in quote.skus if sku in catalog.editions]


def _fit_findings(record: Qualification, quote: QuoteFacts | None, catalog: CatalogFacts) -> list[Finding]:
    """Requirements the quoted edition does not meet."""
    if quote is None:
        return []
    editions = _quoted_editions(quote, catalog)
    findings = []
    covered = {c for edition in editions for c in edition.compliance}
    missing = list(quote.compliance_gaps) + [
        str(c) for c in record.compliance if editions and str(c) not in covered and str(c) not in quote.compliance_gaps
    ]
    if missing:
        findings.append(
            Finding(
                code="compliance_gap",
                severity=Severity.HIGH,
                message=f"The quoted edition does not cover {', '.join(dict.fromkeys(missing))}.",
                next_step="Quote the edition that covers it, or get security's written position before proposing.",
            )
        )
    if record.deployment and editions and all(record.deployment not in e.deployments for e in editions):
        findings.append(
            Finding(
                code="deployment_gap",
                severity=Severity.HIGH,
                message=f"The quoted edition is not offered {record.deployment.replace('_', '-')}.",
                next_step="Quote an edition offered that way, or agree the deployment with the customer.",
            )
        )
    outside = list(quote.unhosted_regions) + [
        str(r)
        for r in record.regions
        if str(r) not in quote.unhosted_regions
        and (str(r) not in catalog.hosted_regions or any(e.regions and str(r) not in e.regions for e in editions))
    ]
    if outside:
        findings.append(
            Finding(
                code="region_gap",
                severity=Severity.HIGH,
                message=f"Not hosted for this quote in {', '.join(dict.fromkeys(outside))}.",
                next_step="Confirm where data must live; propose a hosted region or a self-hosted option.",
            )
        )
    for rule in catalog.source_rules:
        sources = [i for i in record.integrations if rule.needed_by(i)]
        if sources and rule.sku not in quote.skus:
            findings.append(
                Finding(
                    code="connector_pack_missing",
                    severity=Severity.MEDIUM,
                    message=f"{' and '.join(sources)} {'needs' if len(sources) == 1 else 'need'} the {rule.name} "
                    f"({rule.sku}), which is not quoted.",
                    next_step=f"Add {rule.sku} to the quote.",
                )
            )
    return [*findings, *_included_addon_findings(record, quote, catalog)]


def _included_addon_findings(record: Qualification, quote: QuoteFacts, catalog: CatalogFacts) -> list[Finding]:
    """An add-on quoted for what the edition already includes: HS-SSO on Enterprise, when nothing says the
    deal needs what the add-on adds (SCIM), is paying for single sign-on Enterprise comes with."""
    findings = []
    editions = _quoted_editions(quote, catalog)
    for addon in (sku for sku in quote.skus if sku in catalog.addons):
        provides = catalog.addons[addon]
        for edition in editions:
            included = [feature for feature in provides if feature in edition.includes]
            if not included:
                continue
            adds = [feature for feature in provides if feature not in edition.includes]
            if any(getattr(record, FEATURE_NEEDS[f], None) is True for f in adds if f in FEATURE_NEEDS):
                continue
            beyond = f"; it adds only {catalog.feature_names(adds)}" if adds else ", so it adds nothing"
            asks = [f for f in adds if f in FEATURE_NEEDS] or adds
            findings.append(
                Finding(
                    code="addon_included_in_edition",
                    severity=Severity.MEDIUM,
                    message=f"{addon} is quoted, but {edition.sku} already includes "
                    f"{catalog.feature_names(included)}{beyond}.",
                    next_step=f"Ask whether they need {catalog.feature_names(asks)}; if not, take {addon} off the "
                    "quote."
                    if asks
                    else f"Take {addon} off the quote.",
                )
            )
            break  # one finding per add-on
    return findings


def _plan_findings(record: Qualification) -> list[Finding]:
    findings = []
    if record.incumbents:
        findings.append(
            Finding(
                code="incumbent_displacement",
                severity=Severity.LOW,
                message=f"We would replace {', '.join(record.incumbents)}.",
                next_step="Learn when their contract ends and plan the migration in the proposal.",
            )
        )
    if record.poc_weeks is not None and not record.poc_success_criteria:
        findings.append(
            Finding(
                code="poc_without_success_criteria",
                severity=Severity.MEDIUM,
                message=f"A {record.poc_weeks}-week POC is planned without agreed success criteria.",
                next_step="Agree measurable success criteria with the customer before the POC starts.",
            )
        )
    return findings


def _poc_findings(poc: FailedPoc | None) -> list[Finding]:
    if poc is None:
        return []
    return [
        Finding(
            code="poc_failed",
            severity=Severity.HIGH,
            message=f"The POC failed {len(poc.failed)} of {poc.criteria} success criteria: {'; '.join(poc.failed)}.",
            next_step="Go through the failed criteria with the champion and agree a fix and a re-test, or re-scope.",
        )
    ]


def latest_quote_facts(session: Session, deal_id: int) -> QuoteFacts | None:
    """The deal's newest quote version as inspection reads it (None before the first quote)."""
    row = session.scalars(
        select(QuoteRecord).where(QuoteRecord.deal_id == deal_id).order_by(QuoteRecord.version.desc()).limit(1)
    ).first()
    return quote_facts(Quote.model_validate(row.quote)) if row is not None else None


def inspect_deal(
    session: Session, deal_id: int, record: Qualification, *, catalog: CatalogFacts, today: date
) -> list[Finding]:
    """Every finding for a stored deal, with its latest quote."""
    quote = latest_quote_facts(session, deal_id)
    return inspect(record, quote, catalog=catalog, today=today, poc=failed_poc(session, deal_id))


def inspect(
    record: Qualification,
    quote: QuoteFacts | None,
    *,
    catalog: CatalogFacts,
    today: date,
    poc: FailedPoc | None = None,
) -> list[Finding]:
    """Every finding for this deal, most severe first (with `poc`: its failed POC)."""
    findings = [
        *_budget_findings(record, quote),
        *_people_findings(record, quote),
        *_date_findings(record, today),
        *_fit_findings(record, quote, catalog),
        *_plan_findings(record),
        *_poc_findings(poc),
    ]
    order = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}
    return sorted(findings, key=lambda finding: order[finding.severity])


def codes(findings: Iterable[Finding]) -> list[str]:
    return [finding.code for finding in findings]


# Findings that limit what the qualification score may claim, and to what.
SCORE_CAPS: dict[str, int] = {
    "budget_gap": 60,
    "close_date_passed": 60,
    "missing_economic_buyer": 65,
    "compliance_gap": 65,
    "deployment_gap": 65,
    "region_gap": 65,
    "missing_champion": 75,
    "poc_failed": 60,
}


def score_caps(findings: Sequence[Finding]) -> list[tuple[int, str]]:
    """The caps these findings put on the qualification score, each with its reason."""
    return [
        (SCORE_CAPS[finding.code], finding.message)
        for finding in findings
        if finding.code in SCORE_CAPS and finding.severity != Severity.LOW
    ]


def capped_score(score: int, findings: Sequence[Finding]) -> tuple[int, list[str]]:
    """The score after the caps the findings impose, and why, one line per cap that bit."""
    return apply_caps(score, score_caps(findings))

"""The quote engine: catalog + request in, a quote out where every number names the rule behind it.

Order of rules on a line: list price → volume tier (seat SKUs, whole quantity) → multi-year
term (annual lines) → bundle → requested discount (discountable annual lines). Each line's
yearly amount is rounded half-up to cents once, after all its rules; totals add rounded lines.
Before any price, the catalog's product rules (`rules.py`) are checked; what each did is on the quote.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, Field

from deals.qualification import Compliance, Deployment, Region
from integrations.cpq import errors, rules
from integrations.cpq.catalog import BillingFrequency, Catalog, Sku
from integrations.cpq.rules import RuleOutcome, RuleStatus

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class LineRequest(BaseModel):
    sku: str
    quantity: int = Field(ge=1)


class QuoteRequest(BaseModel):
    currency: str = "USD"
    term_years: int = 1
    lines: list[LineRequest] = Field(min_length=1)
    discount_pct: Decimal = Decimal(0)
    regions: list[Region] = Field(default_factory=list)
    deployment: Deployment | None = None
    compliance: list[Compliance] = Field(default_factory=list)
    country: str | None = Field(None, description="ISO 3166 alpha-2 of the customer's country")
    integrations: list[str] = Field(
        default_factory=list,
        description="Systems the deal connects (its record's integrations): a source may require a SKU.",
    )
    allow_gaps: bool = Field(
        False,
        description="Return compliance gaps and unhosted regions on the quote (for approval) instead of refusing.",
    )
    override_rules: bool = Field(
        False,
        description="The rep insists on a quote that breaks a `requires` product rule: price it, and the deal desk "
        "decides (instead of refusing it with the fix).",
    )
    # Commercial terms: not priced, but carried by the quote and judged by the approval policy.
    payment_terms_days: int = Field(30, ge=0, le=365, description="Net payment terms in days")
    billing_frequency: BillingFrequency = BillingFrequency.ANNUAL
    term_start: date | None = Field(None, description="When the subscription starts; None: on signature.")
    custom_sla: bool = False
    legal_changes: bool = Field(False, description="Changes to the standard legal terms were asked for")


class AppliedRule(BaseModel):
    id: str
    pct: Decimal


class QuoteLine(BaseModel):
    sku: str
    name: str
    quantity: int
    unit: str
    billing: str
    list_unit_price: Decimal
    rules: list[AppliedRule]
    net_unit_price: Decimal = Field(description="After all rules, unrounded (4 dp) for display")
    annual_amount: Decimal = Field(description="Per year for annual lines; the one-time charge otherwise")
    list_term_total: Decimal
    term_total: Decimal


class Quote(BaseModel):
    currency: str
    term_years: int
    catalog_version: str
    lines: list[QuoteLine]
    list_total: Decimal
    total: Decimal
    discount_amount: Decimal
    effective_discount_pct: Decimal
    annual_contract_value: Decimal
    requested_discount_pct: Decimal
    compliance_gaps: list[Compliance] = Field(default_factory=list)
    unhosted_regions: list[Region] = Field(default_factory=list)
    rule_outcomes: list[RuleOutcome] = Field(
        default_factory=list, description="Each product rule that bore on the quote, and what it did."
    )

    @property
    def overridden_rules(self) -> list[str]:
        """The product rules the rep overrode: the deal desk approves the quote."""
        return [outcome.rule for outcome in self.rule_outcomes if outcome.status == RuleStatus.OVERRIDDEN]


def compliance_gaps(request: QuoteRequest, catalog: Catalog) -> list[Compliance]:
    covered: set[Compliance] = set()
    for line in request.lines:
        sku = catalog.get(line.sku)
        if sku is not None:
            covered |= set(sku.compliance)
    return [need for need in request.compliance if need not in covered]


def unhosted_regions(request: QuoteRequest, catalog: Catalog) -> list[Region]:
    """Data residency the SaaS cannot give: only matters when the product is hosted by us."""
    if request.deployment == "self_hosted":
        return []
    return [region for region in request.regions if region not in catalog.hosted_regions]


def _validate(request: QuoteRequest, catalog: Catalog) -> tuple[dict[str, Sku], list[RuleOutcome]]:
    if request.currency not in catalog.currencies:
        raise errors.UnsupportedCurrency(
            f"{request.currency} is not a catalog currency; quote in {', '.join(catalog.currencies)}."
        )
    if request.term_years not in catalog.term_discounts:
        raise errors.InvalidTerm(f"Terms run {min(catalog.term_discounts)} to {max(catalog.term_discounts)} years.")
    if not Decimal(0) <= request.discount_pct < HUNDRED:
        raise errors.InvalidDiscount("A requested discount is a percentage from 0 up to (not including) 100.")
    if request.country and request.country.upper() in catalog.export_restricted_countries:
        raise errors.ExportRestricted(f"Sales to {request.country.upper()} are export-restricted.")
    skus: dict[str, Sku] = {}
    for line in request.lines:
        sku = catalog.get(line.sku)
        if sku is None:
            raise errors.UnknownSku(f"{line.sku} is not in the catalog (version {catalog.version}).")
        if line.sku in skus:
            raise errors.QuoteRefused(f"{line.sku} appears twice; put the whole quantity on one line.")
        skus[line.sku] = sku
    for line in request.lines:
        sku = skus[line.sku]
        if line.quantity < sku.min_quantity:
            raise errors.BelowMinimum(
                f"{sku.sku} ({sku.name}) needs at least {sku.min_quantity}; asked for {line.quantity}."
            )
        if request.currency not in sku.prices:
            raise errors.UnsupportedCurrency(f"{sku.sku} is only sold in {', '.join(sku.prices)}.")
        if sku.regions is not None:
            outside = [r.value for r in request.regions if r not in sku.regions]
            if outside:
                raise errors.NotSoldInRegion(
                    f"{sku.sku} is sold only in {', '.join(r.value for r in sku.regions)}, not {', '.join(outside)}."
                )
        if request.deployment and sku.deployments is not None and request.deployment not in sku.deployments:
            raise errors.DeploymentNotSupported(
                f"{sku.sku} does not support {request.deployment.replace('_', '-')} deployment "
                f"(it supports {', '.join(d.replace('_', '-') for d in sku.deployments)}): "
                f"{rules.minimum_editions(catalog, [request.deployment])}."
            )
    outcomes = rules.check(request, catalog, skus)
    if request.deployment == "self_hosted" and "HS-SELF" not in skus:
        raise errors.DeploymentNotSupported("A self-hosted deployment needs the HS-SELF licence on the quote.")
    if not request.allow_gaps:
        gaps = compliance_gaps(request, catalog)
        if gaps:
            raise errors.ComplianceNotCovered(
                f"The quoted SKUs do not cover {', '.join(g.value for g in gaps)}: "
                f"{rules.minimum_editions(catalog, [g.value for g in gaps])}."
            )
        unhosted = unhosted_regions(request, catalog)
        if unhosted:
            raise errors.NotSoldInRegion(
                f"SaaS is not hosted in {', '.join(r.value for r in unhosted)}; quote self-hosted (HS-ENT + HS-SELF) "
                "or route the residency question to security."
            )
    return skus, outcomes


def price(request: QuoteRequest, catalog: Catalog) -> Quote:
    """Price a request or refuse it with the reason; the same request always gives the same quote."""
    skus, outcomes = _validate(request, catalog)
    present = set(skus)
    bundle_pct: dict[str, tuple[str, Decimal]] = {}
    for bundle in catalog.bundles:
        if set(bundle.when_all) <= present:
            bundle_pct[bundle.discount.sku] = (bundle.id, bundle.discount.pct)
    term_pct = catalog.term_discounts[request.term_years]
    lines: list[QuoteLine] = []
    for line in request.lines:
        sku = skus[line.sku]
        list_price = sku.prices[request.currency]
        rules: list[AppliedRule] = []
        if sku.tiered:
            tier = catalog.tier_for(line.quantity)
            if tier.discount_pct:
                rules.append(AppliedRule(id=tier.id, pct=tier.discount_pct))
        if sku.billing == "annual" and term_pct:
            rules.append(AppliedRule(id=f"term:{request.term_years}y", pct=term_pct))
        if sku.sku in bundle_pct:
            rules.append(AppliedRule(id=bundle_pct[sku.sku][0], pct=bundle_pct[sku.sku][1]))
        if request.discount_pct and sku.discountable and sku.billing == "annual":
            rules.append(AppliedRule(id="discount:requested", pct=request.discount_pct))
        factor = Decimal(1)
        for rule in rules:
            factor *= (HUNDRED - rule.pct) / HUNDRED
        net_unit = list_price * factor
        annual = cents(net_unit * line.quantity)
        years = request.term_years if sku.billing == "annual" else 1
        list_amount = cents(list_price * line.quantity)
        lines.append(
            QuoteLine(
                sku=sku.sku,
                name=sku.name,
                quantity=line.quantity,
                unit=sku.unit,
                billing=sku.billing,
                list_unit_price=list_price,
                rules=rules,
                net_unit_price=net_unit.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
                annual_amount=annual,
                list_term_total=list_amount * years,
                term_total=annual * years,
            )
        )
    list_total = sum((line.list_term_total for line in lines), Decimal(0))
    total = sum((line.term_total for line in lines), Decimal(0))
    acv = sum((line.annual_amount for line in lines if line.billing == "annual"), Decimal(0))
    discount = list_total - total
    return Quote(
        currency=request.currency,
        term_years=request.term_years,
        catalog_version=catalog.version,
        lines=lines,
        list_total=list_total,
        total=total,
        discount_amount=discount,
        effective_discount_pct=(discount / list_total * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
        if list_total
        else Decimal(0),
        annual_contract_value=acv,
        requested_discount_pct=request.discount_pct,
        compliance_gaps=compliance_gaps(request, catalog),
        unhosted_regions=unhosted_regions(request, catalog),
        rule_outcomes=outcomes,
    )


WATERFALL_STEPS = (
    ("tier:", "Volume tier"),
    ("term:", "Multi-year term"),
    ("bundle:", "Bundle"),
    ("discount:requested", "Requested discount"),
)


def discount_waterfall(quote: Quote) -> list[tuple[str, Decimal]]:
    """From list to net, what each kind of rule took off over the whole term, in the order the engine applies
    them. Each line's steps are reconciled to its stored totals, so the steps add up to the quote's discount."""
    taken = {label: Decimal(0) for _, label in WATERFALL_STEPS}
    for line in quote.lines:
        years = quote.term_years if line.billing == "annual" else 1
        before = line.list_unit_price * line.quantity * years
        steps: list[tuple[str, Decimal]] = []
        for rule in line.rules:
            after = before * (HUNDRED - rule.pct) / HUNDRED
            label = next((name for prefix, name in WATERFALL_STEPS if rule.id.startswith(prefix)), rule.id)
            steps.append((label, before - after))
            before = after
        if steps:  # cents rounding on the stored line goes to its last step
            label, amount = steps[-1]
            steps[-1] = (label, amount + (line.list_term_total - line.term_total) - sum(a for _, a in steps))
        for label, amount in steps:
            taken[label] = taken.get(label, Decimal(0)) + amount
    return [(label, cents(amount)) for label, amount in taken.items() if amount]

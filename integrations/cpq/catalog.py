"""The governed catalog (YAML), validated on load: SKUs, prices per currency, tiers, terms, bundles,
product rules (what a source requires, what an edition includes, what cannot be quoted together) and
the commercial terms a quote carries by default."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from core.governed import load_governed
from deals.qualification import Compliance, Deployment, Region
from integrations.cpq.errors import CatalogError

DEFAULT_CATALOG = Path(__file__).resolve().parents[2] / "examples" / "governance" / "catalog.yaml"


class Tier(BaseModel):
    id: str
    start: int = Field(alias="from", ge=1)
    end: int | None = Field(alias="to", default=None)
    discount_pct: Decimal = Field(ge=0, lt=100)

    def contains(self, quantity: int) -> bool:
        return quantity >= self.start and (self.end is None or quantity <= self.end)


class BundleDiscount(BaseModel):
    sku: str
    pct: Decimal = Field(gt=0, lt=100)


class Bundle(BaseModel):
    id: str
    when_all: list[str] = Field(min_length=2)
    discount: BundleDiscount


class BillingFrequency(enum.StrEnum):
    """How often the customer is invoiced for the subscription."""

    ANNUAL = "annual"  # each year in advance
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    UPFRONT = "upfront"  # the whole term at signature


class CommercialTerms(BaseModel):
    """What every quote carries unless the rep asks otherwise. Payment terms default to the approval
    policy's standard net days (`standard_payment_terms_days`), the one place that says what is standard."""

    billing_frequency: BillingFrequency = BillingFrequency.ANNUAL
    quote_valid_days: int = Field(30, ge=1, le=365, description="A committed quote's prices hold this many days.")


class SourceRequirement(BaseModel):
    """A source system the deal connects that only one SKU reaches (Oracle, SAP, mainframe: the connectors pack)."""

    id: str = Field(pattern=r"^requires:[a-z0-9-]+$")
    sources: list[str] = Field(min_length=1, description="Words that name such a source in an integration's name.")
    sku: str
    why: str = Field(description="Why the SKU is needed, in a sentence a rep and an approver read.")

    def needed_by(self, integration: str) -> bool:
        return names_a_source(integration, self.sources)


def names_a_source(integration: str, sources: Iterable[str]) -> bool:
    """Whether an integration's name ("Oracle E-Business Suite") names one of these sources, as a whole
    word ("SAP" is not in "Sapient")."""
    words = integration.casefold().replace("-", " ").split()
    return any(source.casefold() in words for source in sources)


class Exclusion(BaseModel):
    """SKUs no quote may hold together (at most one of them per quote)."""

    id: str = Field(pattern=r"^excludes:[a-z0-9-]+$")
    skus: list[str] = Field(min_length=2)
    why: str


class ProductRules(BaseModel):
    requires: list[SourceRequirement] = Field(default_factory=list)
    excludes: list[Exclusion] = Field(default_factory=list)


class Sku(BaseModel):
    sku: str
    name: str
    unit: Literal["seat", "instance", "tb", "flat"]
    billing: Literal["annual", "one_time"]
    prices: dict[str, Decimal]
    min_quantity: int = Field(1, ge=1)
    tiered: bool = False
    requires: list[str] = Field(default_factory=list, description="any one of these must be on the quote")
    regions: list[Region] | None = Field(None, description="where it is sold; None: everywhere not restricted")
    deployments: list[Deployment] | None = None
    compliance: list[Compliance] = Field(default_factory=list)
    discountable: bool = True
    includes: list[str] = Field(
        default_factory=list, description="Features (catalog `features`) an edition comes with at no extra cost."
    )
    provides: list[str] = Field(
        default_factory=list,
        description="Features an add-on provides; quoted with an edition, it buys only those the edition does not "
        "include.",
    )
    description: str | None = Field(
        None, description="What the customer gets, in customer-facing words: printed in proposals and order forms."
    )


class Catalog(BaseModel):
    version: str
    effective_from: str
    currencies: list[str]
    hosted_regions: list[Region]
    export_restricted_countries: list[str] = Field(default_factory=list)
    seat_tiers: list[Tier]
    term_discounts: dict[int, Decimal]
    bundles: list[Bundle] = Field(default_factory=list)
    skus: list[Sku]
    features: dict[str, str] = Field(default_factory=dict, description="Feature id -> its name, as people read it.")
    rules: ProductRules = Field(default_factory=ProductRules)
    terms: CommercialTerms = Field(default_factory=CommercialTerms)

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        names = {s.sku for s in self.skus}
        if len(names) != len(self.skus):
            raise ValueError("a SKU is listed twice")
        for sku in self.skus:
            for required in sku.requires:
                if required not in names:
                    raise ValueError(f"{sku.sku}.requires names unknown SKU {required}")
            missing = [c for c in self.currencies if c not in sku.prices and not sku.regions]
            if missing:
                raise ValueError(f"{sku.sku}.prices has no {', '.join(missing)} price")
            if any(price <= 0 for price in sku.prices.values()):
                raise ValueError(f"{sku.sku}.prices must be positive")
            for feature in [*sku.includes, *sku.provides]:
                if feature not in self.features:
                    raise ValueError(f"{sku.sku} names unknown feature {feature}")
            if sku.includes and not sku.deployments:
                raise ValueError(f"{sku.sku}.includes: only an edition (a SKU with deployments) includes features")
        previous_end = 0
        for tier in self.seat_tiers:
            if tier.start != previous_end + 1:
                raise ValueError(f"seat_tiers: {tier.id} must start at {previous_end + 1}")
            previous_end = tier.end if tier.end is not None else 10**12
        for bundle in self.bundles:
            for named in [*bundle.when_all, bundle.discount.sku]:
                if named not in names:
                    raise ValueError(f"bundle {bundle.id} names unknown SKU {named}")
        named_by_rules = [(r.id, r.sku) for r in self.rules.requires] + [
            (r.id, sku) for r in self.rules.excludes for sku in r.skus
        ]
        for rule_id, named in named_by_rules:
            if named not in names:
                raise ValueError(f"rule {rule_id} names unknown SKU {named}")
        rule_ids = [r.id for r in self.rules.requires] + [r.id for r in self.rules.excludes]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError("a rule id is used twice")
        return self

    @property
    def editions(self) -> list[Sku]:
        """The editions, entry edition first (catalog order): the SKUs that say where they deploy. Add-ons run
        wherever their edition does, so they declare no deployments."""
        return [sku for sku in self.skus if sku.deployments]

    def editions_covering(self, requirement: str) -> list[Sku]:
        """The editions that meet a compliance regime (`HIPAA`) or a deployment (`self_hosted`), in catalog
        order (smallest first)."""
        return [
            edition
            for edition in self.editions
            if requirement in edition.compliance or requirement in (edition.deployments or ())
        ]

    def feature_names(self, features: list[str]) -> str:
        """`SAML and OIDC single sign-on and SCIM provisioning`: features as people read them."""
        names = [self.features.get(feature, feature) for feature in features]
        return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)

    def get(self, sku: str) -> Sku | None:
        return next((s for s in self.skus if s.sku == sku), None)

    def tier_for(self, quantity: int) -> Tier:
        return next(t for t in self.seat_tiers if t.contains(quantity))


def load_catalog(path: Path = DEFAULT_CATALOG) -> Catalog:
    """The catalog at `path`, validated; CatalogError names the file and the failing field."""
    return load_governed(path, Catalog, what="catalog", error=CatalogError)

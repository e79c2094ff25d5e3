"""The governed catalog (YAML), validated on load: SKUs, prices per currency, tiers, terms, bundles."""

from __future__ import annotations

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
        previous_end = 0
        for tier in self.seat_tiers:
            if tier.start != previous_end + 1:
                raise ValueError(f"seat_tiers: {tier.id} must start at {previous_end + 1}")
            previous_end = tier.end if tier.end is not None else 10**12
        for bundle in self.bundles:
            for named in [*bundle.when_all, bundle.discount.sku]:
                if named not in names:
                    raise ValueError(f"bundle {bundle.id} names unknown SKU {named}")
        return self

    def get(self, sku: str) -> Sku | None:
        return next((s for s in self.skus if s.sku == sku), None)

    def tier_for(self, quantity: int) -> Tier:
        return next(t for t in self.seat_tiers if t.contains(quantity))


def load_catalog(path: Path = DEFAULT_CATALOG) -> Catalog:
    """The catalog at `path`, validated; CatalogError names the file and the failing field."""
    return load_governed(path, Catalog, what="catalog", error=CatalogError)

"""The approval policy: facts about a quote in, the levels that must approve (and why) out. No I/O."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, Field, field_validator, model_validator

from core.governed import GovernedFileError, load_governed
from deals.qualification import Money, format_money
from integrations.cpq.catalog import BillingFrequency

DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "examples" / "governance" / "approval_policy.yaml"
LEVEL_ORDER = ("manager", "vp_sales", "deal_desk", "cfo", "legal", "security")


class PolicyError(GovernedFileError):
    """The policy file is invalid; the message names the field."""


def parse_duration(text: str) -> timedelta:
    """'30m', '4h', '2d'."""
    match = re.fullmatch(r"\s*(\d+)\s*([mhd])\s*", text)
    if not match:
        raise ValueError(f"durations look like 30m, 4h or 2d, not {text!r}")
    amount, unit = int(match[1]), match[2]
    return (
        timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount) if unit == "h" else timedelta(days=amount)
    )


class Sla(BaseModel):
    remind_after: str | None = None
    escalate_after: str | None = None
    escalate_to: str | None = None
    expire_after: str = "7d"

    @model_validator(mode="after")
    def _durations(self) -> Sla:
        for value in (self.remind_after, self.escalate_after, self.expire_after):
            if value is not None:
                parse_duration(value)
        return self

    def after(self, name: str) -> timedelta | None:
        value = getattr(self, name)
        return parse_duration(value) if value else None


class Level(BaseModel):
    name: str
    approvers: list[str] = Field(min_length=1)
    channel: str
    sla: Sla = Field(default_factory=Sla)


class DiscountBand(BaseModel):
    above: Decimal
    up_to: Decimal
    levels: list[str] = Field(min_length=1)


class Policy(BaseModel):
    version: str
    levels: dict[str, Level]
    discount_bands: list[DiscountBand]
    # Per currency: a total in pounds is not a total in dollars. A currency the policy does not name
    # goes to the deal desk (the policy cannot say it is under the line).
    deal_desk_total_at_least: dict[str, Decimal] = Field(min_length=1)
    standard_payment_terms_days: int = Field(30, ge=0, le=365, description="Net days a rep may offer alone.")
    standard_billing_frequencies: list[BillingFrequency] = Field(
        default_factory=lambda: [BillingFrequency.ANNUAL, BillingFrequency.UPFRONT],
        min_length=1,
        description="Billing a rep may offer alone; any other goes to the deal desk.",
    )
    # A quote priced although it breaks a product rule (the rep's override) is decided by these levels.
    product_rule_override_levels: list[str] = Field(default_factory=lambda: ["deal_desk"], min_length=1)

    @field_validator("deal_desk_total_at_least")
    @classmethod
    def _thresholds_per_currency(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, amount in value.items():
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise ValueError(f"deal_desk_total_at_least: {currency!r} is not an ISO 4217 code such as USD")
            if amount <= 0:
                raise ValueError(f"deal_desk_total_at_least.{currency} must be positive")
        return value

    @model_validator(mode="after")
    def _known_levels(self) -> Policy:
        for band in self.discount_bands:
            for named in band.levels:
                if named not in self.levels:
                    raise ValueError(f"discount band {band.above}-{band.up_to} names unknown level {named}")
        for name, level in self.levels.items():
            if level.sla.escalate_to and level.sla.escalate_to not in self.levels:
                raise ValueError(f"levels.{name}.sla.escalate_to names unknown level {level.sla.escalate_to}")
        for named in self.product_rule_override_levels:
            if named not in self.levels:
                raise ValueError(f"product_rule_override_levels names unknown level {named}")
        for needed in ("deal_desk", "legal", "security"):
            if needed not in self.levels:
                raise ValueError(f"levels must define {needed}")
        return self


def card_channel(policy: Policy, levels: list[str], default: str) -> str:
    """Where a request's card goes: the channel of its most senior level (one card per request)."""
    ranked = sorted(
        (level for level in levels if level in policy.levels),
        key=lambda name: LEVEL_ORDER.index(name) if name in LEVEL_ORDER else -1,
    )
    return policy.levels[ranked[-1]].channel if ranked else default


class ApprovalFacts(BaseModel):
    discount_pct: Decimal = Decimal(0)
    total: Money
    payment_terms_days: int = 30
    billing_frequency: BillingFrequency = BillingFrequency.ANNUAL
    custom_sla: bool = False
    legal_changes: bool = False
    compliance_gap: bool = False
    region_unhosted: bool = False
    export_restricted: bool = False
    overridden_rules: list[str] = Field(default_factory=list, description="Product rules the rep overrode.")


class FiredRule(BaseModel):
    rule: str
    level: str
    reason: str


class PolicyDecision(BaseModel):
    policy_version: str
    levels: list[str]
    fired: list[FiredRule]

    @property
    def needs_approval(self) -> bool:
        return bool(self.levels)


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    """The policy at `path`, validated; PolicyError names the file and the failing field."""
    return load_governed(path, Policy, what="policy", error=PolicyError)


def evaluate(policy: Policy, facts: ApprovalFacts) -> PolicyDecision:
    """Which levels must approve; exact at the thresholds (10% is the rep's, 10.01% is not)."""
    fired: list[FiredRule] = []
    for band in policy.discount_bands:
        if band.above < facts.discount_pct <= band.up_to:
            for level in band.levels:
                fired.append(
                    FiredRule(
                        rule=f"discount>{band.above}",
                        level=level,
                        reason=f"Discount {facts.discount_pct.normalize():f}% is above {band.above.normalize():f}% "
                        f"({policy.levels[level].name} approves up to {band.up_to.normalize():f}%)",
                    )
                )
    threshold = policy.deal_desk_total_at_least.get(facts.total.currency)
    if threshold is None:
        fired.append(
            FiredRule(
                rule="total>=deal_desk",
                level="deal_desk",
                reason=f"Total {facts.total}: the policy sets no deal-desk threshold in {facts.total.currency}",
            )
        )
    elif facts.total.amount >= threshold:
        fired.append(
            FiredRule(
                rule="total>=deal_desk",
                level="deal_desk",
                reason=f"Total {facts.total} is at least {format_money(threshold, facts.total.currency)}",
            )
        )
    legal = [
        (
            facts.payment_terms_days > policy.standard_payment_terms_days,
            f"Payment terms net {facts.payment_terms_days}",
        ),
        (facts.custom_sla, "A custom SLA"),
        (facts.legal_changes, "Changes to the standard legal terms"),
    ]
    fired += [FiredRule(rule="legal", level="legal", reason=reason) for hit, reason in legal if hit]
    if facts.billing_frequency not in policy.standard_billing_frequencies:
        standard = " or ".join(str(frequency) for frequency in policy.standard_billing_frequencies)
        fired.append(
            FiredRule(
                rule="billing",
                level="deal_desk",
                reason=f"Billing {facts.billing_frequency} (standard: {standard})",
            )
        )
    if facts.overridden_rules:
        fired += [
            FiredRule(
                rule="product_rules",
                level=level,
                reason=f"Quoted against the product rules at the rep's request: {', '.join(facts.overridden_rules)}",
            )
            for level in policy.product_rule_override_levels
        ]
    security = [
        (facts.compliance_gap, "A compliance need the quoted SKUs do not cover"),
        (facts.region_unhosted, "Data residency in a region where the product is not hosted"),
        (facts.export_restricted, "An export-restricted country"),
    ]
    fired += [FiredRule(rule="security", level="security", reason=reason) for hit, reason in security if hit]
    levels = sorted({f.level for f in fired}, key=lambda name: LEVEL_ORDER.index(name) if name in LEVEL_ORDER else 99)
    return PolicyDecision(policy_version=policy.version, levels=levels, fired=fired)

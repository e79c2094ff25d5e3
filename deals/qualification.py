"""The qualification record of a deal, and the deterministic score and stage computed from it."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Deployment = Literal["saas", "self_hosted", "hybrid"]


class Region(enum.StrEnum):
    US = "US"
    EU = "EU"
    UK = "UK"
    CA = "CA"
    AU = "AU"
    APAC = "APAC"
    LATAM = "LATAM"
    MEA = "MEA"


class Compliance(enum.StrEnum):
    SOC2 = "SOC2"
    HIPAA = "HIPAA"
    GDPR = "GDPR"
    ISO27001 = "ISO27001"
    FEDRAMP = "FedRAMP"
    PCI_DSS = "PCI-DSS"


CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: Decimal = Field(description="Exact amount; never a float.")
    currency: CurrencyCode = "USD"

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def format_money(amount: Decimal, currency: str) -> str:
    """`$180,000` / `€12,500.50`: whole amounts without cents, others with two decimals."""
    quantized = amount.quantize(Decimal("1")) if amount == amount.to_integral_value() else amount
    body = f"{quantized:,.0f}" if quantized == quantized.to_integral_value() else f"{amount:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{body}" if symbol else f"{body} {currency}"


BudgetPeriod = Literal["annual", "total", "one_off"]
BudgetSource = Literal["stated", "sign_off_threshold", "incumbent_spend"]


class Budget(Money):
    """A budget as the rep heard it: the amount, what period it covers, and where the figure comes from."""

    period: BudgetPeriod | None = Field(
        None, description="annual (per year), total (over `years`), or one_off; None when not said."
    )
    years: int | None = Field(None, ge=1, le=10, description="For a total: how many years it covers.")
    source: BudgetSource | None = Field(
        None,
        description="stated (a budget they have), sign_off_threshold (the most someone may sign without "
        "escalation, not a budget), or incumbent_spend (what they pay the vendor being replaced).",
    )

    def annual(self) -> Decimal | None:
        """The amount per year, when the period allows it (a one-off has none)."""
        if self.period == "one_off":
            return None
        if self.period == "total":
            return (self.amount / (self.years or 1)).quantize(Decimal("0.01"))
        return self.amount

    def __str__(self) -> str:
        amount = format_money(self.amount, self.currency)
        said = {
            "annual": f"{amount} a year",
            "total": f"{amount} over {self.years} years" if self.years else f"{amount} in total",
            "one_off": f"{amount} one-off",
            None: amount,
        }[self.period]
        source = {"sign_off_threshold": " (sign-off limit, not a budget)", "incumbent_spend": " (incumbent spend)"}
        return said + source.get(self.source or "", "")


def _as_budget(value: Any) -> Any:
    """A plain Money (an amount heard without period or source) is a Budget with neither said."""
    if isinstance(value, Money) and not isinstance(value, Budget):
        return value.model_dump()
    return value


class Qualification(BaseModel):
    """What discovery knows about a deal. Every field is optional: discovery fills it turn by turn."""

    model_config = ConfigDict(validate_assignment=True)

    company: str | None = Field(None, description="Customer company name.")
    contact_name: str | None = Field(None, description="Main contact's name.")
    contact_role: str | None = Field(None, description="Main contact's role or title.")
    pain: str | None = Field(None, description="The business problem in the customer's words.")
    metrics: str | None = Field(None, description="How the customer will measure success.")
    economic_buyer: str | None = Field(None, description="Who signs: name and/or title.")
    decision_criteria: str | None = Field(None, description="What the decision will be based on.")
    decision_process: str | None = Field(None, description="Steps and people between now and signature.")
    paper_process: str | None = Field(None, description="Procurement, legal and security review steps.")
    champion: str | None = Field(None, description="Who sells for us inside the account.")
    competitors: list[str] = Field(default_factory=list, description="Competing vendors in the evaluation.")
    budget: Budget | None = Field(None, description="Budget amount, currency, period and source.")
    target_close: date | None = Field(None, description="Target signature date (ISO).")
    go_live: date | None = Field(None, description="When they want to be live (ISO), apart from signing.")
    seats: int | None = Field(None, ge=1, le=10_000_000, description="Number of user seats to buy now.")
    seats_at_full_rollout: int | None = Field(
        None, ge=1, le=10_000_000, description="Expansion potential: seats at full rollout, if said."
    )
    payment_terms_days: int | None = Field(None, ge=0, le=365, description="Payment terms asked for (net days).")
    identity_provider: str | None = Field(None, description="Their identity provider (Okta, Entra ID...).")
    incumbents: list[str] = Field(default_factory=list, description="Vendors in place today that we would replace.")
    poc_weeks: int | None = Field(None, ge=1, le=52, description="Length of the proof of concept, in weeks.")
    poc_success_criteria: str | None = Field(None, description="What the POC must show to count as a success.")
    deployment: Deployment | None = Field(None, description="saas, self_hosted or hybrid.")
    regions: list[Region] = Field(default_factory=list, description="Where users or data are.")
    compliance: list[Compliance] = Field(default_factory=list, description="Compliance regimes required.")
    integrations: list[str] = Field(default_factory=list, description="Systems to integrate with.")
    sso_required: bool | None = Field(None, description="Whether SSO (SAML/OIDC) is required.")
    products_of_interest: list[str] = Field(default_factory=list, description="Catalog SKUs of interest.")

    _budget = field_validator("budget", mode="before")(_as_budget)

    @field_validator("competitors", "incumbents", "integrations", "products_of_interest")
    @classmethod
    def _dedupe(cls, values: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for value in values:
            seen.setdefault(value.strip().lower(), value.strip())
        return [v for v in seen.values() if v]

    @field_validator("regions", "compliance")
    @classmethod
    def _dedupe_enum(cls, values: list[Any]) -> list[Any]:
        return list(dict.fromkeys(values))

    def merged(self, update: QualificationUpdate) -> tuple[Qualification, dict[str, tuple[Any, Any]]]:
        """Apply an update; returns the new record and {field: (old, new)} for what changed.

        Scalars are replaced (a correction wins); lists gain new items unless the update says
        `replace_lists`, so facts from several messages accumulate.
        """
        data = self.model_dump()
        changes: dict[str, tuple[Any, Any]] = {}
        for name, value in update.model_dump(exclude_unset=True, exclude={"replace_lists"}).items():
            if value is None:
                continue
            old = data.get(name)
            if isinstance(old, list):
                new = list(value) if name in update.replace_lists else old + [v for v in value if v not in old]
            else:
                new = value
            if new != old:
                data[name] = new
                changes[name] = (old, new)
        return Qualification.model_validate(data), changes


class QualificationUpdate(BaseModel):
    """A partial change to the record: only the fields that are set are applied."""

    company: str | None = None
    contact_name: str | None = None
    contact_role: str | None = None
    pain: str | None = None
    metrics: str | None = None
    economic_buyer: str | None = None
    decision_criteria: str | None = None
    decision_process: str | None = None
    paper_process: str | None = None
    champion: str | None = None
    competitors: list[str] | None = None
    budget: Budget | None = None
    target_close: date | None = None
    go_live: date | None = None
    seats: int | None = Field(None, ge=1, le=10_000_000)
    seats_at_full_rollout: int | None = Field(None, ge=1, le=10_000_000)
    payment_terms_days: int | None = Field(None, ge=0, le=365)
    identity_provider: str | None = None
    incumbents: list[str] | None = None
    poc_weeks: int | None = Field(None, ge=1, le=52)
    poc_success_criteria: str | None = None
    deployment: Deployment | None = None
    regions: list[Region] | None = None
    compliance: list[Compliance] | None = None
    integrations: list[str] | None = None
    sso_required: bool | None = None
    products_of_interest: list[str] | None = None
    _budget = field_validator("budget", mode="before")(_as_budget)
    replace_lists: list[str] = Field(
        default_factory=list,
        description="List fields whose new value replaces the old instead of adding to it.",
    )

    def is_empty(self) -> bool:
        return not self.model_dump(exclude_unset=True, exclude_none=True, exclude={"replace_lists"})


# What qualification needs, in the order discovery asks for it, with the weight each carries.
# MEDDPICC-shaped; the commercial facts CPQ needs (seats, deployment, regions) are required too.
REQUIREMENTS: tuple[tuple[str, int, bool, str], ...] = (
    # field, weight, required to qualify, the question discovery asks
    ("pain", 15, True, "What problem are they trying to solve, and what happens if they don't?"),
    ("seats", 10, True, "How many users (seats) would be on the platform?"),
    ("deployment", 8, True, "SaaS, self-hosted or hybrid?"),
    ("regions", 8, True, "Where are the users and where must the data live?"),
    ("budget", 10, True, "Is there a budget, and roughly how much?"),
    ("target_close", 10, True, "When do they need to sign or go live?"),
    ("economic_buyer", 10, True, "Who signs off on the budget?"),
    ("decision_process", 7, False, "What are the steps between now and a signature?"),
    (
        "compliance",
        5,
        False,
        "Any compliance requirements (SOC 2, HIPAA, GDPR, ISO 27001, FedRAMP, PCI-DSS)?",
    ),
    ("integrations", 5, False, "Which systems must it integrate with?"),
    ("metrics", 4, False, "How will they measure success?"),
    ("champion", 4, False, "Who is championing this internally?"),
    ("competitors", 2, False, "Who else are they evaluating?"),
    ("sso_required", 2, False, "Do they need SSO (SAML/OIDC)?"),
)
QUALIFY_AT = 70


class Stage(enum.StrEnum):
    NEW = "new"
    DISCOVERY = "discovery"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"


class Assessment(BaseModel):
    score: int = Field(ge=0, le=100)
    stage: Stage
    missing: list[str] = Field(description="Fields still unknown, most important first.")
    next_questions: list[str]


def _known(record: Qualification, name: str) -> bool:
    value = getattr(record, name)
    return value not in (None, [], "")


def assess(record: Qualification, *, disqualified: bool = False) -> Assessment:
    """Score and stage from the record alone: the same record always gives the same answer."""
    score = sum(weight for name, weight, _, _ in REQUIREMENTS if _known(record, name))
    missing = [name for name, _, _, _ in REQUIREMENTS if not _known(record, name)]
    required_missing = [name for name, _, required, _ in REQUIREMENTS if required and not _known(record, name)]
    questions = {name: question for name, _, _, question in REQUIREMENTS}
    if disqualified:
        stage = Stage.DISQUALIFIED
    elif score == 0:
        stage = Stage.NEW
    elif score >= QUALIFY_AT and not required_missing:
        stage = Stage.QUALIFIED
    else:
        stage = Stage.DISCOVERY
    ordered = required_missing + [m for m in missing if m not in required_missing]
    return Assessment(score=score, stage=stage, missing=ordered, next_questions=[questions[m] for m in ordered[:3]])


FIELD_LABELS = {
    "company": "Company",
    "contact_name": "Contact",
    "contact_role": "Contact role",
    "pain": "Pain",
    "metrics": "Success metrics",
    "economic_buyer": "Economic buyer",
    "decision_criteria": "Decision criteria",
    "decision_process": "Decision process",
    "paper_process": "Paper process",
    "champion": "Champion",
    "competitors": "Competitors",
    "budget": "Budget",
    "target_close": "Target close",
    "go_live": "Go-live",
    "seats": "Seats",
    "seats_at_full_rollout": "Seats at full rollout",
    "payment_terms_days": "Payment terms (net days)",
    "identity_provider": "Identity provider",
    "incumbents": "Incumbents",
    "poc_weeks": "POC length (weeks)",
    "poc_success_criteria": "POC success criteria",
    "deployment": "Deployment",
    "regions": "Regions",
    "compliance": "Compliance",
    "integrations": "Integrations",
    "sso_required": "SSO required",
    "products_of_interest": "Products of interest",
}


def display_value(record: Qualification, name: str) -> str:
    """A field's value as a rep reads it."""
    value = getattr(record, name)
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if name == "deployment":
        return {"saas": "SaaS", "self_hosted": "self-hosted", "hybrid": "hybrid"}[value]
    return str(value)

"""The qualification record of a deal, and the deterministic score and stage computed from it."""

from __future__ import annotations

import enum
from collections.abc import Sequence
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
        None,
        description='annual ("$90k/yr", "p.a."), total over `years` ("1.2M over 3 years"), or one_off '
        '("one-off 40k"); None when not said.',
    )
    years: int | None = Field(None, ge=1, le=10, description="For a total: how many years it covers.")
    source: BudgetSource | None = Field(
        None,
        description="stated (a budget they have), sign_off_threshold (the most someone may sign without "
        'escalation, not a budget: "anything under $200k doesn\'t need the board"), or incumbent_spend '
        '(what they pay the vendor being replaced: "they pay Fivetran ~$250k/yr").',
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
    economic_buyer: str | None = Field(
        None,
        description='Who signs off on the budget, as the rep wrote it: a name ("Helen Cho") or a title '
        '("the VP Finance"). Nothing while it is vague ("probably the COO, TBD").',
    )
    decision_criteria: str | None = Field(None, description="What the decision will be based on.")
    decision_process: str | None = Field(None, description="Steps and people between now and signature.")
    paper_process: str | None = Field(None, description="Procurement, legal and security review steps.")
    champion: str | None = Field(
        None,
        description='Who sells for us inside the account ("she\'s our champion", "Raj is pushing for us"), '
        "by name as written.",
    )
    competitors: list[str] = Field(
        default_factory=list,
        description='Vendors competing with us in this evaluation ("evaluating us against Snowflake and '
        'Databricks"). Not the vendor in place that we would replace (incumbents), nor one they left before.',
    )
    budget: Budget | None = Field(
        None,
        description="Budget amount, currency, period and source. A sign-off limit or the incumbent's price "
        "heard later never replaces a stated budget.",
    )
    target_close: date | None = Field(None, description="Target signature date (ISO).")
    go_live: date | None = Field(
        None,
        description='When they want to be live (ISO), apart from signing: "sign by March, live in June" is a '
        "target_close in March and a go_live in June. Nothing while it is tentative.",
    )
    seats: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        description='Number of user seats to buy now; a correction ("actually 400 not 300") replaces it.',
    )
    seats_at_full_rollout: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        description='Expansion potential: seats at full rollout ("300 now, 3,000 at full rollout"), if said.',
    )
    payment_terms_days: int | None = Field(
        None,
        ge=0,
        le=365,
        description='Payment terms the customer asks for, in net days ("net 60" is 60); not what we offered.',
    )
    identity_provider: str | None = Field(
        None,
        description='Where their users sign in, by canonical name: Okta, Microsoft Entra ID ("Azure AD", "AAD", '
        '"Entra"), Google Workspace, Ping Identity, OneLogin, JumpCloud. Not an integration; the rep\'s own '
        "word goes in the evidence.",
    )
    incumbents: list[str] = Field(
        default_factory=list,
        description='Vendors in place today that we would replace ("ripping out Boomi", "moving off Talend", '
        '"they pay Fivetran"), by canonical name.',
    )
    poc_weeks: int | None = Field(
        None, ge=1, le=52, description='Length of the proof of concept in weeks ("4-week POC"; a 30-day trial is 4).'
    )
    poc_success_criteria: str | None = Field(
        None, description='What the POC must show to count as a success ("success = all stores syncing hourly").'
    )
    deployment: Deployment | None = Field(None, description="saas, self_hosted or hybrid.")
    regions: list[Region] = Field(
        default_factory=list,
        description="Where users or data are, as hosting zones: NA is US + CA, EMEA is EU + UK + MEA, DACH, "
        "Benelux and the Nordics are EU, ANZ is AU.",
    )
    compliance: list[Compliance] = Field(
        default_factory=list,
        description='Compliance regimes required now; not ones only asked about or hedged ("maybe next year").',
    )
    integrations: list[str] = Field(
        default_factory=list,
        description="Systems to integrate with (sources, destinations, apps), by canonical name. The identity "
        "provider is not one.",
    )
    sso_required: bool | None = Field(
        None, description='Whether SSO (SAML/OIDC) is required; false when it is optional ("nice to have").'
    )
    scim_required: bool | None = Field(
        None,
        description="Whether SCIM provisioning is required (users created and removed from the identity provider: "
        '"SCIM", "auto-deprovisioning"); false when it is optional. SSO alone is not SCIM: Business and Enterprise '
        "include SAML/OIDC SSO, and the HS-SSO add-on buys SCIM.",
    )
    products_of_interest: list[str] = Field(
        default_factory=list,
        description="Catalog SKUs of interest, with the edition the requirements imply (HIPAA, a BAA or PCI-DSS: "
        "HS-ENT; FedRAMP: HS-GOV; self-hosted: HS-ENT and HS-SELF). Not what is hedged.",
    )
    # Kept by the record as the close date changes, never extracted: how far and how often it slipped.
    target_close_first: date | None = Field(None, description="The first target close date recorded.")
    target_close_moves: int = Field(0, ge=0, description="Times the target close date was pushed later.")

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
        `replace_lists`, so facts from several messages accumulate. A field the update names in
        `cleared` becomes unknown again (None, or an empty list).
        """
        data = self.model_dump()
        changes: dict[str, tuple[Any, Any]] = {}
        values = update.model_dump(exclude_unset=True, exclude={"replace_lists", "cleared"})
        for name, value in values.items():
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
        # A field taken back with nothing in its place is unknown again; a value set in the same update wins.
        for name in update.cleared:
            if values.get(name) is not None:
                continue
            old = data.get(name)
            empty: Any = [] if isinstance(old, list) else None
            if old != empty:
                data[name] = empty
                changes[name] = (old, empty)
        if "target_close" in changes:
            before, after = changes["target_close"]
            data["target_close_first"] = data.get("target_close_first") or before or after
            if before is not None and after is not None and after > before:
                data["target_close_moves"] = data.get("target_close_moves", 0) + 1
        return Qualification.model_validate(data), changes


# The fields an update may clear: every extracted fact (the close-date history is the record's own).
ClearableField = Literal[
    "company",
    "contact_name",
    "contact_role",
    "pain",
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "paper_process",
    "champion",
    "competitors",
    "budget",
    "target_close",
    "go_live",
    "seats",
    "seats_at_full_rollout",
    "payment_terms_days",
    "identity_provider",
    "incumbents",
    "poc_weeks",
    "poc_success_criteria",
    "deployment",
    "regions",
    "compliance",
    "integrations",
    "sso_required",
    "scim_required",
    "products_of_interest",
]


def _described(name: str) -> str | None:
    """The record's description of a field: the tools' schema tells a model what each update field means."""
    return Qualification.model_fields[name].description


class QualificationUpdate(BaseModel):
    """A partial change to the record: only the fields that are set are applied.

    A scalar that is set replaces the recorded value (a correction wins); a list adds to what is
    recorded unless its field is named in `replace_lists`; a field named in `cleared` is forgotten.
    """

    company: str | None = Field(None, description=_described("company"))
    contact_name: str | None = Field(None, description=_described("contact_name"))
    contact_role: str | None = Field(None, description=_described("contact_role"))
    pain: str | None = Field(None, description=_described("pain"))
    metrics: str | None = Field(None, description=_described("metrics"))
    economic_buyer: str | None = Field(None, description=_described("economic_buyer"))
    decision_criteria: str | None = Field(None, description=_described("decision_criteria"))
    decision_process: str | None = Field(None, description=_described("decision_process"))
    paper_process: str | None = Field(None, description=_described("paper_process"))
    champion: str | None = Field(None, description=_described("champion"))
    competitors: list[str] | None = Field(None, description=_described("competitors"))
    budget: Budget | None = Field(None, description=_described("budget"))
    target_close: date | None = Field(None, description=_described("target_close"))
    go_live: date | None = Field(None, description=_described("go_live"))
    seats: int | None = Field(None, ge=1, le=10_000_000, description=_described("seats"))
    seats_at_full_rollout: int | None = Field(
        None, ge=1, le=10_000_000, description=_described("seats_at_full_rollout")
    )
    payment_terms_days: int | None = Field(None, ge=0, le=365, description=_described("payment_terms_days"))
    identity_provider: str | None = Field(None, description=_described("identity_provider"))
    incumbents: list[str] | None = Field(None, description=_described("incumbents"))
    poc_weeks: int | None = Field(None, ge=1, le=52, description=_described("poc_weeks"))
    poc_success_criteria: str | None = Field(None, description=_described("poc_success_criteria"))
    deployment: Deployment | None = Field(None, description=_described("deployment"))
    regions: list[Region] | None = Field(None, description=_described("regions"))
    compliance: list[Compliance] | None = Field(None, description=_described("compliance"))
    integrations: list[str] | None = Field(None, description=_described("integrations"))
    sso_required: bool | None = Field(None, description=_described("sso_required"))
    scim_required: bool | None = Field(None, description=_described("scim_required"))
    products_of_interest: list[str] | None = Field(None, description=_described("products_of_interest"))
    _budget = field_validator("budget", mode="before")(_as_budget)
    replace_lists: list[str] = Field(
        default_factory=list,
        description="List fields whose new value replaces the old instead of adding to it: a correction "
        '("scratch that, EU only") or a name taken back ("drop Marketo") sends the whole new list.',
    )
    cleared: list[ClearableField] = Field(
        default_factory=list,
        description="Fields the rep takes back with nothing in their place, so the record no longer knows them: "
        '"ignore the 150k, the budget isn\'t approved" clears budget; "forget the POC" clears poc_weeks and '
        'poc_success_criteria; "the 500 was headcount, not users" clears seats; "Raj left the company" clears '
        'champion; "they haven\'t decided on SCIM after all" clears scim_required. Not for a correction that '
        "gives the new value (set the field instead); a field also set in this update keeps the new value.",
    )

    def is_empty(self) -> bool:
        return not self.cleared and not self.model_dump(
            exclude_unset=True, exclude_none=True, exclude={"replace_lists", "cleared"}
        )


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
    capped_by: list[str] = Field(default_factory=list, description="Why the score is lower than the facts alone give.")


def _known(record: Qualification, name: str) -> bool:
    value = getattr(record, name)
    return value not in (None, [], "")


def apply_caps(score: int, caps: Sequence[tuple[int, str]]) -> tuple[int, list[str]]:
    """The score under each cap lower than it, loosest first, and one line of why per cap that bit."""
    reasons = []
    for cap, why in sorted(caps, key=lambda item: -item[0]):
        if cap < score:
            score = cap
            reasons.append(f"capped at {cap}: {why}")
    return score, reasons


def assess(record: Qualification, *, disqualified: bool = False, caps: Sequence[tuple[int, str]] = ()) -> Assessment:
    """Score and stage from the record: the same record always gives the same answer. `caps` (from deal
    inspection: a budget gap, a missing buyer...) lower the score, each with its reason; the stage says how
    complete discovery is, so it is decided before the caps."""
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
    score, capped_by = apply_caps(score, caps)
    return Assessment(
        score=score,
        stage=stage,
        missing=ordered,
        next_questions=[_question(record, m, questions[m]) for m in ordered[:3]],
        capped_by=capped_by,
    )


# Asked instead when the record already holds the POC's criteria: the technical test is known, the business
# result it serves is not.
METRICS_BEYOND_POC = "Beyond the POC's criteria, what business result will they measure (hours, money, risk)?"


def _question(record: Qualification, name: str, question: str) -> str:
    if name == "metrics" and record.poc_success_criteria:
        return METRICS_BEYOND_POC
    return question


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
    "scim_required": "SCIM required",
    "products_of_interest": "Products of interest",
}


def is_unknown(record: Qualification, name: str) -> bool:
    """The record holds nothing for the field (never said, or cleared since)."""
    return getattr(record, name) in (None, [], "")


def changes_in_words(record: Qualification, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """(what the changed fields now say as "*Label:* value", the labels of those now unknown), in card order."""
    noted = [
        f"*{FIELD_LABELS[n]}:* {display_value(record, n)}"
        for n in FIELD_LABELS
        if n in names and not is_unknown(record, n)
    ]
    cleared = [FIELD_LABELS[n] for n in FIELD_LABELS if n in names and is_unknown(record, n)]
    return noted, cleared


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

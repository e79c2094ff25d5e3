"""The governed files a proposal is made from besides the deal and the quote: the brand theme and the wording.

`examples/governance/theme.yaml` says how customer documents look (company, logo, colours, Unicode
fonts); `examples/governance/templates/proposal.yaml` says what they say in standard words (section
titles, the implementation plan's phases, terms, order form, signature block). Both are validated on
load, refused with one line naming the file and field, and their versions go into the audit event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.governed import GovernedFileError, load_governed

GOVERNANCE = Path(__file__).resolve().parents[1] / "examples" / "governance"
DEFAULT_THEME = GOVERNANCE / "theme.yaml"
DEFAULT_WORDING = GOVERNANCE / "templates" / "proposal.yaml"
TEMPLATES = GOVERNANCE / "templates"

Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")]


class ProposalTemplateError(GovernedFileError):
    """The theme or the proposal wording cannot be read or is invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Colours(_Strict):
    primary: Colour
    accent: Colour
    text: Colour
    muted: Colour
    rule: Colour
    shade: Colour


class Fonts(_Strict):
    family: str
    regular: Path
    bold: Path
    licence: Path


class Theme(_Strict):
    """The brand: who the vendor is and how its documents look. Paths are resolved against the file's folder."""

    version: str
    company: str
    legal_name: str
    address: str
    website: str = Field(pattern=r"^https://")
    logo: Path
    colours: Colours
    fonts: Fonts


class Cover(_Strict):
    title: str
    subtitle: str
    confidentiality: str


class ExecutiveSummaryWords(_Strict):
    title: str
    goals: str
    success: str
    success_unknown: str
    recommendation: str
    investment: str


class WhyUsWords(_Strict):
    title: str


class SolutionWords(_Strict):
    title: str
    intro: str
    columns: list[str] = Field(min_length=3, max_length=3)
    systems: str
    deployment: str
    deployment_text: str
    deployment_text_self: str
    # The technical scope as sales engineering reviewed it (shown only once a review decided it feasible).
    reviewed_scope: str = "Technical scope, reviewed by our solutions engineers"
    assumptions: str = "Assumptions"
    conditions: str = "Conditions"


class Phase(_Strict):
    name: str
    text: str
    when: str | None = None
    when_weeks: str | None = None
    when_open: str | None = None
    when_unknown: str | None = None
    with_services: str | None = None
    criteria: str | None = None
    systems_unknown: str | None = None


class ImplementationWords(_Strict):
    title: str
    columns: list[str] = Field(min_length=3, max_length=3)
    poc: Phase
    order: Phase
    onboarding: Phase
    go_live: Phase
    start_on_signature: str


class SecurityWords(_Strict):
    title: str
    columns: list[str] = Field(min_length=2, max_length=2)
    covered: str
    reviewed: str
    sso: str
    sso_any: str


class PricingWords(_Strict):
    title: str
    columns: list[str] = Field(min_length=5, max_length=5)
    total: str
    annual: str
    one_time: str
    per_term: str
    note: str


class TermsWords(_Strict):
    title: str
    currency: str
    term: str
    start: str
    billing: str
    billing_words: dict[str, str] = Field(default_factory=dict)
    payment: str
    validity: str
    documents: str
    contract: str
    baa: str


class OrderFormWords(_Strict):
    title: str
    intro: str
    columns: list[str] = Field(min_length=4, max_length=4)
    to_complete: str
    fields: list[str] = Field(min_length=1)


class SignatureWords(_Strict):
    title: str
    text: str
    lines: list[str] = Field(min_length=1)
    for_: str = Field(alias="for")


class SourcesWords(_Strict):
    title: str


class Wording(_Strict):
    """The proposal's standard words, section by section."""

    version: str
    product_family: str
    cover: Cover
    executive_summary: ExecutiveSummaryWords
    why_us: WhyUsWords
    solution: SolutionWords
    implementation: ImplementationWords
    security: SecurityWords
    pricing: PricingWords
    terms: TermsWords
    order_form: OrderFormWords
    signature: SignatureWords
    sources: SourcesWords

    @model_validator(mode="after")
    def _phases_say_when(self) -> Wording:
        plan = self.implementation
        poc = plan.poc
        if not (poc.when_weeks and poc.when_open and poc.criteria and poc.systems_unknown):
            raise ValueError("implementation.poc needs when_weeks, when_open, criteria and systems_unknown")
        if not (plan.order.when and plan.onboarding.when and plan.go_live.when_unknown):
            raise ValueError("implementation phases need their `when` (go_live: when_unknown)")
        return self


def load_theme(path: Path = DEFAULT_THEME) -> Theme:
    """The theme at `path`, its logo and font files resolved and present."""
    theme = load_governed(path, Theme, what="theme", error=ProposalTemplateError)
    folder = path.parent
    fonts = theme.fonts.model_copy(
        update={name: folder / getattr(theme.fonts, name) for name in ("regular", "bold", "licence")}
    )
    resolved = theme.model_copy(update={"logo": folder / theme.logo, "fonts": fonts})
    for file in (resolved.logo, fonts.regular, fonts.bold, fonts.licence):
        if not file.is_file():
            raise ProposalTemplateError(f"theme {path}: {file.name} is not a file next to it")
    return resolved


def load_wording(path: Path = DEFAULT_WORDING) -> Wording:
    return load_governed(path, Wording, what="proposal wording", error=ProposalTemplateError)

"""Product rules: what a quote must hold, may not hold together, and what its add-ons really buy.

The rules come from the governed catalog: a SKU's own `requires` (an add-on needs its edition), the
catalog's `rules.requires` (a deal's source needs a SKU: Oracle → the connectors pack) and
`rules.excludes` (one edition per quote), the editions' `includes` against the add-ons' `provides`,
and the edition minimum a compliance regime or deployment implies (from the editions' coverage).
Each rule that bears on a quote gives an outcome that says what it did, so a rep sees why the quote
looks as it does. A broken `requires` rule refuses the quote with the fix unless the rep overrides it:
then it is priced, and the override is the deal desk's to approve.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from integrations.cpq import errors
from integrations.cpq.catalog import Catalog, Sku

if TYPE_CHECKING:
    from integrations.cpq.engine import QuoteRequest


class RuleKind(enum.StrEnum):
    REQUIRES = "requires"
    INCLUDES = "includes"
    EXCLUDES = "excludes"
    EDITION_MINIMUM = "edition_minimum"


class RuleStatus(enum.StrEnum):
    APPLIED = "applied"  # the rule holds on this quote, and says what it means for it
    SUGGESTED = "suggested"  # the quote stands, priced; the rule points at a change worth making
    OVERRIDDEN = "overridden"  # broken at the rep's insistence: priced, and flagged for the deal desk


class RuleOutcome(BaseModel):
    """One product rule as it bore on a quote, in words a rep reads."""

    rule: str = Field(description="The rule's id: `requires:HS-SSO`, `requires:premium-sources`, ...")
    kind: RuleKind
    status: RuleStatus
    explanation: str
    fix: str | None = Field(None, description="What to change, when the rule suggests or was overridden.")
    routine: bool = Field(False, description="An add-on's base edition is on the quote: true, and not worth a line.")

    def __str__(self) -> str:
        return f"{self.explanation} {self.fix}" if self.fix else self.explanation


def _either(skus: list[str]) -> str:
    return " or ".join(skus)


def _edition_label(sku: Sku) -> str:
    """`Enterprise (HS-ENT)`: the edition's own word, and its SKU."""
    return f"{sku.name.split()[-1]} ({sku.sku})"


def check(request: QuoteRequest, catalog: Catalog, skus: Mapping[str, Sku]) -> list[RuleOutcome]:
    """Every product rule that bears on the request, in a stable order; raises the refusal of a rule the
    request breaks (a `requires` one only when the rep did not override it)."""
    return [
        *_excluded_together(catalog, skus),
        *_base_products(request, skus),
        *_required_by_sources(request, catalog, skus),
        *_included_in_editions(catalog, skus),
        *_edition_minimums(request, catalog, skus),
    ]


def _excluded_together(catalog: Catalog, skus: Mapping[str, Sku]) -> list[RuleOutcome]:
    for rule in catalog.rules.excludes:
        together = [sku for sku in rule.skus if sku in skus]
        if len(together) > 1:
            raise errors.ExcludedTogether(
                f"{' and '.join(together)} cannot be on one quote: {rule.why}. Keep one of them."
            )
    return []


def _broken(request: QuoteRequest, refusal: errors.QuoteRefused, outcome: RuleOutcome) -> RuleOutcome:
    """A broken `requires` rule: refused with the fix, or, overridden by the rep, kept as an outcome."""
    if not request.override_rules:
        raise refusal
    return outcome


def _base_products(request: QuoteRequest, skus: Mapping[str, Sku]) -> list[RuleOutcome]:
    """An add-on needs one of the products it runs on (HS-SSO: Business or Enterprise)."""
    outcomes = []
    for sku in skus.values():
        if not sku.requires:
            continue
        rule = f"requires:{sku.sku}"
        present = [base for base in sku.requires if base in skus]
        if present:
            outcomes.append(
                RuleOutcome(
                    rule=rule,
                    kind=RuleKind.REQUIRES,
                    status=RuleStatus.APPLIED,
                    explanation=f"{sku.sku} needs {_either(sku.requires)}: {present[0]} is on the quote.",
                    routine=True,
                )
            )
            continue
        fix = f"Add {_either(sku.requires)} to the quote."
        outcomes.append(
            _broken(
                request,
                errors.MissingBaseSku(
                    f"{sku.sku} is an add-on and needs {_either(sku.requires)} on the same quote. {fix}"
                ),
                RuleOutcome(
                    rule=rule,
                    kind=RuleKind.REQUIRES,
                    status=RuleStatus.OVERRIDDEN,
                    explanation=f"{sku.sku} needs {_either(sku.requires)}, which is not on the quote "
                    "(quoted anyway, at the rep's request).",
                    fix=f"{fix} If the customer already subscribes to one, the deal desk confirms it.",
                ),
            )
        )
    return outcomes


def _required_by_sources(request: QuoteRequest, catalog: Catalog, skus: Mapping[str, Sku]) -> list[RuleOutcome]:
    """A source the deal connects that only one SKU reaches (Oracle, SAP, mainframe: the connectors pack)."""
    outcomes = []
    for rule in catalog.rules.requires:
        sources = [name for name in request.integrations if rule.needed_by(name)]
        if not sources:
            continue
        needed = catalog.get(rule.sku)
        assert needed is not None  # the catalog's validation: a rule names known SKUs
        said = " and ".join(sources)
        verb = "needs" if len(sources) == 1 else "need"
        if rule.sku in skus:
            outcomes.append(
                RuleOutcome(
                    rule=rule.id,
                    kind=RuleKind.REQUIRES,
                    status=RuleStatus.APPLIED,
                    explanation=f"{said} {verb} {rule.sku} ({needed.name}): it is on the quote.",
                )
            )
            continue
        quantity = 1 if needed.unit in ("flat", "instance") else needed.min_quantity
        fix = f"Add {rule.sku} ({needed.name}) × {quantity} to the quote."
        outcomes.append(
            _broken(
                request,
                errors.MissingRequiredSku(f"{said} {verb} {rule.sku}: {rule.why}. {fix}"),
                RuleOutcome(
                    rule=rule.id,
                    kind=RuleKind.REQUIRES,
                    status=RuleStatus.OVERRIDDEN,
                    explanation=f"{said} {verb} {rule.sku} ({needed.name}), which is not on the quote "
                    "(quoted anyway, at the rep's request).",
                    fix=fix,
                ),
            )
        )
    return outcomes


def _included_in_editions(catalog: Catalog, skus: Mapping[str, Sku]) -> list[RuleOutcome]:
    """An add-on quoted with an edition is priced for what the edition does not include; one that adds
    nothing is refused."""
    outcomes = []
    editions = [sku for sku in skus.values() if sku.includes]
    for addon in skus.values():
        if not addon.provides:
            continue
        for edition in editions:
            included = [feature for feature in addon.provides if feature in edition.includes]
            if not included:
                continue
            adds = [feature for feature in addon.provides if feature not in edition.includes]
            if not adds:
                raise errors.IncludedInEdition(
                    f"{addon.sku} ({addon.name}) adds nothing to {edition.sku}, which includes "
                    f"{catalog.feature_names(included)}. Take {addon.sku} off the quote."
                )
            outcomes.append(
                RuleOutcome(
                    rule=f"includes:{edition.sku}:{addon.sku}",
                    kind=RuleKind.INCLUDES,
                    status=RuleStatus.APPLIED,
                    explanation=f"{edition.sku} already includes {catalog.feature_names(included)}; "
                    f"{addon.sku} is priced for what it adds: {catalog.feature_names(adds)}.",
                )
            )
    return outcomes


def _edition_minimums(request: QuoteRequest, catalog: Catalog, skus: Mapping[str, Sku]) -> list[RuleOutcome]:
    """A requirement the entry edition does not meet names the editions that do (HIPAA: Enterprise; FedRAMP:
    Government; self-hosted: Enterprise). A quote without one is priced only with `allow_gaps` (the engine
    refuses it otherwise): then the outcome suggests the edition to quote instead."""
    editions = catalog.editions
    quoted = [sku for sku in skus.values() if sku.deployments]
    needs = [str(need) for need in request.compliance] + ([request.deployment] if request.deployment else [])
    outcomes = []
    for need in needs:
        covering = catalog.editions_covering(need)
        if not covering or covering[0].sku == editions[0].sku:
            continue  # no edition meets it (the engine says so), or the entry edition already does
        rule = f"edition_minimum:{need}"
        label, names = need.replace("_", "-"), _either([_edition_label(edition) for edition in covering])
        met = [sku.sku for sku in quoted if sku.sku in {edition.sku for edition in covering}]
        if met:
            explanation = f"{label} needs {names}: {met[0]} is quoted."
            outcomes.append(
                RuleOutcome(
                    rule=rule, kind=RuleKind.EDITION_MINIMUM, status=RuleStatus.APPLIED, explanation=explanation
                )
            )
            continue
        instead = f" instead of {', '.join(sku.sku for sku in quoted)}" if quoted else ""
        outcomes.append(
            RuleOutcome(
                rule=rule,
                kind=RuleKind.EDITION_MINIMUM,
                status=RuleStatus.SUGGESTED,
                explanation=f"{label} needs {names}; the quoted SKUs do not meet it.",
                fix=f"Quote {covering[0].sku}{instead}, or the gap goes to the security review.",
            )
        )
    return outcomes


def minimum_editions(catalog: Catalog, needs: list[str]) -> str:
    """`HIPAA needs HS-ENT; FedRAMP needs HS-GOV`: the editions that meet each requirement, for a refusal."""
    said = []
    for need in needs:
        covering = catalog.editions_covering(need)
        said.append(
            f"{need.replace('_', '-')} needs {_either([e.sku for e in covering])}"
            if covering
            else f"no edition meets {need.replace('_', '-')}"
        )
    return "; ".join(said)

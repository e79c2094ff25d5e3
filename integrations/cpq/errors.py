"""Quote requests the engine refuses, each with the sentence a rep needs to fix it."""

from __future__ import annotations

from core.governed import GovernedFileError


class QuoteRefused(ValueError):
    """The request cannot be priced as it is; nothing is silently fixed."""


class UnknownSku(QuoteRefused):
    pass


class BelowMinimum(QuoteRefused):
    pass


class MissingBaseSku(QuoteRefused):
    pass


class MissingRequiredSku(QuoteRefused):
    """The deal needs a SKU the quote leaves out (an Oracle source: the connectors pack)."""


class ExcludedTogether(QuoteRefused):
    """Two SKUs that cannot be on one quote."""


class IncludedInEdition(QuoteRefused):
    """An add-on that adds nothing to the edition quoted with it."""


class InvalidTermStart(QuoteRefused):
    pass


class NotSoldInRegion(QuoteRefused):
    pass


class ComplianceNotCovered(QuoteRefused):
    pass


class DeploymentNotSupported(QuoteRefused):
    pass


class InvalidTerm(QuoteRefused):
    pass


class InvalidDiscount(QuoteRefused):
    pass


class UnsupportedCurrency(QuoteRefused):
    pass


class ExportRestricted(QuoteRefused):
    pass


class CatalogError(GovernedFileError):
    """The catalog file is invalid; the message names the SKU and field."""

"""The schema: every domain's tables, and the Alembic migrations that build them."""

from __future__ import annotations


def import_all_tables() -> None:
    """Register every domain's tables on Base.metadata (and their personal-text columns with privacy)."""
    import approvals.models
    import approvals.review_models  # noqa: F401
    import core.models  # noqa: F401
    import deals.contract_models
    import deals.models
    import deals.poc_models  # noqa: F401
    import integrations.calendar.models
    import integrations.cpq.models
    import integrations.crm.models
    import integrations.esign.models
    import integrations.leads.models  # noqa: F401
    import knowledge.models  # noqa: F401

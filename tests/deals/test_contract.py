"""The contract checklist's rules, item by item: what counts as done, and what a rep is told is missing."""

from __future__ import annotations

from datetime import date

from approvals.models import ApprovalStep, StepStatus
from deals.contract import (
    Item,
    ItemState,
    _legal_item,
    _order_form_item,
    _quote_item,
    _security_item,
    order_form_gaps,
)
from deals.contract_models import OrderFormEntry, SecurityReview
from deals.qualification import Qualification
from integrations.cpq.models import QuoteRecord, QuoteStatus

TODAY = date(2027, 1, 10)
GAP = "The quoted edition does not cover FedRAMP."


def quote(status: QuoteStatus = QuoteStatus.APPROVED, *, valid_until: date = date(2027, 2, 1)) -> QuoteRecord:
    return QuoteRecord(
        version=2,
        status=status,
        currency="EUR",
        total="95000.00",
        request={"compliance": ["SOC2", "FedRAMP"]},
        valid_until=valid_until,
    )


def step(level: str, status: StepStatus) -> ApprovalStep:
    return ApprovalStep(level=level, status=status, decided_by="U0SEC" if level == "security" else "U0LEGAL")


def test_only_a_final_quote_whose_prices_still_hold_counts():
    assert _quote_item(quote(), TODAY).state == ItemState.DONE
    assert "€95,000, approved" in _quote_item(quote(), TODAY).detail
    held = _quote_item(quote(valid_until=date(2027, 1, 9)), TODAY)
    assert held.state == ItemState.MISSING and "held until 2027-01-09: price it again" in held.detail
    waiting = _quote_item(quote(QuoteStatus.NEEDS_APPROVAL), TODAY)
    assert waiting.state == ItemState.MISSING and "is waiting for approval" in waiting.detail
    assert _quote_item(None, TODAY).state == ItemState.MISSING


def test_legal_is_needed_only_where_the_policy_asked_and_done_only_when_legal_approved():
    fired = [{"rule": "legal", "level": "legal", "reason": "Payment terms net 60"}]
    assert _legal_item([], []).state == ItemState.NOT_NEEDED
    assert _legal_item(fired, []).detail == "Waiting for Legal: Payment terms net 60."
    assert _legal_item(fired, [step("legal", StepStatus.REJECTED)]).state == ItemState.MISSING
    done = _legal_item(fired, [step("legal", StepStatus.APPROVED)])
    assert (done.state, done.by) == (ItemState.DONE, "U0LEGAL")


def test_a_security_review_must_cover_the_gaps_as_they_stand():
    record = Qualification(compliance=["SOC2", "FedRAMP"])
    assert _security_item([], record, quote(), [], []).state == ItemState.NOT_NEEDED
    assert _security_item([GAP], record, quote(), [], []).state == ItemState.MISSING
    older = SecurityReview(reviewed_by="U0SEC", note="HIPAA is covered by the BAA", covers=["another gap"])
    assert _security_item([GAP], record, quote(), [], [older]).state == ItemState.MISSING
    review = SecurityReview(reviewed_by="U0SEC", note="Not needed: commercial data", covers=[GAP])
    done = _security_item([GAP], record, quote(), [], [review])
    assert (done.state, done.by, done.detail) == (ItemState.DONE, "U0SEC", "Reviewed: Not needed: commercial data")


def test_securitys_approval_of_the_quote_counts_only_for_the_needs_it_was_priced_for():
    approved = [step("security", StepStatus.APPROVED)]
    same = Qualification(compliance=["SOC2", "FedRAMP"])
    assert _security_item([GAP], same, quote(), approved, []).detail == "Security approved quote v2."
    grown = Qualification(compliance=["SOC2", "FedRAMP", "HIPAA"])  # a need added after the quote
    assert _security_item([GAP], grown, quote(), approved, []).state == ItemState.MISSING


def test_the_order_form_needs_a_po_number_only_when_the_customer_requires_one():
    complete = OrderFormEntry(
        legal_entity="Acme Corporation Ltd",
        billing_address="1 Harbour Street, Boston",
        billing_contact_name="Ada Payable",
        billing_contact_email="ap@acme.example",
    )
    assert order_form_gaps(complete) == []
    assert "no PO required" in _order_form_item(complete).detail
    requires_po = complete.model_copy(update={"po_required": True})
    assert order_form_gaps(requires_po) == ["PO number (the customer requires one)"]
    assert order_form_gaps(OrderFormEntry()) == [
        "legal entity",
        "billing address",
        "billing contact (name and email)",
    ]
    assert _order_form_item(OrderFormEntry()).item == Item.ORDER_FORM

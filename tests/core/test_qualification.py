"""The qualification record: merging updates, and the deterministic score and stage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from deals.qualification import Money, Qualification, QualificationUpdate, Stage, assess, format_money


def test_facts_from_several_messages_accumulate_and_a_correction_replaces_the_old_value():
    record = Qualification()
    record, _ = record.merged(QualificationUpdate(seats=250, regions=["EU"]))
    record, _ = record.merged(QualificationUpdate(regions=["US"], compliance=["SOC2"]))
    record, changes = record.merged(QualificationUpdate(seats=300))
    assert record.seats == 300 and changes == {"seats": (250, 300)}
    assert [r.value for r in record.regions] == ["EU", "US"]


def test_a_list_correction_replaces_the_list_when_asked():
    record, _ = Qualification().merged(QualificationUpdate(regions=["EU", "US"]))
    record, _ = record.merged(QualificationUpdate(regions=["EU"], replace_lists=["regions"]))
    assert [r.value for r in record.regions] == ["EU"]


def test_an_empty_record_is_new_and_asks_for_the_pain_first():
    assessment = assess(Qualification())
    assert assessment.stage == Stage.NEW and assessment.score == 0
    assert assessment.missing[0] == "pain"


def test_a_deal_is_qualified_only_when_every_required_fact_is_known():
    record = Qualification(
        pain="batch jobs take 6 hours",
        seats=300,
        deployment="saas",
        regions=["US"],
        budget=Money(amount=Decimal("180000"), currency="USD"),
        target_close=date(2027, 3, 31),
        economic_buyer="CFO",
    )
    assessment = assess(record)
    assert assessment.stage == Stage.QUALIFIED and assessment.score == 71
    partial = record.model_copy(update={"economic_buyer": None})
    assert assess(partial).stage == Stage.DISCOVERY
    assert assess(record, disqualified=True).stage == Stage.DISQUALIFIED


def test_money_is_shown_as_a_rep_reads_it():
    assert format_money(Decimal("180000"), "USD") == "$180,000"
    assert format_money(Decimal("12500.5"), "EUR") == "€12,500.50"
    assert format_money(Decimal("900"), "CHF") == "900 CHF"


def test_the_record_remembers_the_first_close_date_and_how_often_it_was_pushed_out():
    record, _ = Qualification().merged(QualificationUpdate(target_close=date(2026, 12, 18)))
    assert (record.target_close_first, record.target_close_moves) == (date(2026, 12, 18), 0)
    record, _ = record.merged(QualificationUpdate(target_close=date(2027, 1, 15)))
    record, _ = record.merged(QualificationUpdate(target_close=date(2027, 1, 8)))  # pulled in: not a slip
    record, _ = record.merged(QualificationUpdate(target_close=date(2027, 1, 29)))
    assert record.target_close == date(2027, 1, 29)
    assert (record.target_close_first, record.target_close_moves) == (date(2026, 12, 18), 2)


def test_with_the_pocs_criteria_known_the_metrics_question_asks_for_the_business_result():
    record = Qualification(
        company="Acme", seats=100, deployment="saas", regions=["US"], budget={"amount": "100000"},
        target_close="2027-03-31", economic_buyer="the CFO", decision_process="committee", compliance=["SOC2"],
        integrations=["Oracle"],
    )  # fmt: skip
    assert "How will they measure success?" in assess(record).next_questions
    with_poc = record.model_copy(update={"poc_success_criteria": "fresh within 15 minutes"})
    asked = assess(with_poc).next_questions
    assert "How will they measure success?" not in asked
    assert any(q.startswith("Beyond the POC's criteria") for q in asked)

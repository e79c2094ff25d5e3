"""Stage goals: discovery aims at the required qualification items, qualified at a final quote, proposal at a
ready contract; a closed deal has none."""

from __future__ import annotations

from deals.contract import ChecklistItem, ContractReadiness, Item, ItemState
from deals.goals import stage_goals
from deals.models import DealStage
from deals.qualification import Qualification, assess


def _contract(stage: DealStage, **states: ItemState) -> ContractReadiness:
    items = tuple(
        ChecklistItem(item, states.get(item.value, ItemState.MISSING), f"{item.label} detail") for item in Item
    )
    return ContractReadiness(deal_id=1, stage=stage, items=items, envelope=None, order=None)


def test_discovery_aims_at_the_required_qualification_items():
    record = Qualification(pain="6-hour batch loads", seats=150, deployment="saas")
    goals = stage_goals(DealStage.DISCOVERY, missing_fields=assess(record).missing, contract=None)
    assert goals is not None and goals.toward == "qualified"
    assert [(g.label, g.met) for g in goals.goals] == [
        ("Pain", True),
        ("Seats", True),
        ("Deployment", True),
        ("Regions", False),
        ("Budget", False),
        ("Target close", False),
        ("Economic buyer", False),
    ]
    assert goals.missing[0].hint == "Where are the users and where must the data live?"


def test_a_qualified_deal_aims_at_a_final_quote():
    unpriced = stage_goals(DealStage.QUALIFIED, missing_fields=[], contract=None)
    assert unpriced is not None and [(g.label, g.met) for g in unpriced.goals] == [("Final quote", False)]
    priced = stage_goals(
        DealStage.QUALIFIED, missing_fields=[], contract=_contract(DealStage.QUALIFIED, quote=ItemState.DONE)
    )
    assert priced is not None and priced.missing == []


def test_a_proposal_aims_at_a_ready_contract_and_a_closed_deal_has_no_goals():
    contract = _contract(DealStage.PROPOSAL, quote=ItemState.DONE, legal=ItemState.NOT_NEEDED, signer=ItemState.DONE)
    goals = stage_goals(DealStage.PROPOSAL, missing_fields=[], contract=contract)
    assert goals is not None and goals.toward == "closing"
    assert [(g.label, g.met) for g in goals.goals] == [
        ("Final quote", True),
        ("Security review", False),
        ("Order form", False),
        ("Signer", True),
    ]
    assert stage_goals(DealStage.WON, missing_fields=[], contract=contract) is None

"""The HubSpot adapter against a local server speaking HubSpot's API: delivery, retries, no duplicates."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.serving import serve_asgi
from core.models import OutboxEvent
from deals import service as deals
from deals.qualification import QualificationUpdate
from integrations.crm.hubspot import HubSpotCrm
from integrations.crm.sweeps import deliver_due
from tests.fakes.hubspot import FakeHubSpot


def _open_and_qualify(sessions, clock):
    with sessions() as session, session.begin():
        deal = deals.open_deal(session, company="Globex", owner_slack_id="U1", clock=clock, origin="t1")
        deals.apply_qualification(
            session,
            deal,
            QualificationUpdate(seats=250, target_close="2027-03-31"),
            clock=clock,
            actor_type="model",
            actor_id="offline",
            source={"slack_message_ts": "1.1"},
        )


async def test_deal_changes_reach_hubspot_once_with_the_company_and_notes(sessions, clock):
    hubspot = FakeHubSpot()
    _open_and_qualify(sessions, clock)
    async with serve_asgi(hubspot.app) as url:
        crm = HubSpotCrm("pat-test", base_url=url)
        counts = await asyncio.to_thread(deliver_due, session_factory=sessions, crm=crm, clock=clock)
        assert counts["delivered"] == 4
        # A replay of everything (an operator, or a lost acknowledgement) duplicates nothing.
        with sessions() as session, session.begin():
            session.execute(OutboxEvent.__table__.update().values(status="pending", next_attempt_at=clock.now()))
        await asyncio.to_thread(deliver_due, session_factory=sessions, crm=crm, clock=clock)
    assert [c["name"] for c in hubspot.objects["companies"].values()] == ["Globex"]
    (deal,) = hubspot.objects["deals"].values()
    assert deal["lto_deal_key"] == "lto-deal-1" and deal["dealstage"] == "qualifiedtobuy"
    assert deal["closedate"] == "2027-03-31" and len(hubspot.objects["notes"]) == 2


async def test_rate_limits_and_outages_are_retried_after_the_wait_hubspot_asks_for(sessions, clock):
    hubspot = FakeHubSpot()
    _open_and_qualify(sessions, clock)
    hubspot.fail_next(429, retry_after="30")
    async with serve_asgi(hubspot.app) as url:
        crm = HubSpotCrm("pat-test", base_url=url)
        first = await asyncio.to_thread(deliver_due, session_factory=sessions, crm=crm, clock=clock)
        assert first == {"delivered": 0, "retry": 1, "parked": 0}
        with sessions() as session:
            event = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).first()
            assert event.next_attempt_at == clock.now() + timedelta(0, 30)  # what Retry-After asked for
        hubspot.fail_next(503)
        clock.advance(seconds=31)
        await asyncio.to_thread(deliver_due, session_factory=sessions, crm=crm, clock=clock)
        clock.advance(seconds=60)
        await asyncio.to_thread(deliver_due, session_factory=sessions, crm=crm, clock=clock)
    with sessions() as session:
        crm_events = select(OutboxEvent).where(OutboxEvent.topic.startswith("crm."))  # domain events have their sweep
        assert {e.status for e in session.scalars(crm_events)} == {"delivered"}
    assert len(hubspot.objects["deals"]) == 1


async def test_a_refused_token_parks_the_event_for_an_operator(sessions, clock):
    hubspot = FakeHubSpot(token="pat-right")
    _open_and_qualify(sessions, clock)
    async with serve_asgi(hubspot.app) as url:
        counts = await asyncio.to_thread(
            deliver_due, session_factory=sessions, crm=HubSpotCrm("pat-wrong", base_url=url), clock=clock
        )
    assert counts["parked"] == 1
    with sessions() as session:
        parked = session.scalars(select(OutboxEvent).where(OutboxEvent.status == "parked")).one()
    assert "refused the token" in parked.last_error


async def test_a_deal_hubspot_already_has_is_updated_not_duplicated_when_search_lags(sessions, clock):
    hubspot = FakeHubSpot()
    hubspot.objects["deals"]["900"] = {
        "dealname": "Globex",
        "lto_deal_key": "lto-deal-1",
        "dealstage": "appointmentscheduled",
    }
    hubspot.objects["companies"]["800"] = {"name": "Globex"}
    _open_and_qualify(sessions, clock)
    hubspot.stale_searches = {"deals": 1}  # the first look-up misses the existing deal: the create answers 409
    async with serve_asgi(hubspot.app) as url:
        await asyncio.to_thread(
            deliver_due, session_factory=sessions, crm=HubSpotCrm("pat-test", base_url=url), clock=clock
        )
    assert (
        list(hubspot.objects["deals"]) == ["900"] and hubspot.objects["deals"]["900"]["dealstage"] == "qualifiedtobuy"
    )
    assert ("POST", "/crm/v3/objects/deals") in hubspot.requests


async def test_a_brief_outage_is_retried_within_the_call_and_a_long_one_opens_the_circuit(sessions, clock):
    import pybreaker
    import pytest

    from integrations.crm.port import CrmUnavailable

    hubspot = FakeHubSpot()
    async with serve_asgi(hubspot.app) as url:
        crm = HubSpotCrm("pat-test", base_url=url, breaker=pybreaker.CircuitBreaker(fail_max=2, reset_timeout=60))
        hubspot.fail_next(503, times=2)  # two 503s, then HubSpot answers: one call, no error
        assert await asyncio.to_thread(crm.find_account, "Globex") is None
        hubspot.fail_next(503, times=20)
        with pytest.raises(CrmUnavailable, match="HubSpot 503"):  # three tries, one failure for the breaker
            await asyncio.to_thread(crm.find_account, "Globex")
        with pytest.raises(CrmUnavailable, match="circuit open"):  # the second failure trips it
            await asyncio.to_thread(crm.find_account, "Globex")
        calls = len(hubspot.requests)
        with pytest.raises(CrmUnavailable, match="circuit open"):
            await asyncio.to_thread(crm.find_account, "Globex")
        assert len(hubspot.requests) == calls  # failing fast: HubSpot was not called

"""CRM write-back through the outbox: committed with the change, delivered once, retried, parked."""

from __future__ import annotations

from sqlalchemy import select

from core import outbox
from core.models import OutboxEvent
from deals import service as deals
from deals.qualification import QualificationUpdate
from integrations.crm.local import LocalCrm
from integrations.crm.port import CrmUnavailable
from integrations.crm.sweeps import deliver_due


class FlakyCrm(LocalCrm):
    """The local CRM behind a connection that fails a given number of times."""

    def __init__(self, *args, failures: int = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.failures = failures

    def upsert_deal(self, *args, **kwargs):
        if self.failures:
            self.failures -= 1
            raise CrmUnavailable("503 from the CRM")
        return super().upsert_deal(*args, **kwargs)


def _open_and_qualify(sessions, clock):
    with sessions() as session, session.begin():
        deal = deals.open_deal(session, company="Acme", owner_slack_id="U1", clock=clock, origin="t1")
        deals.apply_qualification(
            session,
            deal,
            QualificationUpdate(seats=250),
            clock=clock,
            actor_type="model",
            actor_id="offline",
            source={"slack_message_ts": "1.1"},
        )
        return deal.id


def test_a_deal_change_reaches_the_crm_once_even_when_delivered_twice(sessions, clock):
    deal_id = _open_and_qualify(sessions, clock)
    crm = LocalCrm(sessions, clock)
    assert deliver_due(session_factory=sessions, crm=crm, clock=clock)["delivered"] == 4
    crm_deal = crm.get_deal(f"lto-deal-{deal_id}")
    assert crm_deal.properties["seats"] == 250 and crm_deal.stage == "discovery"
    # A second delivery of the same events (an operator replays them) adds no second note.
    with sessions() as session, session.begin():
        for event in session.scalars(select(OutboxEvent)):
            outbox.replay(session, event.id, clock=clock) or session.execute(
                OutboxEvent.__table__.update().where(OutboxEvent.id == event.id).values(status="pending")
            )
    deliver_due(session_factory=sessions, crm=crm, clock=clock)
    assert len(crm.notes(f"lto-deal-{deal_id}")) == 2


def test_a_failing_crm_holds_the_changes_and_they_arrive_when_it_recovers(sessions, clock):
    deal_id = _open_and_qualify(sessions, clock)
    crm = FlakyCrm(sessions, clock, failures=3)
    first = deliver_due(session_factory=sessions, crm=crm, clock=clock)
    assert first == {"delivered": 0, "retry": 1, "parked": 0}  # the rest wait behind the first, in order
    for seconds in (6, 11, 21):
        clock.advance(seconds=seconds)
        deliver_due(session_factory=sessions, crm=crm, clock=clock)
    assert crm.get_deal(f"lto-deal-{deal_id}").properties["seats"] == 250
    with sessions() as session:
        crm_events = select(OutboxEvent).where(OutboxEvent.topic.startswith("crm."))  # domain events have their sweep
        assert {e.status for e in session.scalars(crm_events)} == {"delivered"}


def test_an_event_that_keeps_failing_is_parked_and_can_be_replayed(sessions, clock):
    _open_and_qualify(sessions, clock)
    crm = FlakyCrm(sessions, clock, failures=10_000)
    for _ in range(outbox.MAX_ATTEMPTS):
        deliver_due(session_factory=sessions, crm=crm, clock=clock)
        clock.advance(hours=2)
    with sessions() as session:
        parked = [e for e in outbox.listing(session, status="parked")]
    assert len(parked) == 1  # the first event; the others wait behind it
    crm.failures = 0
    with sessions() as session, session.begin():
        for event in parked:
            assert outbox.replay(session, event.id, clock=clock)
    for _ in range(4):
        deliver_due(session_factory=sessions, crm=crm, clock=clock)
        clock.advance(hours=2)
    with sessions() as session:
        crm_events = select(OutboxEvent).where(OutboxEvent.topic.startswith("crm."))  # domain events have their sweep
        assert {e.status for e in session.scalars(crm_events)} == {"delivered"}


def test_the_local_crm_is_seeded_with_sample_accounts_once(sessions, clock):
    from pathlib import Path

    from integrations.crm.local import seed_accounts

    path = Path(__file__).resolve().parents[2] / "examples" / "crm" / "accounts.yaml"
    with sessions() as session, session.begin():
        assert seed_accounts(session, path, clock=clock) == 5
        assert seed_accounts(session, path, clock=clock) == 0
    account = LocalCrm(sessions, clock).find_account("northwind health")
    assert account is not None and account.industry == "Healthcare" and account.employees == 8200

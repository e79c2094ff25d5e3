"""Contracts out for signature: sent once, signed once, and what a signature, a decline or a void changes.

Sending reserves the envelope first (its row, keyed by the job and by one open envelope per deal),
commits, then asks the provider, then records the provider's id: a second click, or two at once,
cannot send two envelopes, and a job that dies between the call and the record finds its envelope
at the provider (by our reference) instead of sending another. Signing is one conditional UPDATE of
a sent envelope, so a webhook delivered twice, or a signing page posted twice, signs once; the same
transaction creates the order, wins the deal and queues what people are told.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core import audit, jobs
from core.clock import Clock
from core.job_kinds import EnvelopeSettled
from deals import access
from deals import contract as contracts
from deals.contract import ContractBasis, ContractDocument, ContractError, DealPlace, place_of
from deals.contract_models import Order
from deals.inspection import CatalogFacts
from deals.models import Deal
from deals.orders import SignedBy, close_won
from deals.qualification import format_money
from integrations.cpq.models import QuoteRecord
from integrations.esign.connect import EnvelopeNews, Outcome
from integrations.esign.models import EnvelopeStatus, SignatureEnvelope
from integrations.esign.port import ESignError, ESignPort, SentEnvelope, SigningRequest

# A reservation whose job died before the provider answered blocks the deal this long; then a new
# "Send for signature" takes it over (and first looks for it at the provider).
STALE_RESERVATION = timedelta(minutes=15)

Render = Callable[[ContractBasis], ContractDocument]
RETRY_LATER = "retry later"  # what `apply_provider_news` says when the provider should deliver it again


@dataclass(frozen=True)
class SentForSignature:
    place: DealPlace
    envelope_row_id: int
    reference: str
    provider: str
    signer_name: str
    signer_email: str
    signing_url: str | None  # the local signing page's link, for the rep to pass on; None when emailed
    repeated: bool  # this job had sent it before (a re-run): nothing new was sent


@dataclass(frozen=True)
class _Reservation:
    row_id: int
    reference: str
    created_at: datetime
    basis: ContractBasis
    attempted: bool  # an earlier attempt may have reached the provider
    place: DealPlace


def _sent_from(
    row: SignatureEnvelope, place: DealPlace, *, signing_url: str | None, repeated: bool
) -> SentForSignature:
    return SentForSignature(
        place=place,
        envelope_row_id=row.id,
        reference=row.reference,
        provider=row.provider,
        signer_name=row.signer_name,
        signer_email=row.signer_email,
        signing_url=signing_url,
        repeated=repeated,
    )


def send_for_signature(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    deal_id: int,
    esign: ESignPort,
    render: Render,
    catalog: CatalogFacts,
    clock: Clock,
    origin: str,
) -> SentForSignature:
    """The "Send for signature" button: the complete checklist's contract, rendered and sent to the signer through the
    configured provider, once. `origin` names the job: run again, it gets its envelope back. Raises
    ContractError (ContractNotReady with what is missing), Forbidden, or ESignUnavailable to try again later."""
    reserved = _reserve(
        session_factory, who=who, deal_id=deal_id, provider=esign.provider, catalog=catalog, clock=clock, origin=origin
    )
    if isinstance(reserved, SentForSignature):  # sent by this job's earlier run: its link again, nothing sent
        found = esign.find_sent(reserved.reference, since=clock.now() - STALE_RESERVATION)
        return dataclasses.replace(reserved, signing_url=found.signing_url if found else None)
    document = render(reserved.basis)
    request = SigningRequest(
        reference=reserved.reference,
        email_subject=f"{reserved.basis.customer}: order form for signature",
        document=document.pdf,
        document_name=document.name,
        signer_name=reserved.basis.signer_name,
        signer_email=reserved.basis.signer_email,
        signature_anchor=document.signature_anchor,
    )
    try:
        found = esign.find_sent(reserved.reference, since=reserved.created_at) if reserved.attempted else None
        sent = found or esign.send(request)
    except ESignError as exc:
        if exc.retryable:
            raise
        _failed(session_factory, reserved.row_id, reason=str(exc), who=who, clock=clock)
        raise ContractError(f"The contract was not sent: {exc}") from exc
    return _record_sent(
        session_factory,
        reserved,
        sent,
        document_sha256=hashlib.sha256(document.pdf).hexdigest(),
        who=who,
        clock=clock,
    )


def _reserve(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    deal_id: int,
    provider: str,
    catalog: CatalogFacts,
    clock: Clock,
    origin: str,
) -> _Reservation | SentForSignature:
    """The envelope's row, committed before the provider is called: this job's earlier one (sent: returned as
    it is; still sending: tried again), a stale reservation taken over, or a new one for a complete checklist."""
    with session_factory() as session, session.begin():
        deal = session.get(Deal, deal_id, with_for_update=True)
        if deal is None:
            raise ContractError(f"There is no deal #{deal_id}.")
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        place = place_of(deal)
        mine = session.scalar(select(SignatureEnvelope).where(SignatureEnvelope.origin == origin))
        if mine is not None and mine.status in (EnvelopeStatus.SENT, EnvelopeStatus.COMPLETED):
            return _sent_from(mine, place, signing_url=None, repeated=True)
        if mine is not None and mine.status == EnvelopeStatus.SENDING:
            return _again(session, deal, mine, place, attempted=True)
        if mine is not None:  # failed, declined or voided since: this click is spent
            raise ContractError(
                f"That request to send deal #{deal_id} ended: {mine.status}. Send it again from the card."
            )
        stale = contracts.latest_envelope(session, deal_id)
        if (
            stale is not None
            and stale.status == EnvelopeStatus.SENDING
            and stale.created_at <= clock.now() - STALE_RESERVATION
        ):
            stale.origin, stale.updated_at = origin, clock.now()
            return _again(session, deal, stale, place, attempted=True)
        basis = contracts.basis_for_signature(session, deal, catalog=catalog, today=clock.now().date())
        row = SignatureEnvelope(
            deal_id=deal_id,
            quote_id=basis.quote_id,
            provider=provider,
            reference=uuid.uuid4().hex,
            status=EnvelopeStatus.SENDING,
            signer_name=basis.signer_name,
            signer_email=basis.signer_email,
            sent_by=who.user_id,
            origin=origin,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(row)
        session.flush()  # the partial unique index refuses a second open envelope of the deal here
        return _Reservation(row.id, row.reference, row.created_at, basis, attempted=False, place=place)


def _again(session: Session, deal: Deal, row: SignatureEnvelope, place: DealPlace, *, attempted: bool) -> _Reservation:
    quote = session.get_one(QuoteRecord, row.quote_id)
    basis = contracts.contract_basis(session, deal, quote)  # the order form is locked while the row is open
    return _Reservation(row.id, row.reference, row.created_at, basis, attempted=attempted, place=place)


def _record_sent(
    session_factory: sessionmaker[Session],
    reserved: _Reservation,
    sent: SentEnvelope,
    *,
    document_sha256: str,
    who: access.Identity,
    clock: Clock,
) -> SentForSignature:
    with session_factory() as session, session.begin():
        session.execute(
            update(SignatureEnvelope)
            .where(SignatureEnvelope.id == reserved.row_id, SignatureEnvelope.status == EnvelopeStatus.SENDING)
            .values(
                status=EnvelopeStatus.SENT,
                envelope_id=sent.envelope_id,
                sent_at=clock.now(),
                document_sha256=document_sha256,
                updated_at=clock.now(),
            )
        )
        row = session.get_one(SignatureEnvelope, reserved.row_id)
        audit.record(
            session,
            clock=clock,
            actor_type="user",
            actor_id=who.user_id,
            action="contract.send",
            subject=f"envelope:{row.id}",
            deal_id=row.deal_id,
            inputs={"quote_version": reserved.basis.quote_version, "provider": row.provider},
            outcome=str(row.status),
            detail={"envelope_id": row.envelope_id, "document_sha256": document_sha256},
        )
        return _sent_from(row, reserved.place, signing_url=sent.signing_url, repeated=False)


def _failed(
    session_factory: sessionmaker[Session], row_id: int, *, reason: str, who: access.Identity, clock: Clock
) -> None:
    """The provider refused the envelope: it frees the deal for another send once the problem is fixed."""
    with session_factory() as session, session.begin():
        session.execute(
            update(SignatureEnvelope)
            .where(SignatureEnvelope.id == row_id, SignatureEnvelope.status == EnvelopeStatus.SENDING)
            .values(status=EnvelopeStatus.FAILED, outcome_note=reason[:2000], updated_at=clock.now())
        )
        row = session.get_one(SignatureEnvelope, row_id)
        audit.record(
            session,
            clock=clock,
            actor_type="user",
            actor_id=who.user_id,
            action="contract.send",
            subject=f"envelope:{row_id}",
            deal_id=row.deal_id,
            inputs={"provider": row.provider},
            outcome="failed",
            detail={"reason": reason[:500]},
        )


# Signing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signing:
    """Who signed, when, and from where (the local page knows the address; a provider keeps its own record)."""

    name: str
    email: str | None
    at: datetime
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class SignOutcome:
    first: bool  # this call signed it; False: it was signed before (a retried webhook, a second post)
    status: EnvelopeStatus
    order_number: str | None
    signed_by: str | None
    signed_at: datetime | None


def sign(session: Session, row: SignatureEnvelope, signing: Signing, *, clock: Clock) -> SignOutcome:
    """Sign a sent envelope, exactly once, in the caller's transaction: the order, the deal won, the CRM
    write-back, `contract.signed`, and the job that tells the thread and the owner."""
    won = session.execute(
        update(SignatureEnvelope)
        .where(SignatureEnvelope.id == row.id, SignatureEnvelope.status == EnvelopeStatus.SENT)
        .values(
            status=EnvelopeStatus.COMPLETED,
            completed_at=signing.at,
            signed_by_name=signing.name[:200],
            signed_by_email=signing.email[:254] if signing.email else None,
            signed_ip=signing.ip,
            signed_user_agent=(signing.user_agent or "")[:300] or None,
            updated_at=clock.now(),
        )
        .returning(SignatureEnvelope.id)
        .execution_options(synchronize_session=False)
    ).first()
    session.refresh(row)
    if won is None:
        order = session.scalar(select(Order).where(Order.envelope_id == row.id))
        return SignOutcome(False, row.status, order.number if order else None, row.signed_by_name, row.completed_at)
    order = close_won(
        session, envelope=row, signed=SignedBy(name=signing.name, email=signing.email, at=signing.at), clock=clock
    )
    jobs.enqueue(
        session,
        job=EnvelopeSettled(envelope_id=row.id, outcome="completed"),
        clock=clock,
        dedupe_key=f"envelope:{row.id}:completed",
    )
    return SignOutcome(True, row.status, order.number, row.signed_by_name, row.completed_at)


def _settle_unsigned(
    session: Session, row: SignatureEnvelope, *, outcome: Outcome, reason: str | None, at: datetime, clock: Clock
) -> bool:
    """A declined or voided envelope: recorded once, and the thread and the owner told; False if it was settled."""
    status = EnvelopeStatus.DECLINED if outcome == "declined" else EnvelopeStatus.VOIDED
    won = session.execute(
        update(SignatureEnvelope)
        .where(
            SignatureEnvelope.id == row.id,
            SignatureEnvelope.status.in_((EnvelopeStatus.SENDING, EnvelopeStatus.SENT)),
        )
        .values(status=status, completed_at=at, outcome_note=(reason or "")[:2000] or None, updated_at=clock.now())
        .returning(SignatureEnvelope.id)
        .execution_options(synchronize_session=False)
    ).first()
    if won is None:
        return False
    audit.record(
        session,
        clock=clock,
        actor_type="system",
        actor_id=row.provider,
        action="contract.settle",
        subject=f"envelope:{row.id}",
        deal_id=row.deal_id,
        inputs={"envelope_id": row.envelope_id},
        outcome=str(status),
        detail={"reason": reason},
    )
    jobs.enqueue(
        session,
        job=EnvelopeSettled(envelope_id=row.id, outcome=outcome),
        clock=clock,
        dedupe_key=f"envelope:{row.id}:{outcome}",
    )
    return True


def apply_provider_news(
    session_factory: sessionmaker[Session], *, provider: str, news: EnvelopeNews, clock: Clock
) -> str:
    """A provider's word on one of its envelopes (a Connect message): signed, declined or voided, applied once.
    Returns what happened, for the webhook's answer: an envelope that is not ours is acknowledged and ignored."""
    if news.outcome is None:
        return "ignored"
    with session_factory() as session, session.begin():
        row = session.scalar(
            select(SignatureEnvelope).where(
                SignatureEnvelope.provider == provider, SignatureEnvelope.envelope_id == news.envelope_id
            )
        )
        if row is None:
            # A send whose answer is still awaited (or was lost) has no provider id yet: the message may be about
            # it, so the provider is asked to deliver it again later rather than told it was taken.
            sending = select(SignatureEnvelope.id).where(
                SignatureEnvelope.provider == provider, SignatureEnvelope.status == EnvelopeStatus.SENDING
            )
            return RETRY_LATER if session.scalar(sending.limit(1)) is not None else "unknown envelope"
        at = news.at or clock.now()
        if news.outcome != "completed":
            changed = _settle_unsigned(session, row, outcome=news.outcome, reason=news.reason, at=at, clock=clock)
            return news.outcome if changed else "already settled"
        signer = news.signers[0] if news.signers else None
        signing = Signing(
            name=signer.name if signer else row.signer_name,
            email=signer.email if signer and signer.email else row.signer_email,
            at=(signer.at if signer and signer.at else at),
        )
        outcome = sign(session, row, signing, clock=clock)
        return "signed" if outcome.first else f"already {outcome.status}"


# What people are told ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SettledEnvelope:
    place: DealPlace
    outcome: Outcome
    provider: str
    signer_name: str
    signer_email: str
    signed_by: str | None
    signed_at: datetime | None
    order_number: str | None
    total: str | None  # the order's total, formatted
    reason: str | None


def settled_envelope(session_factory: sessionmaker[Session], *, envelope_id: int, outcome: Outcome) -> SettledEnvelope:
    with session_factory() as session:
        row = session.get_one(SignatureEnvelope, envelope_id)
        deal = session.get_one(Deal, row.deal_id)
        order = session.scalar(select(Order).where(Order.envelope_id == row.id))
        return SettledEnvelope(
            place=place_of(deal),
            outcome=outcome,
            provider=row.provider,
            signer_name=row.signer_name,
            signer_email=row.signer_email,
            signed_by=row.signed_by_name,
            signed_at=row.completed_at,
            order_number=order.number if order else None,
            total=format_money(Decimal(order.total), order.currency) if order else None,
            reason=row.outcome_note,
        )

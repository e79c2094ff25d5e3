"""HubSpot's side of lead intake: which webhook events are leads, and the lead read from the records they name.

A webhook body is a JSON array of events (at most 100) that name a record but carry none of its fields:
`contact.creation` is a lead; the job reads the contact and its company with the CRM's API, off the ack
path. Other subscription types are acknowledged and ignored, so HubSpot does not retry them.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from integrations.crm.port import CrmAccount
from integrations.leads.models import Contact, LeadIn, country_code, normalized_domain

LEAD_SUBSCRIPTIONS = frozenset({"contact.creation"})
CONTACT_PROPERTIES = ["firstname", "lastname", "email", "jobtitle", "company", "website", "country", "message"]
MAX_EVENTS = 100


class HubSpotEvent(BaseModel):
    """One webhook event as HubSpot sends it (fields we do not read are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    event_id: int = Field(alias="eventId", ge=0)
    portal_id: int = Field(alias="portalId", ge=0)
    subscription_type: str = Field(alias="subscriptionType", max_length=100)
    object_id: int = Field(alias="objectId", ge=0)
    occurred_at: int | None = Field(None, alias="occurredAt")

    @property
    def key(self) -> str:
        """Our key of the event: HubSpot's event id, within its portal (account)."""
        return f"hubspot:{self.portal_id}:{self.event_id}"


class MalformedEvents(ValueError):
    """A signed body that is not a list of HubSpot events."""


def lead_events(body: bytes) -> list[HubSpotEvent]:
    """The events of a webhook body that are leads, or MalformedEvents saying what is wrong with it."""
    try:
        document = json.loads(body)
    except ValueError:
        raise MalformedEvents("the body is not JSON") from None
    if not isinstance(document, list) or len(document) > MAX_EVENTS:
        raise MalformedEvents(f"the body must be a JSON array of at most {MAX_EVENTS} events")
    try:
        events = [HubSpotEvent.model_validate(item) for item in document]
    except ValidationError as exc:
        first = exc.errors()[0]
        raise MalformedEvents(f"event: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return [event for event in events if event.subscription_type in LEAD_SUBSCRIPTIONS]


class HubSpotRecords(Protocol):
    """What reading a lead needs from HubSpot (integrations/crm/hubspot.py's HubSpotCrm)."""

    def read_object(
        self, kind: str, object_id: str, *, properties: list[str], associations: tuple[str, ...] = ()
    ) -> dict[str, Any]: ...

    def company(self, company_id: str) -> CrmAccount: ...


def _text(value: Any, limit: int = 200) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text[:limit] or None


def lead_from_contact(records: HubSpotRecords, event: HubSpotEvent) -> tuple[LeadIn, CrmAccount | None]:
    """The lead a new contact is, with the company record it is associated with (the account brief's CRM facts)."""
    contact = records.read_object(
        "contacts", str(event.object_id), properties=CONTACT_PROPERTIES, associations=("companies",)
    )
    props = contact.get("properties") or {}
    linked = ((contact.get("associations") or {}).get("companies") or {}).get("results") or []
    company = records.company(str(linked[0]["id"])) if linked else None
    email = _text(props.get("email"), 254)
    try:
        person = Contact(
            name=_text(" ".join(filter(None, [props.get("firstname"), props.get("lastname")]))),
            email=email,
            title=_text(props.get("jobtitle")),
        )
    except ValidationError:  # an address HubSpot kept that is not one: the lead still counts, without it
        person = Contact(name=_text(" ".join(filter(None, [props.get("firstname"), props.get("lastname")]))))
    domain = (company.domain if company else None) or props.get("website")
    name = (company.name if company else None) or _text(props.get("company")) or normalized_domain(domain or "")
    country = (company.region if company else None) or props.get("country")
    lead = LeadIn(
        event_id=str(event.event_id),
        company=name or person.name or (email or f"HubSpot contact {event.object_id}"),
        domain=normalized_domain(domain) if domain else None,
        contact=person,
        country=country_code(country) if country else None,
        employees=company.employees if company and company.employees and company.employees > 0 else None,
        industry=_text(company.industry) if company else None,
        message=_text(props.get("message"), 2000),
        source="hubspot",
    )
    return lead, company

"""Lead intake's tables (the leads received, the round-robin cursors) and the lead as it crosses the boundary."""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Annotated, Any

import pycountry
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, enum_column
from core.privacy import holds_personal_text

# What a web form or a CRM may send as text: bounded, stripped, no empty strings.
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_DOMAIN = re.compile(r"^(?=.{3,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
# Mailbox providers: a contact's address there says nothing about the company they work for.
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.ru",
        "qq.com",
        "163.com",
    }
)


def normalized_domain(value: str) -> str | None:
    """`https://www.Acme.example/contact` → `acme.example`; None when it is not a host name."""
    host = value.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    host = host.removeprefix("www.").rstrip(".")
    return host if _DOMAIN.fullmatch(host) else None


def country_code(value: str) -> str | None:
    """ISO 3166 alpha-2 code of a country given as a code (`DE`, `DEU`) or a name (`Germany`); None if unknown."""
    text = value.strip()
    if not text:
        return None
    if text.upper() == "UK":  # the common name, not an ISO code
        return "GB"
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


class Contact(BaseModel):
    """The person who asked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ShortText | None = Field(None, description="Full name.")
    email: EmailStr | None = Field(
        None, description="Work email; its domain identifies the company when none is given."
    )
    title: ShortText | None = Field(None, description="Job title.")


class LeadIn(BaseModel):
    """A lead as a web form or another CRM posts it to `POST /hooks/leads` (and as HubSpot's records become)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Lead")

    event_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,100}$")] = Field(
        description="The sender's unique id for this lead: sending it again (a retry) records nothing new."
    )
    company: ShortText = Field(description="The company's name.")
    domain: str | None = Field(
        None, description="The company's web domain or site (acme.example); default: the contact's email domain."
    )
    contact: Contact | None = None
    country: str | None = Field(
        None, max_length=60, description="Where the company is: ISO 3166 code (DE) or English name (Germany)."
    )
    employees: int | None = Field(None, ge=1, le=10_000_000, description="Company size: number of employees.")
    industry: ShortText | None = None
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = Field(
        None, description="What they wrote, e.g. in the form's message field."
    )
    source: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")] = Field(
        "web_form", description="Where the lead came from, in a word: web_form, partner, salesforce ..."
    )

    @field_validator("domain")
    @classmethod
    def _a_host_name(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        domain = normalized_domain(value)
        if domain is None:
            raise ValueError("must be a web domain such as acme.example")
        return domain

    @field_validator("country")
    @classmethod
    def _a_country(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        code = country_code(value)
        if code is None:
            raise ValueError("must be an ISO 3166 country code (DE) or an English country name")
        return code

    @property
    def company_domain(self) -> str | None:
        """The domain given, else the contact's email domain unless it is a mailbox provider's."""
        if self.domain:
            return self.domain
        if self.contact and self.contact.email:
            domain = normalized_domain(self.contact.email.rsplit("@", 1)[1])
            return domain if domain and domain not in FREE_MAIL else None
        return None


class LeadSource(enum.StrEnum):
    HUBSPOT = "hubspot"  # POST /hooks/crm/hubspot: an event naming a HubSpot record, read in the job
    WEBHOOK = "webhook"  # POST /hooks/leads: the lead itself


class LeadStatus(enum.StrEnum):
    RECEIVED = "received"  # accepted and queued
    OPENED = "opened"  # account, deal and owner recorded
    POSTED = "posted"  # the deal thread and its brief are in the sales channel


class Lead(Base):
    """One lead event received, keyed by its source's event id so a redelivery is recognised."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True, doc="source:event id, e.g. hubspot:62515:1001")
    source: Mapped[LeadSource] = mapped_column(enum_column(LeadSource, 16))
    status: Mapped[LeadStatus] = mapped_column(enum_column(LeadStatus, 16), default=LeadStatus.RECEIVED)
    reference: Mapped[dict[str, Any]] = mapped_column(default=dict, doc="HubSpot: the event (object type and id)")
    details: Mapped[dict[str, Any]] = mapped_column(
        default=dict, doc="LeadIn JSON; for HubSpot empty until its records are read"
    )
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"))
    owner_slack_id: Mapped[str | None] = mapped_column(String(32))
    routing_rule: Mapped[str | None] = mapped_column(String(60))
    territory: Mapped[str | None] = mapped_column(String(60))
    segment: Mapped[str | None] = mapped_column(String(60))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RoutingCursor(Base):
    """Where a round-robin pool stands: advanced by one conditional UPDATE, so every replica shares it."""

    __tablename__ = "routing_cursors"

    id: Mapped[int] = mapped_column(primary_key=True)
    pool: Mapped[str] = mapped_column(String(60), unique=True, doc="the routing rule's name")
    position: Mapped[int] = mapped_column(default=0, doc="assignments made from this pool so far")
    updated_at: Mapped[datetime]


holds_personal_text(Lead.details)

"""Who takes part in a meeting and where they are: our people from the workspace, the customer from the CRM."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.leads.models import country_code

Role = Literal["rep", "se", "customer"]

# Where a customer is, when the CRM gives a country and no time zone: the country's main business zone. For
# countries spanning several zones this is an assumption, said beside the name wherever times are offered.
COUNTRY_ZONES = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo",
    "AR": "America/Argentina/Buenos_Aires",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "DE": "Europe/Berlin",
    "AT": "Europe/Vienna",
    "CH": "Europe/Zurich",
    "FR": "Europe/Paris",
    "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels",
    "LU": "Europe/Luxembourg",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "IT": "Europe/Rome",
    "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague",
    "IL": "Asia/Jerusalem",
    "AE": "Asia/Dubai",
    "SA": "Asia/Riyadh",
    "IN": "Asia/Kolkata",
    "SG": "Asia/Singapore",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
    "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland",
    "ZA": "Africa/Johannesburg",
}


# People -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone taking part: where they are (and how we know), and their calendar when we can read it."""

    role: Role
    name: str
    zone: str  # a zoneinfo name
    zone_source: str  # "their Slack profile", "the account's country", ...
    slack_id: str | None = None
    email: str | None = None  # their calendar id; None for a customer: no calendar of theirs we can read

    @property
    def tz(self) -> ZoneInfo:
        return zone_named(self.zone)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Person:
        return cls(
            role=data["role"],
            name=str(data["name"]),
            zone=str(data["zone"]),
            zone_source=str(data["zone_source"]),
            slack_id=data.get("slack_id"),
            email=data.get("email"),
        )


class Directory(Protocol):
    """Who one of our people is, from the workspace (their name, email and time zone): the edge implements it."""

    async def person(self, slack_id: str, *, role: Role) -> Person: ...


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def customer_zone(country: str | None) -> str | None:
    code = country_code(country) if country else None
    return COUNTRY_ZONES.get(code) if code else None

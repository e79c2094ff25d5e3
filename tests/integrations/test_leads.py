"""Lead intake below the HTTP surface: the routing rules, the shared round robin, accounts by domain, the
signature schemes and the published lead schema."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import create_db_engine, session_factory
from deals import service as deals
from deals.models import Account
from integrations.leads import routing
from integrations.leads.brief import shareable_passages
from integrations.leads.models import LeadIn, normalized_domain
from integrations.leads.routing import RoutingError, RoutingRules, load_routing
from integrations.leads.schema import up_to_date
from integrations.leads.signatures import hubspot_signed, hubspot_uri, lto_signed
from knowledge.models import Passage

RULES = load_routing()


@pytest.mark.parametrize(
    ("country", "employees", "rule", "territory", "segment"),
    [
        ("DE", 9400, "emea-enterprise", "emea", "enterprise"),
        ("FR", 800, "emea", "emea", "mid_market"),
        ("US", 20000, "americas-enterprise", "americas", "enterprise"),
        ("BR", 40, "americas", "americas", "smb"),
        (None, 40, "smb", None, "smb"),
        ("JP", 40, "smb", "apac", "smb"),  # no APAC rule: the segment rule decides
        ("JP", 900, "inside-sales", "apac", "mid_market"),
        (None, None, "inside-sales", None, None),
    ],
)
def test_the_first_rule_that_matches_the_territory_and_segment_decides(country, employees, rule, territory, segment):
    placement = RULES.match(country=country, employees=employees)
    assert (placement.rule.name, placement.territory, placement.segment) == (rule, territory, segment)


def test_a_round_robin_takes_turns_and_a_single_owner_rule_always_names_its_owner(sessions, clock):
    with sessions() as session, session.begin():
        owners = [routing.assign(session, RULES, country="FR", employees=800, clock=clock).owner for _ in range(5)]
        enterprise = {routing.assign(session, RULES, country="DE", employees=9000, clock=clock).owner for _ in range(3)}
    assert owners == ["U0EMEA1", "U0EMEA2", "U0EMEA1", "U0EMEA2", "U0EMEA1"]
    assert enterprise == {"U0EMEAENT"}


def test_a_rolled_back_routing_gives_its_turn_back(sessions, clock):
    with sessions() as session:
        with session.begin():
            routing.assign(session, RULES, country="FR", employees=800, clock=clock)
        session.begin()
        routing.assign(session, RULES, country="FR", employees=800, clock=clock)
        session.rollback()
        with session.begin():
            assert routing.assign(session, RULES, country="FR", employees=800, clock=clock).owner == "U0EMEA2"


def test_two_processes_routing_at_once_never_take_the_same_turn(database_url, clock):
    """Two engines stand for two replicas; each routes from its own threads against the shared database."""
    engines = [create_db_engine(database_url), create_db_engine(database_url)]
    factories = [session_factory(engine) for engine in engines]
    turns: list[int] = []
    lock = threading.Lock()

    def route(factory) -> None:
        for _ in range(10):
            with factory() as session, session.begin():
                turn = routing.next_turn(session, pool="emea", clock=clock)
            with lock:
                turns.append(turn)

    threads = [threading.Thread(target=route, args=(factories[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert sorted(turns) == list(range(40))


def test_a_broken_routing_file_is_refused_with_the_file_and_field(tmp_path: Path):
    path = tmp_path / "routing.yaml"
    path.write_text(
        "version: '1'\nterritories: {emea: [DE]}\nrules:\n  - {name: x, territory: nowhere, owner: U0A}\n"
        "fallback: {name: pool, round_robin: [U0B]}\n"
    )
    with pytest.raises(RoutingError, match=r"routing .*routing.yaml: .*territory nowhere is not defined"):
        load_routing(path)
    path.write_text("version: '1'\nterritories: {emea: [Narnia]}\nfallback: {name: pool, owner: U0B}\n")
    with pytest.raises(RoutingError, match=r"territories.*Narnia"):
        load_routing(path)
    with pytest.raises(ValueError, match="either owner or round_robin"):
        RoutingRules.model_validate({"version": "1", "fallback": {"name": "pool"}})


def test_two_leads_of_one_new_domain_make_one_account(sessions, clock):
    with sessions() as session, session.begin():
        first = deals.account_for_domain(session, name="Acme", domain="acme.example", clock=clock)
        again = deals.account_for_domain(session, name="ACME Inc.", domain="acme.example", clock=clock)
        # Another company of the same name but another domain is another account.
        other = deals.account_for_domain(session, name="Acme", domain="acme.io", clock=clock)
    assert first.id == again.id != other.id
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 2


def test_an_account_opened_in_slack_is_adopted_by_its_first_lead(sessions, clock):
    with sessions() as session, session.begin():
        named = deals.find_or_create_account(session, name="Initrode", clock=clock)
        matched = deals.account_for_domain(session, name="initrode", domain="initrode.example", clock=clock)
    assert matched.id == named.id and matched.domain == "initrode.example"


@pytest.mark.parametrize(
    ("given", "domain"),
    [
        ("https://www.Acme.example/contact?x=1", "acme.example"),
        ("acme.example.", "acme.example"),
        ("sub.acme.co.uk:8443", "sub.acme.co.uk"),
        ("not a domain", None),
        ("localhost", None),
    ],
)
def test_domains_are_normalised_or_refused(given, domain):
    assert normalized_domain(given) == domain


def test_the_company_domain_comes_from_a_work_email_but_not_from_a_mailbox_provider():
    work = LeadIn(event_id="1", company="Acme", contact={"email": "jo@mail.acme.example"})
    private = LeadIn(event_id="2", company="Acme", contact={"email": "jo@gmail.com"})
    assert work.company_domain == "mail.acme.example" and private.company_domain is None


def test_hubspot_v3_signature_matches_an_independent_computation():
    secret, body, timestamp = "app-secret", b'[{"eventId":1}]', "1700000000000"
    uri = "https://lto.example.com/hooks/crm/hubspot?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20"
    decoded = "https://lto.example.com/hooks/crm/hubspot?a=:/?@!$'()*,;&b=%20"  # %20 is not on the list
    assert hubspot_uri(uri) == decoded
    expected = base64.b64encode(
        hmac.new(secret.encode(), b"POST" + decoded.encode() + body + timestamp.encode(), hashlib.sha256).digest()
    ).decode()
    headers = {"x-hubspot-signature-v3": expected, "x-hubspot-request-timestamp": timestamp}
    now = int(timestamp)
    assert hubspot_signed(secret, method="POST", uri=uri, body=body, headers=headers, now_ms=now + 299_000)
    assert not hubspot_signed(secret, method="POST", uri=uri, body=body, headers=headers, now_ms=now + 301_000)
    assert not hubspot_signed(secret, method="POST", uri=uri, body=body + b" ", headers=headers, now_ms=now)
    forged = headers | {"x-hubspot-request-timestamp": "１７００００００００００００"}  # full-width digits
    assert not hubspot_signed(secret, method="POST", uri=uri, body=body, headers=forged, now_ms=now)


def test_our_signature_is_the_outgoing_webhooks_scheme():
    secret, body, timestamp = "form-signing-secret-0001", b'{"event_id":"1"}', 1_700_000_000
    digest = hmac.new(secret.encode(), f"v1:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"x-lto-timestamp": str(timestamp), "x-lto-signature": f"v1={digest}"}
    assert lto_signed(secret, body=body, headers=headers, now=timestamp + 300)
    assert not lto_signed(secret, body=body, headers=headers, now=timestamp + 301)
    assert not lto_signed("another-secret-0001", body=body, headers=headers, now=timestamp)


def test_the_published_lead_schema_matches_the_model():
    assert up_to_date(), "run `python -m integrations.leads.schema` and commit docs/leads/lead.v1.json"


def _passage(title: str, audience: str | None) -> Passage:
    passage = Passage(chunk_id=title, title=title, section="", source=title, path=title, text="", score=1.0)
    return passage.model_copy(update={"audience": audience})


def test_a_retrieval_without_audiences_offers_nothing_unlabelled_or_internal():
    found = [_passage("datasheet", "public"), _passage("win-loss", "internal"), _passage("old", None)]

    def search_without_audiences(query: str, *, limit: int = 5, doc_type: str | None = None) -> list[Passage]:
        return found

    def search_with_audiences(query: str, *, audiences: set[str], limit: int = 5) -> list[Passage]:
        return [p for p in found if p.audience in audiences] + [_passage("leaked", "confidential")]

    assert [p.title for p in shareable_passages(search_without_audiences, "q")] == ["datasheet"]
    assert [p.title for p in shareable_passages(search_with_audiences, "q")] == ["datasheet"]

"""The application's services, built once at start and passed down: what every use case may reach.

No Slack here: `bot.runtime.Runtime` extends this with the Web API client, the gateway and the
worker. Governed files (catalog, policy, roles) load once and reload on an admin's request; the
knowledge store opens lazily (the embedded engine locks its folder to one process), once, and closes
with the services.
"""

from __future__ import annotations

import threading
from collections.abc import Set
from dataclasses import dataclass, field

from pydantic_ai.models import Model
from pydantic_ai.models.function import FunctionDef
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agents.models import model_from_settings
from approvals.policy import DEFAULT_POLICY, Policy, load_policy
from approvals.review_policy import DEFAULT_REVIEWS, ReviewPolicy, load_review_policy
from core.clock import Clock
from core.settings import Settings
from deals.access import DEFAULT_ROLES, RoleMap, load_roles
from deals.follow_up_rules import DEFAULT_FOLLOW_UPS, FollowUpRules, load_follow_up_rules
from deals.inspection import CatalogFacts, catalog_facts
from deals.service import Inspection
from integrations.calendar.adapters import calendar_for
from integrations.calendar.offers import Scheduling
from integrations.calendar.people import Directory
from integrations.calendar.port import CalendarPort
from integrations.calendar.slots import WorkingHours
from integrations.cpq.catalog import DEFAULT_CATALOG, Catalog, load_catalog
from integrations.crm.hubspot import HubSpotCrm
from integrations.crm.port import CrmPort
from integrations.esign.adapters import esign_for
from integrations.esign.port import ESignPort
from integrations.leads.routing import DEFAULT_ROUTING, RoutingRules, load_routing
from knowledge.engine import VectorEngine, open_engine
from knowledge.glossary import DEFAULT_GLOSSARY, Glossary, default_glossary, load_glossary
from knowledge.models import CUSTOMER_FACING, Passage
from knowledge.store import KnowledgeStore


@dataclass(kw_only=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    crm: CrmPort
    vector_engine: VectorEngine | None = None  # opened lazily: the embedded engine locks its folder
    _knowledge: KnowledgeStore | None = None
    # Tools run in worker threads, several at once: the lazy engine and store are created under a lock
    # (the embedded engine allows one opening per folder).
    _lazy_lock: threading.Lock = field(default_factory=threading.Lock)
    _catalog: Catalog | None = None
    _policy: Policy | None = None
    _roles: RoleMap | None = None
    _catalog_facts: tuple[Catalog, CatalogFacts] | None = None
    _routing: RoutingRules | None = None
    _follow_ups: FollowUpRules | None = None
    _reviews: ReviewPolicy | None = None
    _hubspot: HubSpotCrm | None = None
    _esign: ESignPort | None = None
    _calendar: CalendarPort | None = None
    # Who our people are (name, email, time zone): the Slack side provides it; None where nothing does.
    directory: Directory | None = None

    def model_for(self, offline: FunctionDef) -> Model | str:
        """The configured model for an agent whose offline behaviour is `offline`."""
        return model_from_settings(self.settings, offline=offline)

    def knowledge_engine(self) -> VectorEngine:
        """The process's one vector engine (Qdrant Edge embedded by default, a server with QDRANT_URL)."""
        with self._lazy_lock:
            return self._open_engine()

    def _open_engine(self) -> VectorEngine:
        if self.vector_engine is None:
            self.vector_engine = open_engine(self.settings)
        return self.vector_engine

    def knowledge(self) -> KnowledgeStore:
        """The knowledge store (collection created on first use)."""
        with self._lazy_lock:
            if self._knowledge is None:
                from knowledge.embeddings import make_embedder

                store = KnowledgeStore(
                    self._open_engine(), embedder=make_embedder(self.settings.embeddings), glossary=self._glossary()
                )
                store.ensure()
                self._knowledge = store
            return self._knowledge

    def knowledge_search(
        self,
        query: str,
        product: str | None = None,
        doc_type: str | None = None,
        *,
        audiences: Set[str] | None = None,
    ) -> list[Passage]:
        """What the agents' `search_knowledge` tool calls: retrieval with the relevance floor, limited to
        chunks written for `audiences` (None: every audience)."""
        from knowledge.search import BESIDE_FOR_ANSWERS, FURTHER_FOR_ANSWERS, search

        return search(
            self.knowledge(),
            query,
            product=product,
            doc_type=doc_type,
            audiences=audiences,
            today=self.clock.now().date(),
            further=FURTHER_FOR_ANSWERS,
            beside=BESIDE_FOR_ANSWERS,
        )

    def knowledge_missing(self, query: str) -> tuple[str, ...]:
        """What a question names that the knowledge base does not hold (for an honest "I don't know")."""
        from knowledge.search import retrieve

        return retrieve(self.knowledge(), query, today=self.clock.now().date()).missing

    def customer_facing_search(
        self, query: str, product: str | None = None, doc_type: str | None = None
    ) -> list[Passage]:
        """Retrieval for what a customer will read (proposals): only public and customer-shareable chunks."""
        return self.knowledge_search(query, product, doc_type, audiences=CUSTOMER_FACING)

    def catalog(self) -> Catalog:
        """The governed catalog, loaded and validated once."""
        if self._catalog is None:
            self._catalog = load_catalog(self.settings.catalog_path or DEFAULT_CATALOG)
        return self._catalog

    def policy(self) -> Policy:
        """The governed approval policy, loaded and validated once."""
        if self._policy is None:
            self._policy = load_policy(self.settings.policy_path or DEFAULT_POLICY)
        return self._policy

    def inspection(self) -> Inspection:
        """What deal inspection reads beside the deal: the catalog's editions (derived once per loaded
        catalog: every turn and card refresh asks), and today."""
        catalog = self.catalog()
        if self._catalog_facts is None or self._catalog_facts[0] is not catalog:
            self._catalog_facts = (catalog, catalog_facts(catalog))
        return Inspection(catalog=self._catalog_facts[1], today=self.clock.now().date())

    def roles(self) -> RoleMap:
        """The governed role map, loaded and validated once."""
        if self._roles is None:
            self._roles = load_roles(self.settings.roles_path or DEFAULT_ROLES)
        return self._roles

    def follow_up_rules(self) -> FollowUpRules:
        """The governed follow-up rules (due dates, idle periods, quiet hours), loaded and validated once."""
        if self._follow_ups is None:
            self._follow_ups = load_follow_up_rules(self.settings.follow_ups_path or DEFAULT_FOLLOW_UPS)
        return self._follow_ups

    def review_policy(self) -> ReviewPolicy:
        """The governed technical review rules (channel, reviewers, SLA), loaded and validated once."""
        if self._reviews is None:
            self._reviews = load_review_policy(self.settings.reviews_path or DEFAULT_REVIEWS)
        return self._reviews

    def routing(self) -> RoutingRules:
        """The governed lead routing rules, loaded and validated once."""
        if self._routing is None:
            self._routing = load_routing(self.settings.routing_path or DEFAULT_ROUTING)
        return self._routing

    def esign(self) -> ESignPort:
        """The e-signature adapter LTO_ESIGN names, built once (DocuSign's keeps its access token)."""
        with self._lazy_lock:
            if self._esign is None:
                self._esign = esign_for(self.settings, self.clock)
            return self._esign

    def calendar(self) -> CalendarPort:
        """The calendar adapter LTO_CALENDAR names, built once."""
        with self._lazy_lock:
            if self._calendar is None:
                self._calendar = calendar_for(self.settings, self.session_factory, self.clock)
            return self._calendar

    def scheduling(self) -> Scheduling:
        """What offering meeting times needs: the calendar, who our people are, the hours and a meeting's length."""
        if self.directory is None:
            raise LookupError("no directory of people here: meeting times cannot be offered")
        return Scheduling(
            session_factory=self.session_factory,
            calendar=self.calendar(),
            directory=self.directory,
            clock=self.clock,
            hours=WorkingHours.parse(self.settings.meeting_hours),
            minutes=self.settings.meeting_minutes,
        )

    def hubspot(self) -> HubSpotCrm:
        """HubSpot's API, for reading the records a HubSpot webhook names: the CRM itself when LTO_CRM=hubspot."""
        if isinstance(self.crm, HubSpotCrm):
            return self.crm
        with self._lazy_lock:
            if self._hubspot is None:
                token = self.settings.hubspot_token
                if token is None or not token.get_secret_value().strip():
                    raise LookupError("HUBSPOT_TOKEN is not set: the records a HubSpot webhook names cannot be read")
                self._hubspot = HubSpotCrm(token.get_secret_value(), base_url=self.settings.hubspot_api_url)
            return self._hubspot

    def _glossary(self) -> Glossary:
        """The governed glossary knowledge search widens questions with (applied at query time: no re-index)."""
        if self.settings.glossary_path is None:
            return default_glossary()
        return load_glossary(self.settings.glossary_path)

    def reload_governed(self) -> list[str]:
        """Load the catalog, policy, roles, lead routing, follow-up rules and glossary again (after an admin
        changed a file); returns their versions."""
        # Load them all first: a broken file leaves the running versions in place.
        catalog = load_catalog(self.settings.catalog_path or DEFAULT_CATALOG)
        policy = load_policy(self.settings.policy_path or DEFAULT_POLICY)
        roles = load_roles(self.settings.roles_path or DEFAULT_ROLES)
        routing = load_routing(self.settings.routing_path or DEFAULT_ROUTING)
        follow_ups = load_follow_up_rules(self.settings.follow_ups_path or DEFAULT_FOLLOW_UPS)
        glossary = load_glossary(self.settings.glossary_path or DEFAULT_GLOSSARY)
        review_rules = load_review_policy(self.settings.reviews_path or DEFAULT_REVIEWS)
        self._catalog, self._policy, self._roles, self._routing = catalog, policy, roles, routing
        self._follow_ups = follow_ups
        self._reviews = review_rules
        if self._knowledge is not None:
            self._knowledge.glossary = glossary
        return [
            f"catalog {catalog.version}",
            f"policy {policy.version}",
            f"roles {roles.version}",
            f"routing {routing.version}",
            f"follow-ups {follow_ups.version}",
            f"glossary {glossary.version}",
            f"reviews {review_rules.version}",
        ]

    def close(self) -> None:
        if self.vector_engine is not None:
            self.vector_engine.close()
        self.engine.dispose()

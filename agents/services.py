"""The application's services, built once at start and passed down: what every use case may reach.

No Slack here: `bot.runtime.Runtime` extends this with the Web API client, the gateway and the
worker. Governed files (catalog, policy, roles) load once and reload on an admin's request; the
knowledge store opens lazily, since the embedded engine locks its folder to one process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic_ai.models import Model
from pydantic_ai.models.function import FunctionDef
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agents.models import model_from_settings
from approvals.policy import DEFAULT_POLICY, Policy, load_policy
from core.clock import Clock
from core.settings import Settings
from deals.access import DEFAULT_ROLES, RoleMap, load_roles
from deals.inspection import CatalogFacts, catalog_facts
from deals.service import Inspection
from integrations.cpq.catalog import DEFAULT_CATALOG, Catalog, load_catalog
from integrations.crm.port import CrmPort
from knowledge.models import Passage
from knowledge.store import KnowledgeStore

if TYPE_CHECKING:
    from qdrant_client import QdrantClient


@dataclass(kw_only=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    crm: CrmPort
    qdrant: QdrantClient | None = None  # opened lazily: local mode locks its folder
    _knowledge: KnowledgeStore | None = None
    # Tools run in worker threads, several at once: the lazy clients below are created under a lock
    # (Qdrant's local mode allows one client per folder).
    _lazy_lock: threading.Lock = field(default_factory=threading.Lock)
    _catalog: Catalog | None = None
    _policy: Policy | None = None
    _roles: RoleMap | None = None
    _catalog_facts: tuple[Catalog, CatalogFacts] | None = None

    def model_for(self, offline: FunctionDef) -> Model | str:
        """The configured model for an agent whose offline behaviour is `offline`."""
        return model_from_settings(self.settings, offline=offline)

    def qdrant_client(self) -> QdrantClient:
        """The process's one Qdrant client (embedded local mode by default, a server with QDRANT_URL)."""
        with self._lazy_lock:
            return self._open_qdrant()

    def _open_qdrant(self) -> QdrantClient:
        if self.qdrant is None:
            from qdrant_client import QdrantClient

            settings = self.settings
            if settings.qdrant_url:
                key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
                self.qdrant = QdrantClient(url=settings.qdrant_url, api_key=key, timeout=10)
            else:
                settings.effective_qdrant_path.mkdir(parents=True, exist_ok=True)
                self.qdrant = QdrantClient(path=str(settings.effective_qdrant_path))
        return self.qdrant

    def knowledge(self) -> KnowledgeStore:
        """The knowledge store (collection created on first use)."""
        with self._lazy_lock:
            if self._knowledge is None:
                from knowledge.embeddings import make_embedder

                store = KnowledgeStore(self._open_qdrant(), embedder=make_embedder(self.settings.embeddings))
                store.ensure()
                self._knowledge = store
            return self._knowledge

    def knowledge_search(self, query: str, product: str | None = None, doc_type: str | None = None) -> list[Passage]:
        """What the agents' `search_knowledge` tool calls: retrieval with the relevance floor."""
        from knowledge.search import search

        return search(self.knowledge(), query, product=product, doc_type=doc_type, today=self.clock.now().date())

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

    def reload_governed(self) -> list[str]:
        """Load the catalog, policy and roles again (after an admin changed a file); returns their versions."""
        # Load all three first: a broken file leaves the running versions in place.
        catalog = load_catalog(self.settings.catalog_path or DEFAULT_CATALOG)
        policy = load_policy(self.settings.policy_path or DEFAULT_POLICY)
        roles = load_roles(self.settings.roles_path or DEFAULT_ROLES)
        self._catalog, self._policy, self._roles = catalog, policy, roles
        return [f"catalog {catalog.version}", f"policy {policy.version}", f"roles {roles.version}"]

    def close(self) -> None:
        if self.qdrant is not None:
            self.qdrant.close()
        self.engine.dispose()

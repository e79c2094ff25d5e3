"""Settings: every environment variable the product reads, typed, described and validated once at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path(".lto")
_PLACEHOLDERS = {"", "changeme", "change-me", "xoxb-your-token", "your-signing-secret", "secret"}
# Seals the audit chain when LTO_AUDIT_KEYS is unset, in development only: it is public, so it proves nothing.
DEVELOPMENT_AUDIT_KEY_ID = "dev"
DEVELOPMENT_AUDIT_SECRET = "lto-development-audit-key-not-for-production"
# Signs local signing links when LTO_ESIGN_LINK_SECRET is unset, in development only: public, so it proves nothing.
DEVELOPMENT_SIGNING_LINK_SECRET = "lto-development-signing-links-not-for-production"
_AUDIT_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


class SettingsError(Exception):
    """A setting is missing or wrong; the message names the variable and fits on one line."""


class Settings(BaseSettings):
    """The product's configuration, read from the environment (and `.env`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: Literal["development", "production"] = Field(
        "development",
        alias="LTO_ENV",
        description="`production` refuses placeholder secrets and the emulator's tokens.",
    )
    home: Path = Field(
        DEFAULT_HOME, alias="LTO_HOME", description="Folder for the embedded database, Qdrant data and files."
    )

    # Slack
    slack_bot_token: SecretStr | None = Field(
        None, alias="SLACK_BOT_TOKEN", description="Bot token (xoxb-...). Required by `serve` and `socket`."
    )
    slack_signing_secret: SecretStr | None = Field(
        None, alias="SLACK_SIGNING_SECRET", description="Signing secret that verifies requests from Slack."
    )
    slack_app_token: SecretStr | None = Field(
        None, alias="SLACK_APP_TOKEN", description="App-level token (xapp-...) for Socket Mode."
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        alias="SLACK_API_URL",
        description="Web API base URL; point it at the emulator to run without Slack.",
    )
    sales_channel: str = Field(
        "deals", alias="LTO_SALES_CHANNEL", description="Channel (name or id) where deal threads open."
    )
    sme_channel: str = Field(
        "sales-engineering",
        alias="LTO_SME_CHANNEL",
        description="Channel (name or id) of the experts to ask when the knowledge base has no answer.",
    )
    approvals_channel: str = Field(
        "deal-approvals",
        alias="LTO_APPROVALS_CHANNEL",
        description="Channel (name or id) for approval cards.",
    )
    allowed_team_ids: str = Field(
        "",
        alias="LTO_ALLOWED_TEAM_IDS",
        description="Slack workspaces (team ids, comma-separated) whose people may use the bot; "
        "unset: only the bot's own workspace (from auth.test).",
    )

    # State
    database_url: str | None = Field(
        None,
        alias="DATABASE_URL",
        description="SQLAlchemy URL; default: a SQLite file under LTO_HOME. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    qdrant_url: str | None = Field(
        None, alias="QDRANT_URL", description="Qdrant server URL; unset means embedded local mode."
    )
    qdrant_api_key: SecretStr | None = Field(None, alias="QDRANT_API_KEY", description="Qdrant server API key.")
    qdrant_path: Path | None = Field(
        None, alias="QDRANT_PATH", description="Folder for embedded Qdrant; default LTO_HOME/qdrant."
    )

    embeddings: str = Field(
        "static-minilm",
        alias="LTO_EMBEDDINGS",
        description="Dense embeddings for hybrid retrieval: static-minilm (default: shipped, offline, no torch), "
        "none (lexical only), local-minilm (needs the embeddings extra and torch), sentence-transformers:<path>, "
        "or a pydantic-ai embedding model name.",
    )
    knowledge_root: Path | None = Field(
        None,
        alias="LTO_KNOWLEDGE_ROOT",
        description="Folder that knowledge document ids are relative to; `lto ingest` refuses paths outside it. "
        "Default: the current directory.",
    )

    crm: Literal["local", "hubspot"] = Field(
        "local", alias="LTO_CRM", description="Where deal changes are written back: local (our database) or hubspot."
    )
    hubspot_token: SecretStr | None = Field(
        None,
        alias="HUBSPOT_TOKEN",
        description="HubSpot private-app token (crm.objects.* scopes), for LTO_CRM=hubspot.",
    )
    hubspot_api_url: str = Field("https://api.hubapi.com", alias="HUBSPOT_API_URL", description="HubSpot API base URL.")
    hubspot_app_secret: SecretStr | None = Field(
        None,
        alias="HUBSPOT_APP_SECRET",
        description="The HubSpot app's client secret: verifies webhooks to POST /hooks/crm/hubspot (signature v3); "
        "unset: that route refuses every request. Reading the records it names needs HUBSPOT_TOKEN.",
    )
    leads_secret: SecretStr | None = Field(
        None,
        alias="LTO_LEADS_SECRET",
        description="Shared secret (16+ characters) that signs leads posted to POST /hooks/leads (X-LTO-Signature); "
        "unset: that route refuses every request.",
    )
    public_url: str | None = Field(
        None,
        alias="LTO_PUBLIC_URL",
        description="The URL this service is reached at from outside (https://lto.example.com), behind a proxy or "
        "load balancer: HubSpot signs the full URL it called. Unset: the URL of the request as received.",
    )
    glossary_path: Path | None = Field(
        None,
        alias="LTO_GLOSSARY_PATH",
        description="Governed glossary of synonyms for knowledge search (YAML); default: the example glossary.",
    )
    routing_path: Path | None = Field(
        None, alias="LTO_ROUTING_PATH", description="Governed lead routing rules (YAML); default: the example rules."
    )
    catalog_path: Path | None = Field(
        None, alias="LTO_CATALOG_PATH", description="Governed product catalog (YAML); default: the example catalog."
    )

    policy_path: Path | None = Field(
        None, alias="LTO_POLICY_PATH", description="Governed approval policy (YAML); default: the example policy."
    )
    retention_days: int = Field(
        365,
        ge=0,
        alias="LTO_RETENTION_DAYS",
        description="Conversation text older than this many days is purged daily (0 keeps it forever).",
    )
    roles_path: Path | None = Field(
        None, alias="LTO_ROLES_PATH", description="Roles from Slack users and user groups (YAML); default: the example."
    )
    follow_ups_path: Path | None = Field(
        None,
        alias="LTO_FOLLOW_UPS_PATH",
        description="Governed follow-up rules: next steps' due dates, idle deals per stage, quiet hours (YAML); "
        "default: the example rules.",
    )
    reviews_path: Path | None = Field(
        None,
        alias="LTO_REVIEWS_PATH",
        description="Governed technical review rules: the sales-engineering channel, reviewers, SLA (YAML); "
        "default: examples/governance/reviews.yaml.",
    )
    time_saved_path: Path | None = Field(
        None,
        alias="LTO_TIME_SAVED_PATH",
        description="Governed minutes per piece of work done by hand, behind the outcome report's time-saved "
        "estimate (YAML); default: examples/governance/time_saved.yaml.",
    )

    # Domain events for other systems (docs/operations.md, "Events")
    nats_url: str | None = Field(
        None,
        alias="LTO_NATS_URL",
        description="NATS server with JetStream (nats://host:4222) that domain events are published to "
        "(stream LTO_EVENTS, subjects lto.events.<type>); unset: no broker.",
    )
    event_subscribers_path: Path | None = Field(
        None,
        alias="LTO_EVENT_SUBSCRIBERS",
        description="Governed list of signed webhook subscribers to domain events (YAML, like "
        "examples/governance/subscribers.yaml); unset: no webhooks.",
    )

    # E-signature: where contracts go for signature (docs/operations.md, "Contracts and e-signature")
    esign: Literal["local", "docusign"] = Field(
        "local",
        alias="LTO_ESIGN",
        description="E-signature adapter: local (a signing page served by `lto serve`, its link given to the rep) "
        "or docusign (eSignature REST API; status through DocuSign Connect to POST /hooks/esign/docusign).",
    )
    esign_link_secret: SecretStr | None = Field(
        None,
        alias="LTO_ESIGN_LINK_SECRET",
        description="Key (32+ characters) that signs the local signing page's links. Unset in development: a "
        "built-in development key; production refuses that.",
    )
    esign_link_days: int = Field(
        14, ge=1, le=90, alias="LTO_ESIGN_LINK_DAYS", description="Days a local signing link stays valid."
    )
    docusign_base_path: str = Field(
        "https://demo.docusign.net/restapi",
        alias="DOCUSIGN_BASE_PATH",
        description="The account's eSignature REST base path (its base_uri + /restapi); the demo environment's "
        "by default.",
    )
    docusign_oauth_url: str = Field(
        "https://account-d.docusign.com",
        alias="DOCUSIGN_OAUTH_URL",
        description="DocuSign's OAuth server for the JWT grant: account-d.docusign.com (demo) or "
        "account.docusign.com (production).",
    )
    docusign_account_id: str | None = Field(None, alias="DOCUSIGN_ACCOUNT_ID", description="API account id (a GUID).")
    docusign_integration_key: str | None = Field(
        None, alias="DOCUSIGN_INTEGRATION_KEY", description="The app's integration key (client id) for the JWT grant."
    )
    docusign_user_id: str | None = Field(
        None,
        alias="DOCUSIGN_USER_ID",
        description="The DocuSign user the app sends as; they must have consented to `signature impersonation`.",
    )
    docusign_private_key_path: Path | None = Field(
        None,
        alias="DOCUSIGN_PRIVATE_KEY_PATH",
        description="PEM file of the integration key's RSA private key, which signs the JWT grant.",
    )
    docusign_connect_keys: SecretStr | None = Field(
        None,
        alias="DOCUSIGN_CONNECT_KEYS",
        description="HMAC keys of the DocuSign Connect configuration, comma-separated (list the new one first when "
        "rotating): verify X-DocuSign-Signature-N on POST /hooks/esign/docusign. Unset: that route refuses every "
        "request.",
    )

    # Audit trail: the chain's keys and its anchor outside the database
    audit_keys: SecretStr | None = Field(
        None,
        alias="LTO_AUDIT_KEYS",
        description="Keys that seal the audit chain and sign its checkpoints: comma-separated id:secret pairs "
        "(secrets of 32+ characters). Keep retired keys listed: their events still verify with them. "
        "Unset in development: a built-in development key; production refuses that.",
    )
    audit_key_id: str | None = Field(
        None,
        alias="LTO_AUDIT_KEY_ID",
        description="Which key of LTO_AUDIT_KEYS seals new events and checkpoints; default: the last one listed.",
    )
    audit_anchor_path: Path | None = Field(
        None,
        alias="LTO_AUDIT_ANCHOR_PATH",
        description="Append-only JSON-lines file of signed checkpoints of the chain's head; "
        "default LTO_HOME/audit-checkpoints.jsonl. Keep it off the database host.",
    )
    audit_anchor_minutes: int = Field(
        60, ge=1, alias="LTO_AUDIT_ANCHOR_MINUTES", description="Minutes between two checkpoints of the chain's head."
    )

    # Models
    model: str = Field(
        "offline",
        alias="LTO_MODEL",
        description="`offline` (deterministic, no network) or any pydantic-ai model name, e.g. `openai:gpt-4o`.",
    )
    model_base_url: str | None = Field(
        None,
        alias="LTO_MODEL_BASE_URL",
        description="Base URL of an OpenAI-compatible endpoint for `openai:<model>` (vLLM, Ollama, a gateway).",
    )
    model_api_key: SecretStr | None = Field(
        None,
        alias="LTO_MODEL_API_KEY",
        description="API key for LTO_MODEL_BASE_URL (provider keys use their own vars).",
    )
    model_timeout: float = Field(
        60.0, gt=0, alias="LTO_MODEL_TIMEOUT", description="Seconds before one model request is abandoned."
    )
    model_retries: int = Field(
        2,
        ge=0,
        le=10,
        alias="LTO_MODEL_RETRIES",
        description="Retries of a failed model request (connection errors, 429 honouring Retry-After, 5xx).",
    )
    otel_endpoint: str | None = Field(
        None,
        alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OTLP/HTTP collector for traces (needs the `otel` extra); unset: no tracing.",
    )
    redact_before_model: bool = Field(
        True,
        alias="LTO_REDACT_BEFORE_MODEL",
        description="Redact emails and phone numbers before text goes to an external model.",
    )

    # Workers
    worker_concurrency: int = Field(
        4, ge=1, le=64, alias="LTO_WORKER_CONCURRENCY", description="Jobs one process runs at once."
    )
    job_lease_seconds: int = Field(
        120,
        ge=5,
        alias="LTO_JOB_LEASE_SECONDS",
        description="A running job whose worker has not finished within this lease is claimed again.",
    )
    job_max_attempts: int = Field(5, ge=1, alias="LTO_JOB_MAX_ATTEMPTS", description="Attempts before a job fails.")
    rate_limit_user: int = Field(
        30, ge=1, alias="LTO_RATE_LIMIT_USER", description="Slash commands one person may send per minute."
    )
    rate_limit_channel: int = Field(
        120, ge=1, alias="LTO_RATE_LIMIT_CHANNEL", description="Slash commands one channel may send per minute."
    )
    busy_queue_depth: int = Field(
        200,
        ge=1,
        alias="LTO_BUSY_QUEUE_DEPTH",
        description="Queued jobs beyond which acks say the bot is busy and the request is queued.",
    )
    max_requests_in_flight: int = Field(
        64,
        ge=1,
        le=10_000,
        alias="LTO_MAX_REQUESTS_IN_FLIGHT",
        description="Slack requests one process works on at once. Above it nothing is recorded: a slash command "
        "is told at once that the bot is busy and to try again in a moment, an event or a click gets a 503 "
        "(Slack delivers the event again later).",
    )
    log_level: str = Field("INFO", alias="LTO_LOG_LEVEL", description="Python log level.")
    calendar: Literal["local", "google"] = Field(
        "local",
        alias="LTO_CALENDAR",
        description="Where demos and POC meetings are booked: local (events in our database; the .ics invite goes to "
        "the deal thread and the sales engineer's DM) or google (Google Calendar API v3: free/busy and events).",
    )
    google_calendar_url: str = Field(
        "https://www.googleapis.com",
        alias="GOOGLE_CALENDAR_URL",
        description="Google Calendar API base URL (the API is under /calendar/v3).",
    )
    google_calendar_token: SecretStr | None = Field(
        None,
        alias="GOOGLE_CALENDAR_TOKEN",
        description="OAuth 2.0 bearer token with the calendar scope (a service account's, with domain-wide "
        "delegation for the team's calendars). Required with LTO_CALENDAR=google.",
    )
    calendar_organizer: str = Field(
        "primary",
        alias="LTO_CALENDAR_ORGANIZER",
        description="The calendar id the meetings are created in (google); attendees are invited from there.",
    )
    meeting_minutes: int = Field(
        60, ge=15, le=480, alias="LTO_MEETING_MINUTES", description="How long a demo or POC meeting is, in minutes."
    )
    meeting_hours: str = Field(
        "08:00-18:00",
        alias="LTO_MEETING_HOURS",
        description="The working hours meetings are offered in, in each participant's own time zone, Monday to "
        "Friday (HH:MM-HH:MM).",
    )

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("allowed_team_ids")
    @classmethod
    def _team_ids(cls, value: str) -> str:
        if any(not re.fullmatch(r"[TE][A-Z0-9]{2,31}", team) for team in value.replace(" ", "").split(",") if team):
            raise ValueError("takes Slack team ids separated by commas, e.g. T0123ABCD,T0456EFGH")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite", "postgresql+psycopg://")):
            raise ValueError("only SQLite and PostgreSQL (postgresql+psycopg://...) are supported")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL, e.g. https://lto.example.com")
        return value.rstrip("/")

    @field_validator("leads_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @model_validator(mode="after")
    def _esign_is_configured(self) -> Settings:
        if self.esign == "docusign":
            needed = {
                "DOCUSIGN_ACCOUNT_ID": self.docusign_account_id,
                "DOCUSIGN_INTEGRATION_KEY": self.docusign_integration_key,
                "DOCUSIGN_USER_ID": self.docusign_user_id,
                "DOCUSIGN_PRIVATE_KEY_PATH": self.docusign_private_key_path,
            }
            missing = [name for name, value in needed.items() if not value]
            if missing:
                raise ValueError(f"{', '.join(missing)} must be set when LTO_ESIGN=docusign")
        secret = self.esign_link_secret.get_secret_value() if self.esign_link_secret else ""
        if secret and len(secret) < 32:
            raise ValueError("LTO_ESIGN_LINK_SECRET must be at least 32 characters")
        return self

    @field_validator("meeting_hours")
    @classmethod
    def _meeting_hours(cls, value: str) -> str:
        match = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])", value.strip())
        if match is None or (int(match[1]), int(match[2])) >= (int(match[3]), int(match[4])):
            raise ValueError("takes working hours as HH:MM-HH:MM, the start before the end, e.g. 08:00-18:00")
        return value.strip()

    @model_validator(mode="after")
    def _google_calendar_needs_a_token(self) -> Settings:
        token = self.google_calendar_token.get_secret_value().strip() if self.google_calendar_token else ""
        if self.calendar == "google" and not token:
            raise ValueError("GOOGLE_CALENDAR_TOKEN must be set when LTO_CALENDAR=google")
        return self

    @model_validator(mode="after")
    def _hubspot_needs_a_token(self) -> Settings:
        if self.crm == "hubspot" and not (self.hubspot_token and self.hubspot_token.get_secret_value().strip()):
            raise ValueError("HUBSPOT_TOKEN must be set when LTO_CRM=hubspot")
        if self.hubspot_app_secret and not (self.hubspot_token and self.hubspot_token.get_secret_value().strip()):
            raise ValueError("HUBSPOT_TOKEN must be set with HUBSPOT_APP_SECRET: a webhook names records to read")
        return self

    @model_validator(mode="after")
    def _audit_keys_are_well_formed(self) -> Settings:
        keys = self.audit_signing_keys  # raises ValueError naming the problem
        if self.audit_key_id is not None and self.audit_key_id not in keys:
            raise ValueError(f"LTO_AUDIT_KEY_ID {self.audit_key_id!r} is not one of the ids in LTO_AUDIT_KEYS")
        return self

    @model_validator(mode="after")
    def _no_placeholders_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
            secret = getattr(self, _FIELD_BY_ENV[name])
            if secret is None or secret.get_secret_value().strip().lower() in _PLACEHOLDERS:
                raise ValueError(f"{name} must be set to a real value when LTO_ENV=production")
        if "emulator" in (self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""):
            raise ValueError("SLACK_BOT_TOKEN is the emulator's token; LTO_ENV=production needs Slack's")
        current = self.audit_signing_keys[self.audit_key] if self.audit_keys else ""
        if current.strip().lower() in _PLACEHOLDERS or current == DEVELOPMENT_AUDIT_SECRET or len(current) < 32:
            raise ValueError(
                "LTO_AUDIT_KEYS must hold a real key of 32+ characters when LTO_ENV=production "
                "(`lto audit rotate-key` makes one)"
            )
        return self

    # Derived values

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'lto.db').as_posix()}"

    @property
    def effective_qdrant_path(self) -> Path:
        return self.qdrant_path or self.home / "qdrant"

    @property
    def allowed_teams(self) -> frozenset[str]:
        """LTO_ALLOWED_TEAM_IDS as a set; empty: only the bot's own workspace."""
        return frozenset(team for team in self.allowed_team_ids.replace(" ", "").split(",") if team)

    @property
    def audit_signing_keys(self) -> dict[str, str]:
        """LTO_AUDIT_KEYS as {key id: secret}; the development key when unset."""
        if self.audit_keys is None or not self.audit_keys.get_secret_value().strip():
            return {DEVELOPMENT_AUDIT_KEY_ID: DEVELOPMENT_AUDIT_SECRET}
        keys: dict[str, str] = {}
        for pair in self.audit_keys.get_secret_value().split(","):
            key_id, sep, secret = pair.strip().partition(":")
            if not sep or not _AUDIT_KEY_ID.fullmatch(key_id) or not secret.strip():
                raise ValueError("LTO_AUDIT_KEYS takes id:secret pairs separated by commas (ids: letters, digits, -_.)")
            if key_id in keys:
                raise ValueError(f"LTO_AUDIT_KEYS lists the key id {key_id!r} twice")
            keys[key_id] = secret.strip()
        return keys

    @property
    def audit_key(self) -> str:
        """The id of the key that seals from now on."""
        return self.audit_key_id or list(self.audit_signing_keys)[-1]

    @property
    def esign_link_key(self) -> str:
        """The key of the local signing links: the development key when LTO_ESIGN_LINK_SECRET is unset, which
        production refuses when a link is made or opened (a deployment that signs nothing needs no key)."""
        secret = self.esign_link_secret.get_secret_value() if self.esign_link_secret else ""
        if not secret and self.environment == "production":
            raise SettingsError("LTO_ESIGN_LINK_SECRET is not set: production signs signing links with a real key")
        return secret or DEVELOPMENT_SIGNING_LINK_SECRET

    @property
    def signing_page_url(self) -> str:
        """Where signers open the local signing page: LTO_PUBLIC_URL, else (development) `lto serve`'s default."""
        if not self.public_url and self.environment == "production":
            raise SettingsError("LTO_PUBLIC_URL is not set: signers need the address they open their links at")
        return self.public_url or "http://127.0.0.1:3000"

    @property
    def docusign_connect_key_list(self) -> list[str]:
        keys = self.docusign_connect_keys.get_secret_value() if self.docusign_connect_keys else ""
        return [key.strip() for key in keys.split(",") if key.strip()]

    @property
    def effective_audit_anchor_path(self) -> Path:
        return self.audit_anchor_path or self.home / "audit-checkpoints.jsonl"

    def require(self, *env_names: str) -> None:
        """Fail with one clear line when a command needs a setting that is not set."""
        for name in env_names:
            value = getattr(self, _FIELD_BY_ENV[name])
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value().strip()):
                raise SettingsError(f"{name} is not set: {_DESCRIPTIONS[name]}")

    def described(self) -> list[tuple[str, str, str]]:
        """(variable, effective value with secrets masked, description) for `lto doctor`."""
        rows = []
        for field_name, field in type(self).model_fields.items():
            value = getattr(self, field_name)
            if isinstance(value, SecretStr):
                raw = value.get_secret_value()
                shown = f"{raw[:5]}…({len(raw)} chars)" if len(raw) > 8 else "****"
            elif value is None:
                shown = "(unset)"
            else:
                shown = str(value)
            if field_name == "database_url" and value is None:
                shown = f"(default) {self.effective_database_url}"
            if field_name == "audit_keys":  # ids only: a secret's first characters are part of it
                keys = ", ".join(self.audit_signing_keys)
                shown = f"key ids {keys}" if value is not None else "(unset: the development key)"
            rows.append((field.alias or field_name, shown, field.description or ""))
        return rows


_FIELD_BY_ENV = {f.alias: name for name, f in Settings.model_fields.items() if f.alias}
_DESCRIPTIONS = {f.alias: f.description or "" for f in Settings.model_fields.values() if f.alias}


def load_settings(**overrides: object) -> Settings:
    """Build the settings once; a bad value becomes one SettingsError line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = error.get("loc") or ()
        field = str(loc[0]) if loc else ""
        env = Settings.model_fields[field].alias if field in Settings.model_fields else field
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        if env:
            raise SettingsError(f"{env}: {message}") from None
        raise SettingsError(message) from None

"""What ingestion never indexes: files outside the knowledge root, hidden files, and what looks like a secret.

Whatever is indexed can be quoted to anyone who asks, so the rules err on the side of refusing;
each refusal is reported with its reason, never silently dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

HIDDEN = "hidden files are never ingested"
HIDDEN_FOLDER = "hidden folders are never ingested"
OUTSIDE = "it links outside the knowledge root"
SIDECAR_OUTSIDE = "its metadata file links outside the knowledge root"
BROKEN_LINK = "it is a broken link, or its file cannot be reached"
FOLDER_LINK = "links to folders are not followed: ingest the folder itself"
SECRET_NAME = "its name says it holds secrets (keys, credentials and .env files are never ingested)"

_SECRET_SUFFIXES = {".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk", ".kdbx", ".env"}
_SECRET_PREFIXES = (".env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "credentials")
_SECRET_CONTENT = [
    ("a Slack token", re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{10,}")),
    ("a Slack app token", re.compile(r"\bxapp-[A-Za-z0-9-]{10,}")),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("an API secret key", re.compile(r"\b(?:sk|rk)[-_](?:live_|proj-|ant-)?[A-Za-z0-9_-]{24,}")),
    # An environment-style assignment of a secret-named variable: SLACK_SIGNING_SECRET=..., DB_PASSWORD: ...
    (
        "a secret setting",
        re.compile(
            r"\b(?=[A-Z0-9_]*_)[A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY)[A-Z0-9_]*"
            r"\s*[=:]\s*['\"]?[^\s'\"<>{}]{8,}"
        ),
    ),
]


def is_hidden(relative: Path) -> bool:
    """A dotfile, or anything under a dot-folder."""
    return any(part.startswith(".") for part in relative.parts)


def has_secret_name(path: Path) -> bool:
    name = path.name.lower()
    return name.startswith(_SECRET_PREFIXES) or path.suffix.lower() in _SECRET_SUFFIXES


def secret_in(text: str) -> str | None:
    """The reason to refuse `text` when it holds something that looks like a secret (never the secret itself)."""
    for kind, pattern in _SECRET_CONTENT:
        if pattern.search(text):
            return f"it contains what looks like a secret ({kind}): take it out of the file to ingest it"
    return None


def refusal(path: Path, base: Path) -> str | None:
    """Why the file at `path` (found under `base`, which is resolved) must not be ingested, or None."""
    if is_hidden(path.relative_to(base)):
        return HIDDEN
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return BROKEN_LINK
    if not target.is_relative_to(base):
        return OUTSIDE
    if is_hidden(target.relative_to(base)):
        return HIDDEN
    if has_secret_name(path) or has_secret_name(target):
        return SECRET_NAME
    sidecar = path.with_name(path.name + ".meta.yaml")
    if sidecar.exists() and not sidecar.resolve().is_relative_to(base):
        return SIDECAR_OUTSIDE
    return None


def folder_refusal(folder: Path, base: Path) -> str | None:
    """Why ingestion must not descend into `folder` (found under `base`), or None."""
    if is_hidden(folder.relative_to(base)):
        return HIDDEN_FOLDER
    if folder.is_symlink():
        return OUTSIDE if not folder.resolve().is_relative_to(base) else FOLDER_LINK
    return None

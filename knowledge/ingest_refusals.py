"""What ingestion never indexes: files outside the knowledge root, hidden files, and what looks like a secret.

Whatever is indexed can be quoted to anyone who asks, so the rules err on the side of refusing;
each refusal is reported with its reason, never silently dropped.
"""

from __future__ import annotations

import base64
import binascii
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
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_AWS_KEY = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
# An environment-style assignment of a secret-named variable: SLACK_SIGNING_SECRET=..., DB_PASSWORD: ...
# The value starts on the same line: "SMTP_PASSWORD=" followed by a newline sets nothing.
_SECRET_SETTING = re.compile(
    r"\b(?P<name>(?=[A-Z0-9_]*_)[A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY)[A-Z0-9_]*)"
    r"[ \t]*[=:][ \t]*['\"]?(?P<value>[^\s'\"<>{}]{8,})"
)
_SECRET_CONTENT = [
    ("a Slack token", re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{10,}")),
    ("a Slack app token", re.compile(r"\bxapp-[A-Za-z0-9-]{10,}")),
    ("a private key", _PRIVATE_KEY),
    ("an AWS access key", _AWS_KEY),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("an API secret key", re.compile(r"\b(?:sk|rk)[-_](?:live_|proj-|ant-)?[A-Za-z0-9_-]{24,}")),
    ("a secret setting", _SECRET_SETTING),
]
# What documentation writes where a secret would go: an elided key ("-----BEGIN PRIVATE KEY-----\n...\n"), a
# command, variable or environment lookup (TOKEN=$(kubectl ...), "${TOKEN}", "$DEX_TOKEN", process.env.API_KEY;
# not "$ecret1", which may be the password itself), a value that says what it stands for or that it must be
# replaced ("passwd_xxx", "********", "replace-with-your-password", "smtp-password", AWS's documented
# AKIA...EXAMPLE), a vendor's published default (postgres, minioadmin), or a setting that names where the secret
# is rather than holding it (SESSION_SECRET_FILE, GITHUB_TOKEN_URL, AWS_ACCESS_KEY_ID). So is a value that names
# another variable (API_ACCESS_TOKEN), one whose parts say what it is ("quickstart-admin-pass",
# "rustfs_service_access_key"), and one written as a run of the alphabet or the digits ("ABCDEF-GHijklmno...",
# "...xyz1234567"): no generated secret reads that way.
_ELIDED = re.compile(r"\.\.\.|…")
_FILLER = re.compile(
    r"^\$(?:\(|\{|[A-Z_][A-Z0-9_]*\b)|^(?:process\.env|os\.environ|os\.getenv|env\.)|\*\*\*|"
    + _ELIDED.pattern
    + r"|(?i:xxx|change|replace|placeholder|redacted|example|sample|dummy|fake|your|unused|not-used"
    r"|secret|password|passphrase|^(?:my|some)[_-])"
)
_DEFAULT_CREDENTIAL = re.compile(r"(?i:admin|root|postgres|minioadmin|guest|user|test|demo|pass)\d{0,4}")
_VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_SAYS_WHAT_IT_IS = re.compile(r"(?i:(?:^|[_.-])(?:key|token|pass|pwd)(?:$|[_.-]))")
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789")
RUN = 5  # characters of the alphabet or the digits in order: "abcde", "12345"
_NAMES_NO_SECRET = re.compile(r"_(?:FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|ID|NAME)$")
_BASE64_VALUE = re.compile(r"(?:[A-Za-z0-9+/]{4}){4,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{8,}")
_KEY_BODY = 4000  # characters read after a key's BEGIN line when no END line comes first


def is_hidden(relative: Path) -> bool:
    """A dotfile, or anything under a dot-folder."""
    return any(part.startswith(".") for part in relative.parts)


def has_secret_name(path: Path) -> bool:
    name = path.name.lower()
    return name.startswith(_SECRET_PREFIXES) or path.suffix.lower() in _SECRET_SUFFIXES


def secret_in(text: str) -> str | None:
    """The reason to refuse `text` when it holds something that looks like a secret (never the secret itself)."""
    for kind, pattern in _SECRET_CONTENT:
        if any(not _stands_in(match) for match in pattern.finditer(text)):
            return f"it contains what looks like a secret ({kind}): take it out of the file to ingest it"
    return None


def _stands_in(match: re.Match[str]) -> bool:
    """Whether a match only stands in for a secret: a private key whose body is elided or missing, AWS's
    documented example key, or a secret setting whose value is a substitution, a filler or a published default.
    The other kinds match only a secret's own form."""
    if match.re is _PRIVATE_KEY:
        body = match.string[match.end() : match.end() + _KEY_BODY].split("-----END", 1)[0]
        return bool(_ELIDED.search(body)) or not _BASE64_RUN.search(body)
    if match.re is _AWS_KEY:
        return match[0].endswith("EXAMPLE")
    if match.re is _SECRET_SETTING:
        if _NAMES_NO_SECRET.search(match["name"]):
            return True
        return any(_is_filler(value) for value in (match["value"], _base64_text(match["value"])) if value)
    return False


def _is_filler(value: str) -> bool:
    return bool(
        _FILLER.search(value)
        or _DEFAULT_CREDENTIAL.fullmatch(value)
        or _VARIABLE_NAME.fullmatch(value)
        or _SAYS_WHAT_IT_IS.search(value)
        or _in_order(value.lower())
    )


def _in_order(value: str) -> bool:
    """Whether the value holds RUN letters of the alphabet, or RUN digits, in order."""
    return any(run[i : i + RUN] in value for run in _RUNS for i in range(len(run) - RUN + 1))


def _base64_text(value: str) -> str | None:
    """The text a base64 value encodes (Kubernetes Secrets hold their values so), or None when it encodes none."""
    if not _BASE64_VALUE.fullmatch(value):
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return text if text.isprintable() else None


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

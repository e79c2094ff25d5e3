"""What ingestion refuses as a secret, and what documentation writes in a secret's place."""

import pytest

from knowledge.ingest_refusals import secret_in

KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dV\n"

SECRETS = [
    f"-----BEGIN PRIVATE KEY-----\n{KEY_BODY}-----END PRIVATE KEY-----\n",
    f"Paste it:\n-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}",  # cut off, still a key
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n",
    # an elided example does not excuse a real key further down
    f"-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n\n-----BEGIN PRIVATE KEY-----\n{KEY_BODY}",
    "SLACK_SIGNING_SECRET=8f14e45fceea167a5a36dedd4bea2543",
    'DB_PASSWORD: "$ecretPassw0rd"',  # a "$" that starts no variable is the password itself
    "AUTHELIA_SESSION_SECRET: 'a8Qz3LkPw9XvN2mR7tYc'",
    "AWS_ACCESS_KEY_ID=AKIAJ7Q2Z5XK3LM4NP6R",
    "OIDC_CLIENT_SECRET=bSaIN3MV1YynmtXvU8lKkfeY0iwpr9cH",
    "AWS_SECRET_ACCESS_KEY: YThRejNMa1B3OVh2TjJtUjd0WWM=",  # base64 of an opaque value
    "SMTP_PASSWORD=SG.rqFsfjxYPiqE1lqZTgD_lz7x8IVLx",  # a provider's key format, however made up it may be
]

STAND_INS = [
    # an elided key
    "key: |\n  -----BEGIN PRIVATE KEY-----\n  ...\n  -----END PRIVATE KEY-----\n",
    '| azureCertificate | `"-----BEGIN PRIVATE KEY-----\\n MIIEvgI... \\n -----END PRIVATE KEY-----"` |',
    # a command, variable or environment lookup
    "BSL_SECRET=$(kubectl get backupstoragelocations -o jsonpath={.spec.credential.name})",
    'export ARGOCD_AUTH_TOKEN="$DEX_TOKEN"',
    "API_TOKEN=${VAULT_TOKEN_FROM_CI}",
    "const GB_API_KEY = process.env.GB_API_KEY;",
    # a value that says what it stands for, or that it must be replaced
    'export DAPR_HELM_REPO_PASSWORD="passwd_xxx"',
    "ADMIN_PASSWORD=********",
    "ADMIN_PASSWORD=changeme123",
    "-e POSTGRES_PASSWORD=your_secure_password",
    'export AWS_SECRET_ACCESS_KEY="replace-with-your-secret-access-key"',
    "MENDER_PASSWORD=PleaseReplaceWithASecurePassword",
    "NEXT_PRIVATE_SMTP_PASSWORD: 'smtp-password'",
    'AZUREAD_CLIENT_SECRET="THis~iS4faKe.53CreTvALu3"',
    "KEYCLOAK_ADMIN_PASSWORD=quickstart-admin-pass",
    "S3_ACCESS_KEY=rustfs_service_access_key",
    "MY_APP_ACCESS_TOKEN: API_ACCESS_TOKEN",  # another variable's name
    "GOOGLE_OAUTH_CLIENT_SECRET=ABCDEF-GHijklmnoPqrstuvwX-yz1234567",  # the alphabet, and the digits, in order
    # a vendor's published default, AWS's documented example key, a base64 value that reads as a filler
    "POSTGRES_PASSWORD=postgres",
    "MINIO_ROOT_PASSWORD: minioadmin",
    "NEXT_PRIVATE_UPLOAD_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY: bG9uZ2hvcm4tdGVzdC1zZWNyZXQta2V5",  # longhorn-test-secret-key
    # a setting that names where the secret is, or sets nothing (the next line is not its value)
    "AUTHELIA_SESSION_SECRET_FILE: '/run/secrets/SESSION_SECRET'",
    "GITHUB_TOKEN_URL=https://github.example.com/login/oauth/access_token",
    "AWS_ACCESS_KEY_ID: minio-service-account",
    "SMTP_PASSWORD=\nSMTP_TLS_MODE=required\n",
]


@pytest.mark.parametrize("text", SECRETS)
def test_what_looks_like_a_secret_is_refused(text: str):
    assert secret_in(text)


@pytest.mark.parametrize("text", STAND_INS)
def test_what_documentation_writes_in_a_secrets_place_is_not_refused(text: str):
    assert secret_in(text) is None

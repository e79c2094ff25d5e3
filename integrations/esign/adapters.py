"""The e-signature adapter LTO_ESIGN names, built from the settings."""

from __future__ import annotations

from datetime import timedelta

from core.clock import Clock
from core.settings import Settings
from integrations.esign.docusign import DocuSignESign, private_key_text
from integrations.esign.local import LocalESign
from integrations.esign.port import ESignPort


def esign_for(settings: Settings, clock: Clock) -> ESignPort:
    if settings.esign == "docusign":
        # The settings refuse LTO_ESIGN=docusign without these.
        assert settings.docusign_account_id and settings.docusign_integration_key and settings.docusign_user_id
        assert settings.docusign_private_key_path is not None
        return DocuSignESign(
            base_path=settings.docusign_base_path,
            oauth_url=settings.docusign_oauth_url,
            account_id=settings.docusign_account_id,
            integration_key=settings.docusign_integration_key,
            user_id=settings.docusign_user_id,
            private_key=private_key_text(settings.docusign_private_key_path),
            clock=clock,
        )
    return LocalESign(
        secret=settings.esign_link_key,
        base_url=settings.signing_page_url,
        link_valid=timedelta(days=settings.esign_link_days),
        clock=clock,
    )

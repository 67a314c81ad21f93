"""Render contexts for this context's email templates (registered in domain.mail.contexts)."""

from __future__ import annotations

EMAIL_CONTEXTS: dict = {}

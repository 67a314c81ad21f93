"""Read models for the marketing template pages."""

from __future__ import annotations

from domain.db import fetch


async def templates(*, archived: bool = False) -> list[dict]:
    """Active templates (or the archived ones), most recently edited first."""
    return await fetch(
        "SELECT id, name, description, purpose, subject, version, updated_at, updated_by, "
        "archived_at FROM marketing_templates "
        "WHERE (archived_at IS NOT NULL) = $1 ORDER BY updated_at DESC, id DESC", archived)

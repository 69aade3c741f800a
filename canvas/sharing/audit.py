"""The share link audit log: what guests did through a link (opened, unlocked, commented,
decided) and what its managers changed. Written by links, guest authentication and review.
"""

from __future__ import annotations

import logging
from typing import Any

from canvas.models.sharing import (
    ShareAuditEvent,
    ShareLink,
)

logger = logging.getLogger(__name__)


def record_audit(
    link: ShareLink,
    action: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> ShareAuditEvent:
    return ShareAuditEvent.objects.create(
        link=link,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label[:200],
        ip=ip,
        details=details or {},
    )


def audit_payload(event: ShareAuditEvent) -> dict[str, Any]:
    return {
        "action": event.action,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "ip": event.ip,
        "at": event.at,
        "details": event.details,
    }

"""Reading and selecting deliveries: every delivered file and how it ended."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from shared.store.tables import Delivery, Outcome


def list_deliveries(*, session: Session, outcome: str | None = None, since: datetime | None = None
                    ) -> list[Delivery]:
    """Deliveries, oldest first; by outcome and committed since a moment."""
    query = select(Delivery)
    if outcome is not None:
        query = query.where(col(Delivery.outcome) == outcome)
    if since is not None:
        query = query.where(col(Delivery.committed_at) >= since)
    return list(session.exec(query.order_by(col(Delivery.committed_at), col(Delivery.id))).all())


def outcomes_of(*, session: Session, sha256s: list[str], since: datetime) -> list[tuple[str, str | None, str]]:
    """(name, sha256, outcome) of the deliveries of these hashes committed since a moment."""
    found: list[tuple[str, str | None, str]] = []
    unique = sorted(set(sha256s))
    for start in range(0, len(unique), 500):  # well under every database's limit on bound parameters
        query = select(Delivery.name, Delivery.sha256, Delivery.outcome).where(
            col(Delivery.sha256).in_(unique[start:start + 500]), col(Delivery.committed_at) >= since)
        found += [(row[0], row[1], row[2]) for row in session.exec(query).all()]
    return found


def quarantined_for_requeue(*, session: Session, everything: bool = False, reason: str | None = None,
                            since: datetime | None = None, keys: tuple[str, ...] = ()) -> list[Delivery]:
    """Quarantined deliveries not requeued yet, selected by reason (a part of it, any case), time of
    quarantine, or SHA-256 / original name; everything only when asked for."""
    query = select(Delivery).where(col(Delivery.outcome) == Outcome.QUARANTINED.value,
                                   col(Delivery.requeued_at).is_(None))
    if reason is not None:
        query = query.where(col(Delivery.reason).ilike(f"%{reason}%"))
    if since is not None:
        query = query.where(col(Delivery.committed_at) >= since)
    if keys:
        query = query.where(col(Delivery.sha256).in_(keys) | col(Delivery.name).in_(keys))
    elif not (everything or reason is not None or since is not None):
        return []
    return list(session.exec(query.order_by(col(Delivery.committed_at), col(Delivery.id))).all())

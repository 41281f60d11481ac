"""Derived tables that keep the dashboard fast at a million leads."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

# Binary ("C") collation on PostgreSQL so that prefix ranges (term >= 'yil' AND term < …)
# follow code-point order, as SQLite's default BINARY collation does.
TermType = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")


class LeadSearchTerm(db.Model):
    """One searchable word of a lead (folded name part, email, phone digits)."""

    __tablename__ = "lead_search_terms"
    # On SQLite the (term, lead_id) key is the table itself: one B-tree less to write per term.
    # (lead_id, term): a wide search checks a listed lead's terms without reading the table.
    # No foreign key: a derived index, written with its lead and removed with it
    # (privacy.removal, the only place a lead is deleted); on PostgreSQL the key's check per
    # term (six a lead) was a fifth of ingest's time.
    __table_args__ = (
        sa.Index("ix_lead_search_terms_lead_id_term", "lead_id", "term"),
        {"sqlite_with_rowid": False},
    )

    term: Mapped[str] = mapped_column(TermType, primary_key=True)
    lead_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)

    def __repr__(self) -> str:
        return f"<LeadSearchTerm {self.lead_id}>"


class LeadCounter(db.Model):
    """How many leads share a (distributor, assignee, status, hidden) combination.

    Kept in step by the services that insert or change leads, so the status cards and
    totals never count a million rows. `0` stands for "none" (unassigned / no distributor);
    `hidden` is true for duplicates and Meta test leads. `flask leads recount` rebuilds it."""

    __tablename__ = "lead_counters"

    distributor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    assigned_to_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    hidden: Mapped[bool] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<LeadCounter {self.status} n={self.n}>"

"""Alembic migrations of the trade journal, written by hand (see ``core.journal.database``)."""

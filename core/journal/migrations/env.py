"""Alembic's environment: always run in-process on a connection the journal opened.

``core.journal.database.upgrade`` builds the Alembic ``Config`` in code and hands its SQLAlchemy
connection over in ``config.attributes``; there is no alembic.ini and no URL here, so an installed
build finds everything inside the package.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from core.journal.schema import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("journal migrations run through core.journal.database.upgrade only")

# render_as_batch: SQLite alters most things by copying the table; Alembic does that for us.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""Django's SQLite backend, which also makes the database file's directory when it connects:
the directory (VAR_DIR by default) is made by whatever writes the file first, whichever process
that is, and loading the settings creates nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        database = conn_params["database"]
        if not self.creation.is_in_memory_db(database):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)

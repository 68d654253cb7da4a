"""The database: engine and sessions, tables, migrations."""

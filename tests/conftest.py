"""Shared fixtures. Database tests run on SQLite or PostgreSQL, whichever DATABASE_URL names."""

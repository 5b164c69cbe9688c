"""Durable storage: SQLAlchemy 2 models, the database connection and a small repository API."""

"""The users table's queries: accounts, their password hashes, failed sign-ins and locks (schema migration 2).

Writes take the transaction's cursor, so the caller adds its audit entry in the same transaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb
import pandas as pd

from kpis.store.database import Store


def count_users(store: Store) -> int:
    """How many accounts there are (duckdb.CatalogException on a database from before accounts existed)."""
    return int(store.scalar("SELECT count(*) FROM users"))


def count_admins(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM users WHERE role = 'admin'"))


def count_non_admins(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM users WHERE role <> 'admin'"))


def user_by_email(store: Store, email: str) -> pd.DataFrame:
    """email, role, areas of the account with this (normalised) email: one row, or none."""
    return store.df("SELECT email, role, areas FROM users WHERE email = ?", [email])


def users_table(store: Store, at: datetime) -> pd.DataFrame:
    """Every account without its password hash, administrators first: whether it has a local password and
    whether it is locked at `at`."""
    return store.df("""
        SELECT email, role, areas, password_hash IS NOT NULL AS local_password,
               coalesce(locked_until > ?, false) AS locked, created_at, created_by, last_sign_in
        FROM users ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'analyst' THEN 1 WHEN 'lead' THEN 2 ELSE 3 END, email
    """, [at])


def insert_user(cur: duckdb.DuckDBPyConnection, *, email: str, role: str, areas: Iterable[str],
                password_hash: str | None, at: datetime, created_by: str | None) -> None:
    cur.execute("INSERT INTO users (email, role, areas, password_hash, failed_attempts, created_at, created_by) "
                "VALUES (?, ?, ?, ?, 0, ?, ?)", [email, role, list(areas), password_hash, at, created_by])


def delete_user(cur: duckdb.DuckDBPyConnection, email: str) -> None:
    cur.execute("DELETE FROM users WHERE email = ?", [email])


def set_password_hash(cur: duckdb.DuckDBPyConnection, email: str, password_hash: str) -> None:
    """A new password hash, and the account unlocked with no failures counted."""
    cur.execute("UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE email = ?",
                [password_hash, email])


def unlock_user(cur: duckdb.DuckDBPyConnection, email: str) -> None:
    cur.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE email = ?", [email])


def lock_user(cur: duckdb.DuckDBPyConnection, email: str, until: datetime) -> None:
    cur.execute("UPDATE users SET failed_attempts = 0, locked_until = ? WHERE email = ?", [until, email])


def record_password_sign_in(cur: duckdb.DuckDBPyConnection, email: str, at: datetime,
                            new_hash: str | None = None) -> None:
    """A successful sign-in: no failures counted, not locked, signed in at `at`; `new_hash` replaces the stored
    password hash (a rehash with newer parameters) when given."""
    cur.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in = ?"
                + (", password_hash = ?" if new_hash else "") + " WHERE email = ?",
                [at, new_hash, email] if new_hash else [at, email])


def claim_sign_in_attempt(cur: duckdb.DuckDBPyConnection, email: str,
                          at: datetime) -> tuple[str | None, int, datetime | None] | None:
    """Count one attempt at `email`'s password unless it is locked at `at`, in one statement (so no two attempts
    see the same count): (password hash, attempts counted, locked until), or None if there is no such account."""
    return cur.execute(
        "UPDATE users SET failed_attempts = failed_attempts + "
        "CASE WHEN locked_until IS NOT NULL AND locked_until > ? THEN 0 ELSE 1 END "
        "WHERE email = ? RETURNING password_hash, failed_attempts, locked_until", [at, email]).fetchone()


def set_last_sign_in(cur: duckdb.DuckDBPyConnection, email: str, at: datetime) -> None:
    cur.execute("UPDATE users SET last_sign_in = ? WHERE email = ?", [at, email])

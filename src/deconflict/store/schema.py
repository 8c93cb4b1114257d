"""The store's schema and its versioned migrations.

Each migration is a numbered list of statements, written once in plain SQL that SQLite and
PostgreSQL (and PostgreSQL-compatible distributed engines) all read; ``{real}``, ``{blob}``
and ``{bigint}`` stand for the column types that differ, ``{without_rowid}`` for SQLite's
clustered tables. ``migrate`` applies the missing
ones in order, each in its own transaction, and records them in ``schema_migrations``; a
database newer than this code is refused.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "plans, their volumes, the space-time cells of live volumes, notices",
        (
            """CREATE TABLE plans (
                plan_id TEXT PRIMARY KEY,
                ref TEXT NOT NULL UNIQUE,
                party TEXT NOT NULL,
                state TEXT NOT NULL,
                status TEXT NOT NULL,
                version INTEGER NOT NULL,
                created_s {real} NOT NULL,
                updated_s {real} NOT NULL
            )""",
            "CREATE INDEX plans_party ON plans (party, state)",
            """CREATE TABLE volumes (
                plan_id TEXT NOT NULL REFERENCES plans (plan_id),
                idx INTEGER NOT NULL,
                party TEXT NOT NULL,
                time_start_s {real} NOT NULL,
                time_end_s {real} NOT NULL,
                alt_lower_ft {real} NOT NULL,
                alt_upper_ft {real} NOT NULL,
                cap_lat_deg {real} NOT NULL,
                cap_lon_deg {real} NOT NULL,
                cap_radius_m {real} NOT NULL,
                outline TEXT NOT NULL,
                PRIMARY KEY (plan_id, idx)
            )""",
            """CREATE TABLE volume_cells (
                bucket {bigint} NOT NULL,
                cell {bigint} NOT NULL,
                plan_id TEXT NOT NULL,
                idx INTEGER NOT NULL,
                party TEXT NOT NULL,
                time_start_s {real} NOT NULL,
                time_end_s {real} NOT NULL,
                alt_lower_ft {real} NOT NULL,
                alt_upper_ft {real} NOT NULL,
                cap_x_m {real} NOT NULL,
                cap_y_m {real} NOT NULL,
                cap_z_m {real} NOT NULL,
                cap_radius_m {real} NOT NULL
            )""",
            "CREATE INDEX volume_cells_key ON volume_cells (bucket, cell)",
            "CREATE INDEX volume_cells_plan ON volume_cells (plan_id)",
            """CREATE TABLE notices (
                notice_id TEXT PRIMARY KEY,
                party TEXT NOT NULL,
                plan_id TEXT NOT NULL,
                other_ref TEXT NOT NULL,
                created_s {real} NOT NULL,
                body TEXT NOT NULL
            )""",
            "CREATE INDEX notices_party ON notices (party, created_s)",
        ),
    ),
    Migration(
        2,
        "cells clustered by their key; a sequence number on every change of a plan; its meta",
        (
            # the rows of one (bucket, cell) range together: a probe reads consecutive rows
            # (SQLite: the table is its key's B-tree; PostgreSQL: the key's index)
            """CREATE TABLE volume_cells_2 (
                bucket {bigint} NOT NULL,
                cell {bigint} NOT NULL,
                plan_id TEXT NOT NULL,
                idx INTEGER NOT NULL,
                party TEXT NOT NULL,
                time_start_s {real} NOT NULL,
                time_end_s {real} NOT NULL,
                alt_lower_ft {real} NOT NULL,
                alt_upper_ft {real} NOT NULL,
                cap_x_m {real} NOT NULL,
                cap_y_m {real} NOT NULL,
                cap_z_m {real} NOT NULL,
                cap_radius_m {real} NOT NULL,
                PRIMARY KEY (bucket, cell, plan_id, idx)
            ){without_rowid}""",
            "INSERT INTO volume_cells_2 SELECT bucket, cell, plan_id, idx, party, time_start_s, "
            "time_end_s, alt_lower_ft, alt_upper_ft, cap_x_m, cap_y_m, cap_z_m, cap_radius_m "
            "FROM volume_cells",
            "DROP TABLE volume_cells",
            "ALTER TABLE volume_cells_2 RENAME TO volume_cells",
            "CREATE INDEX volume_cells_plan ON volume_cells (plan_id)",
            # which plans changed after a snapshot (``PlanStore.file`` checks outside the
            # write lock, then only what changed since, inside it)
            "ALTER TABLE plans ADD COLUMN seq {bigint} NOT NULL DEFAULT 0",
            "CREATE INDEX plans_seq ON plans (seq)",
            # what a party keeps with its plan (``Plan.meta``: purpose, callsigns), as JSON;
            # shown to that party only, never in a notice
            "ALTER TABLE plans ADD COLUMN meta TEXT NOT NULL DEFAULT '{{}}'",
        ),
    ),
    Migration(
        3,
        "the line: parties, their keys, agreements and their history, the audit chain, events",
        (
            """CREATE TABLE parties (
                party_id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                members TEXT NOT NULL,
                created_s {real} NOT NULL
            )""",
            # a key's secret is never stored: its SHA-256 only (secrets are 256 random bits)
            """CREATE TABLE api_keys (
                key_id TEXT PRIMARY KEY,
                party_id TEXT REFERENCES parties (party_id),
                role TEXT NOT NULL,
                label TEXT NOT NULL,
                secret_sha256 TEXT NOT NULL,
                created_s {real} NOT NULL,
                expires_s {real},
                revoked_s {real}
            )""",
            "CREATE INDEX api_keys_party ON api_keys (party_id)",
            """CREATE TABLE agreements (
                agreement_id TEXT PRIMARY KEY,
                party_a TEXT NOT NULL REFERENCES parties (party_id),
                party_b TEXT NOT NULL REFERENCES parties (party_id),
                status TEXT NOT NULL,
                version INTEGER NOT NULL,
                terms TEXT NOT NULL,
                created_s {real} NOT NULL,
                updated_s {real} NOT NULL
            )""",
            "CREATE INDEX agreements_pair ON agreements (party_a, party_b)",
            """CREATE TABLE agreement_history (
                agreement_id TEXT NOT NULL REFERENCES agreements (agreement_id),
                version INTEGER NOT NULL,
                status TEXT NOT NULL,
                terms TEXT NOT NULL,
                changed_s {real} NOT NULL,
                actor TEXT NOT NULL,
                PRIMARY KEY (agreement_id, version)
            )""",
            # a hash chain: each record's hash covers the one before it
            """CREATE TABLE audit (
                seq {bigint} PRIMARY KEY,
                at_s {real} NOT NULL,
                kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                body TEXT NOT NULL,
                prev_sha256 TEXT NOT NULL,
                sha256 TEXT NOT NULL
            )""",
            # what each party is told, in order: the event stream's resumable cursor
            """CREATE TABLE events (
                event_id {bigint} PRIMARY KEY,
                party_id TEXT NOT NULL,
                at_s {real} NOT NULL,
                kind TEXT NOT NULL,
                body TEXT NOT NULL
            )""",
            "CREATE INDEX events_party ON events (party_id, event_id)",
        ),
    ),
    Migration(
        4,
        "the hotline: threads between two parties, messages with receipts and escalation",
        (
            # a thread is between two parties (party_a < party_b), opened by one of them
            """CREATE TABLE hotline_threads (
                thread_id TEXT PRIMARY KEY,
                party_a TEXT NOT NULL REFERENCES parties (party_id),
                party_b TEXT NOT NULL REFERENCES parties (party_id),
                subject TEXT NOT NULL,
                opened_by TEXT NOT NULL REFERENCES parties (party_id),
                created_s {real} NOT NULL
            )""",
            "CREATE INDEX hotline_threads_a ON hotline_threads (party_a)",
            "CREATE INDEX hotline_threads_b ON hotline_threads (party_b)",
            # client_id: the sender's own id of a message, so that a retry is not a second
            # message, and request_sha256 what that first sending asked (a retry must ask the
            # same); fields: the template's fields as canonical JSON; sender: the actor;
            # escalation: how far down the recipient's contacts it has gone, contact: the
            # one called now (JSON, or NULL when the party named none), exhausted_s: when
            # the deadline passed with no contact left
            """CREATE TABLE hotline_messages (
                message_id TEXT PRIMARY KEY,
                thread_id TEXT NOT NULL REFERENCES hotline_threads (thread_id),
                from_party TEXT NOT NULL REFERENCES parties (party_id),
                to_party TEXT NOT NULL REFERENCES parties (party_id),
                client_id TEXT NOT NULL,
                request_sha256 TEXT NOT NULL,
                sender TEXT NOT NULL,
                priority TEXT NOT NULL,
                template TEXT NOT NULL,
                fields TEXT NOT NULL,
                created_s {real} NOT NULL,
                deadline_s {real} NOT NULL,
                escalation INTEGER NOT NULL DEFAULT 0,
                contact TEXT,
                exhausted_s {real},
                delivered_s {real},
                read_s {real},
                acked_s {real},
                acked_by TEXT,
                UNIQUE (from_party, client_id)
            )""",
            "CREATE INDEX hotline_messages_thread ON hotline_messages (thread_id, created_s)",
            # what the escalation looks at every second: the messages still waiting
            "CREATE INDEX hotline_messages_due ON hotline_messages (deadline_s) "
            "WHERE acked_s IS NULL AND exhausted_s IS NULL",
        ),
    ),
    Migration(
        5,
        "alerts between aircraft of two parties, and each party's acknowledgement",
        (
            """CREATE TABLE alerts (
                alert_id TEXT PRIMARY KEY,
                agreement_id TEXT NOT NULL REFERENCES agreements (agreement_id),
                sharing TEXT NOT NULL,
                party_a TEXT NOT NULL,
                aircraft_a TEXT NOT NULL,
                party_b TEXT NOT NULL,
                aircraft_b TEXT NOT NULL,
                level INTEGER NOT NULL,
                max_level INTEGER NOT NULL,
                raised_s {real} NOT NULL,
                updated_s {real} NOT NULL,
                ended_s {real},
                end_reason TEXT,
                detail TEXT NOT NULL
            )""",
            "CREATE INDEX alerts_a ON alerts (party_a, raised_s)",
            "CREATE INDEX alerts_b ON alerts (party_b, raised_s)",
            "CREATE INDEX alerts_open ON alerts (ended_s)",
            """CREATE TABLE alert_acks (
                alert_id TEXT NOT NULL REFERENCES alerts (alert_id),
                party_id TEXT NOT NULL,
                actor TEXT NOT NULL,
                at_s {real} NOT NULL,
                PRIMARY KEY (alert_id, party_id)
            )""",
        ),
    ),
)

HEAD = MIGRATIONS[-1].version

TYPES = {
    "sqlite": {
        "real": "REAL",
        "blob": "BLOB",
        "bigint": "INTEGER",
        "without_rowid": " WITHOUT ROWID",
    },
    "postgresql": {
        "real": "DOUBLE PRECISION",
        "blob": "BYTEA",
        "bigint": "BIGINT",
        "without_rowid": "",
    },
}

CREATE_MIGRATIONS = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_s {real} NOT NULL
)"""


def statements(migration: Migration, dialect: str) -> list[str]:
    return [s.format(**TYPES[dialect]) for s in migration.statements]

"""The database's schema: its migrations, applied in order by `Store.migrate` and recorded in schema_migrations.

A migration is never edited once released: a change to the schema is a new migration at the end.
"""
from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "core tables", """
        CREATE SEQUENCE batch_seq START 1;
        CREATE SEQUENCE obs_seq START 1;
        CREATE SEQUENCE audit_seq START 1;
        CREATE TABLE areas (
            area_code VARCHAR PRIMARY KEY, dfe_code VARCHAR, name VARCHAR NOT NULL, area_type VARCHAR NOT NULL,
            region_code VARCHAR, region_name VARCHAR, valid_from DATE, valid_to DATE, successor_code VARCHAR);
        CREATE TABLE statistical_neighbours (
            dfe_code VARCHAR, rank INTEGER, neighbour_dfe_code VARCHAR, closeness VARCHAR, source VARCHAR);
        CREATE TABLE indicators (
            indicator_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, source_code VARCHAR NOT NULL,
            name VARCHAR, unit VARCHAR, polarity VARCHAR, definition VARCHAR, methodology VARCHAR,
            kpi_id VARCHAR, last_updated VARCHAR, next_update VARCHAR, licence VARCHAR);
        CREATE TABLE batches (
            batch_id BIGINT PRIMARY KEY DEFAULT nextval('batch_seq'),
            kind VARCHAR NOT NULL,                 -- submission | import | demo
            source VARCHAR, outcome_area VARCHAR, period_label VARCHAR,
            submitted_by VARCHAR, submitted_at TIMESTAMP NOT NULL,
            file_name VARCHAR, sha256 VARCHAR, raw_name VARCHAR,
            rows_read INTEGER, rows_imported INTEGER, rows_skipped INTEGER, skipped_reasons JSON,
            new_values INTEGER, changed_values INTEGER, unchanged_values INTEGER,
            is_demo BOOLEAN DEFAULT FALSE, note VARCHAR);
        CREATE TABLE raw_files (
            raw_name VARCHAR PRIMARY KEY, batch_id BIGINT, file_name VARCHAR, sha256 VARCHAR,
            size_bytes BIGINT, content BLOB);
        CREATE TABLE observations (
            obs_id BIGINT PRIMARY KEY DEFAULT nextval('obs_seq'),
            indicator_id VARCHAR NOT NULL, area_code VARCHAR NOT NULL,
            breakdown_type VARCHAR NOT NULL DEFAULT 'all', breakdown_value VARCHAR NOT NULL DEFAULT 'all',
            period_label VARCHAR NOT NULL, period_type VARCHAR NOT NULL,
            period_start DATE NOT NULL, period_end DATE NOT NULL,
            value DOUBLE, numerator DOUBLE, denominator DOUBLE, lower_ci DOUBLE, upper_ci DOUBLE,
            status VARCHAR NOT NULL DEFAULT 'published', status_note VARCHAR, commentary VARCHAR,
            is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            batch_id BIGINT NOT NULL, version INTEGER NOT NULL,
            valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        CREATE INDEX obs_indicator ON observations (indicator_id);
        CREATE TABLE narratives (
            outcome_area VARCHAR NOT NULL, period_label VARCHAR NOT NULL,
            progress VARCHAR, risks_barriers VARCHAR, service_user_feedback VARCHAR,
            publishable BOOLEAN DEFAULT FALSE, is_demo BOOLEAN DEFAULT FALSE,
            batch_id BIGINT NOT NULL, valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        CREATE TABLE meetings (meeting_date DATE PRIMARY KEY, title VARCHAR);
        CREATE TABLE audit_log (
            audit_id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
            logged_at TIMESTAMP NOT NULL, actor VARCHAR, action VARCHAR NOT NULL, detail JSON);
        CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR);
        CREATE VIEW current_observations AS SELECT * FROM observations WHERE valid_to IS NULL;
        CREATE VIEW current_narratives AS SELECT * FROM narratives WHERE valid_to IS NULL;
    """),
    (2, "user accounts", """
        CREATE TABLE users (
            email VARCHAR PRIMARY KEY,             -- lower case
            role VARCHAR NOT NULL,                 -- viewer | lead | analyst | admin
            areas VARCHAR[] NOT NULL,              -- outcome areas a lead submits for
            password_hash VARCHAR,                 -- argon2id; NULL: single sign-on only
            failed_attempts INTEGER NOT NULL DEFAULT 0, locked_until TIMESTAMP,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR, last_sign_in TIMESTAMP);
    """),
    # Keeping an index up to date made a 640,000-row import spend most of its time on it. Value ids
    # are now given by the writer (`write_observations`: the largest id so far plus the row's
    # number, under the store's write lock; one process at a time holds the file for writing).
    (3, "observations without index maintenance on import", """
        CREATE TABLE observations_v3 (
            obs_id BIGINT NOT NULL,
            indicator_id VARCHAR NOT NULL, area_code VARCHAR NOT NULL,
            breakdown_type VARCHAR NOT NULL DEFAULT 'all', breakdown_value VARCHAR NOT NULL DEFAULT 'all',
            period_label VARCHAR NOT NULL, period_type VARCHAR NOT NULL,
            period_start DATE NOT NULL, period_end DATE NOT NULL,
            value DOUBLE, numerator DOUBLE, denominator DOUBLE, lower_ci DOUBLE, upper_ci DOUBLE,
            status VARCHAR NOT NULL DEFAULT 'published', status_note VARCHAR, commentary VARCHAR,
            is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            batch_id BIGINT NOT NULL, version INTEGER NOT NULL,
            valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        INSERT INTO observations_v3 SELECT * FROM observations ORDER BY obs_id;
        DROP VIEW current_observations;
        DROP TABLE observations;
        ALTER TABLE observations_v3 RENAME TO observations;
        DROP SEQUENCE obs_seq;
        CREATE VIEW current_observations AS SELECT * FROM observations WHERE valid_to IS NULL;
    """),
    # What the publisher said of a value against a benchmark (Fingertips' "Compared to England"), kept
    # beside the value so that a value it did not compare is not compared by us either. A changed label
    # is added as a new row and the old one kept (is_current false), as values are.
    (4, "published comparisons", """
        CREATE TABLE published_comparisons (
            indicator_id VARCHAR NOT NULL, area_code VARCHAR NOT NULL, breakdown_type VARCHAR NOT NULL,
            breakdown_value VARCHAR NOT NULL, period_label VARCHAR NOT NULL, versus VARCHAR NOT NULL,
            label VARCHAR NOT NULL, batch_id BIGINT NOT NULL, is_current BOOLEAN NOT NULL);
        CREATE VIEW current_published_comparisons AS
            SELECT * EXCLUDE (is_current) FROM published_comparisons WHERE is_current;
    """),
    # A change of definition or of service on a date, after which a KPI's SPC limits restart (issue 21),
    # recorded by an administrator. Never deleted: removing one closes it (valid_to, removed_by, removal_reason),
    # so the limits a board saw at a meeting can be drawn again; each change is also in the audit log.
    (5, "SPC rebases", """
        CREATE SEQUENCE rebase_seq START 1;
        CREATE TABLE rebases (
            rebase_id BIGINT PRIMARY KEY DEFAULT nextval('rebase_seq'),
            kpi_id VARCHAR NOT NULL, rebase_date DATE NOT NULL, reason VARCHAR NOT NULL,
            recorded_by VARCHAR, valid_from TIMESTAMP NOT NULL,
            valid_to TIMESTAMP, removed_by VARCHAR, removal_reason VARCHAR);
    """),
    # The partnership's meetings as it runs them (kpis.governance): who attended, the decisions and actions,
    # and the escalations. Each record keeps every version: an edit closes the old row (valid_to) and adds the
    # next, with who made it, as values are. `record_id` is the record's id across its versions.
    (6, "meeting records", """
        CREATE SEQUENCE governance_seq START 1;
        CREATE TABLE meeting_attendance (
            record_id BIGINT NOT NULL, meeting_date DATE NOT NULL, member VARCHAR NOT NULL,
            organisation VARCHAR, status VARCHAR NOT NULL,        -- present | substitute | apologies | absent
            substitute_for VARCHAR,                              -- whom a substitute stood in for
            removed BOOLEAN NOT NULL DEFAULT FALSE, is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            version INTEGER NOT NULL, recorded_by VARCHAR, valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        CREATE TABLE meeting_items (
            record_id BIGINT NOT NULL, meeting_date DATE NOT NULL,
            kind VARCHAR NOT NULL,                               -- decision | action
            text VARCHAR NOT NULL, owner VARCHAR, due_date DATE,
            status VARCHAR,                                      -- actions: open | in_progress | done | dropped
            published BOOLEAN NOT NULL DEFAULT FALSE,
            removed BOOLEAN NOT NULL DEFAULT FALSE, is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            version INTEGER NOT NULL, recorded_by VARCHAR, valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        CREATE TABLE meeting_escalations (
            record_id BIGINT NOT NULL, meeting_date DATE NOT NULL, escalated_on DATE NOT NULL,
            body VARCHAR NOT NULL, reason VARCHAR NOT NULL, outcome VARCHAR, outcome_on DATE,
            removed BOOLEAN NOT NULL DEFAULT FALSE, is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            version INTEGER NOT NULL, recorded_by VARCHAR, valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
    """),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

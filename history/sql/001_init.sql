-- Schema version 1 of the history store (docs/history.md).
CREATE TABLE schema_version (
    version    INTEGER NOT NULL,
    applied_at TIMESTAMP NOT NULL
);

CREATE TABLE history_meta (
    app        VARCHAR NOT NULL,   -- always 'enrollaudit history': tells our files from other DuckDB files
    created_at TIMESTAMP NOT NULL
);

-- One row per run recorded, or per report imported. Amounts in cents.
CREATE TABLE run (
    run_id               BIGINT PRIMARY KEY,
    as_of                DATE NOT NULL,
    recorded_at          TIMESTAMP NOT NULL,
    source               VARCHAR NOT NULL,   -- 'run', or 'import' of an earlier report.json
    tool_version         VARCHAR NOT NULL,
    rules_hash           VARCHAR NOT NULL,
    marketplace_rows     BIGINT NOT NULL,
    insurer_rows         BIGINT NOT NULL,
    marketplace_rejected BIGINT NOT NULL,
    insurer_rejected     BIGINT NOT NULL,
    matched_members      BIGINT NOT NULL,
    matched_policies     BIGINT NOT NULL,
    findings             BIGINT NOT NULL,
    people_affected      BIGINT NOT NULL,
    policies_affected    BIGINT NOT NULL,
    monthly_amount_cents BIGINT NOT NULL
);

-- The issuers a run covered. '' stands for findings without an issuer and
-- is in every run's scope.
CREATE TABLE run_scope (
    run_id         BIGINT NOT NULL,
    issuer_hios_id VARCHAR NOT NULL
);

CREATE TABLE run_input (
    run_id        BIGINT NOT NULL,
    position      INTEGER NOT NULL,
    side          VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    bytes         BIGINT NOT NULL,
    sha256        VARCHAR NOT NULL,
    rows_loaded   BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL
);

-- Every finding open in a run: what the run saw. No personal data: keys,
-- the amount and a hash of the compared values only.
CREATE TABLE finding (
    run_id               BIGINT NOT NULL,
    id                   VARCHAR NOT NULL,
    rule                 VARCHAR NOT NULL,
    category             VARCHAR NOT NULL,
    severity             VARCHAR NOT NULL,
    issuer_hios_id       VARCHAR NOT NULL,
    exchange_policy_id   VARCHAR,
    exchange_member_id   VARCHAR,
    monthly_amount_cents BIGINT,
    values_hash          VARCHAR NOT NULL
);

-- Derived from run, run_scope and finding (lifecycle.sql), recomputed for
-- the runs a change affects: the status of each finding in each run,
-- including the resolved and not_evaluated ones that the run did not see.
CREATE TABLE lifecycle (
    run_id             BIGINT NOT NULL,
    id                 VARCHAR NOT NULL,
    issuer_hios_id     VARCHAR NOT NULL,
    rule               VARCHAR NOT NULL,
    category           VARCHAR NOT NULL,
    exchange_policy_id VARCHAR,
    exchange_member_id VARCHAR,
    status             VARCHAR NOT NULL,
    first_seen         DATE NOT NULL,
    last_seen          DATE NOT NULL,
    runs_seen          INTEGER NOT NULL
);

-- The run that describes each issuer at each as-of date: the latest one
-- recorded for that date whose scope holds the issuer; k numbers an
-- issuer's dates in order.
CREATE VIEW observation AS
SELECT run_id, issuer_hios_id, as_of,
       row_number() OVER (PARTITION BY issuer_hios_id ORDER BY as_of) AS k
FROM (
    SELECT s.run_id, s.issuer_hios_id, r.as_of,
           row_number() OVER (PARTITION BY s.issuer_hios_id, r.as_of ORDER BY s.run_id DESC) AS latest
    FROM run_scope s JOIN run r USING (run_id)
)
WHERE latest = 1;

-- Each run's previous run: the latest earlier run that described one of
-- its issuers (through a real issuer when there is one).
CREATE VIEW run_previous AS
SELECT run_id, previous_run_id
FROM (
    SELECT o.run_id, p.run_id AS previous_run_id,
           row_number() OVER (PARTITION BY o.run_id
                              ORDER BY (o.issuer_hios_id <> '') DESC, p.as_of DESC, p.run_id DESC) AS pick
    FROM observation o
    JOIN observation p ON p.issuer_hios_id = o.issuer_hios_id AND p.k = o.k - 1
)
WHERE pick = 1;

-- Schema version 2: integrity figures per run, in total and per issuer or
-- state (grouping 'total' has group_key ''). Amounts in cents.
CREATE TABLE run_integrity (
    run_id                 BIGINT NOT NULL,
    grouping               VARCHAR NOT NULL,   -- total, issuer, state
    group_key              VARCHAR NOT NULL,
    policies               BIGINT NOT NULL,
    policies_intact        BIGINT NOT NULL,
    people                 BIGINT NOT NULL,
    people_intact          BIGINT NOT NULL,
    dollars_at_stake_cents BIGINT NOT NULL
);

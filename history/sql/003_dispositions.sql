-- Schema version 3: dispositions, the answers given to findings
-- (docs/dispositions.md). They are events: every one is kept, and a
-- finding's latest one counts. Each imported file is recorded once, by its
-- SHA-256: importing it again changes nothing.
CREATE TABLE disposition_source (
    source_id   BIGINT PRIMARY KEY,
    name        VARCHAR NOT NULL,          -- the file's base name
    sha256      VARCHAR NOT NULL UNIQUE,
    recorded_by VARCHAR NOT NULL,          -- --by, the workbook's author, or the OS user
    recorded_at TIMESTAMP NOT NULL
);

CREATE TABLE disposition (
    source_id BIGINT NOT NULL,
    position  INTEGER NOT NULL,            -- order within the file: of two answers, the later counts
    id        VARCHAR NOT NULL,            -- the finding's id
    status    VARCHAR NOT NULL,            -- agree, corrected, disputed, not_an_error, waived
    comment   VARCHAR NOT NULL,
    until     DATE,                        -- required for waived
    sheet     VARCHAR NOT NULL,            -- '' for CSV
    row       INTEGER NOT NULL             -- 1-based row (CSV: line) in the file
);

-- +goose Up
-- Org chart, profiles and reimbursement details (PRODUCT.md sections 10
-- and 11): profile pictures cached from the HR system, and bank details
-- imported from Personio: IBAN, BIC and holder sealed together (secrets.Box,
-- associated data org+user), only the masked IBAN in clear for display.
CREATE TABLE user_pictures (
    org_id       INTEGER     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id      INTEGER     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content_type TEXT        NOT NULL DEFAULT '',
    data         BLOB,
    fetched_at   DATETIME    NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE bank_details (
    org_id      INTEGER     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     INTEGER     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    personio_id INTEGER,
    data_enc    TEXT        NOT NULL DEFAULT '',
    iban_masked TEXT        NOT NULL DEFAULT '',
    iban_valid  INTEGER     NOT NULL DEFAULT 0,
    bic_valid   INTEGER     NOT NULL DEFAULT 0,
    has_holder  INTEGER     NOT NULL DEFAULT 0,
    warning     TEXT        NOT NULL DEFAULT '',
    source      TEXT        NOT NULL DEFAULT 'personio',
    run_id      INTEGER,
    updated_at  DATETIME    NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

-- +goose Down
DROP TABLE bank_details;
DROP TABLE user_pictures;

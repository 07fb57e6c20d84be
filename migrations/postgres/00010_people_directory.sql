-- +goose Up
-- Org chart, profiles and reimbursement details (PRODUCT.md sections 10
-- and 11): profile pictures cached from the HR system, and bank details
-- imported from Personio: IBAN, BIC and holder sealed together (secrets.Box,
-- associated data org+user), only the masked IBAN in clear for display.
CREATE TABLE user_pictures (
    org_id       BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content_type TEXT        NOT NULL DEFAULT '',
    data         BYTEA,
    fetched_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE bank_details (
    org_id      BIGINT      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    personio_id BIGINT,
    data_enc    TEXT        NOT NULL DEFAULT '',
    iban_masked TEXT        NOT NULL DEFAULT '',
    iban_valid  BOOLEAN     NOT NULL DEFAULT FALSE,
    bic_valid   BOOLEAN     NOT NULL DEFAULT FALSE,
    has_holder  BOOLEAN     NOT NULL DEFAULT FALSE,
    warning     TEXT        NOT NULL DEFAULT '',
    source      TEXT        NOT NULL DEFAULT 'personio',
    run_id      BIGINT,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

-- +goose Down
DROP TABLE bank_details;
DROP TABLE user_pictures;

CREATE TABLE key_pages (
    table_name TEXT NOT NULL,
    company_id TEXT NOT NULL,
    page BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (table_name, company_id, page)
);

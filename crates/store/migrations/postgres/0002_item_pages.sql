CREATE TABLE item_pages (
    company_id TEXT NOT NULL,
    page BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (company_id, page)
);

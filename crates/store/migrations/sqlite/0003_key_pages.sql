CREATE TABLE key_pages (
    table_name TEXT NOT NULL,
    company_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (table_name, company_id, page)
);

CREATE TABLE item_pages (
    company_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (company_id, page)
);

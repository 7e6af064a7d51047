-- SQLite's version of this migration moves rows into their primary key's B-tree; PostgreSQL
-- keeps heap tables. Here: page blobs are written and read whole, so they are kept
-- uncompressed (compressing them costs more than it saves).
ALTER TABLE item_pages ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE key_pages ALTER COLUMN data SET STORAGE EXTERNAL;

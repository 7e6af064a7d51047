-- What a sync remembers of each large file: the hash of every row's line, in file order, in
-- parts of up to a million lines; the stamp names the header and version they were read with.
CREATE TABLE line_memory (
    file TEXT NOT NULL,
    part INTEGER NOT NULL,
    stamp INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (file, part)
);

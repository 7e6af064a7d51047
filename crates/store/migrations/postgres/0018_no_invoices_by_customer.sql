-- No query reads the invoices by customer: a customer's items are read from its item pages,
-- and every other reading of the invoices is by key. The index only gave each invoice a
-- second B-tree entry to write on every sync.
DROP INDEX IF EXISTS invoices_by_customer;

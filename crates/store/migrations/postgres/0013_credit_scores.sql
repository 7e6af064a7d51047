-- Credit scores of `customers.csv`: the customer's own and up to three credit bureaus'.
-- Text: scores may be numbers or grades.
ALTER TABLE customers ADD COLUMN credit_score TEXT;
ALTER TABLE customers ADD COLUMN bureau_score_1 TEXT;
ALTER TABLE customers ADD COLUMN bureau_score_2 TEXT;
ALTER TABLE customers ADD COLUMN bureau_score_3 TEXT;

"""The DuckDB reference of the benchmark: the same book aged, and the same 30 filters run, in
DuckDB's SQL on the same machine, so that `arrears-bench`'s figures can be set against it.

    pip install duckdb
    arrears aging --db sqlite:bench-out/bench-1000000.db --format csv --as-of 2026-11-23 \
        > bench-out/figures-1000000.csv
    python3 crates/bench/reference/duckdb_reference.py bench-out/book-1000000-2026-11-23-0 \
        bench-out/figures-1000000.csv --as-of 2026-11-23

- Aging: the book is loaded once into a DuckDB file (`BOOK.duckdb`), each invoice with its
  closing date (the latest effective date of its applications, as a sync works it out). Each
  round then opens the file afresh, works out every figure of sections 3 and 5 of the
  contract that `arrears aging --by company` gives (the buckets, past due, over_N, late
  items, oldest item, cost of credit, ADL and weighted ADL, ADP, net credit sales, DSO,
  projected payments) for every customer, and totals them per company. The totals are
  printed so they can be checked against `arrears aging --by company`.
- Filters: the customers' figures (`arrears aging --format csv`, with `date_established`
  from the book) and the open items are loaded into memory; each round runs the starter
  ladder's nine filters and `arrears-bench`'s 21 more (`EXTRA_RULES` in `src/main.rs`; keep
  both lists alike), each as one query whose matching keys DuckDB keeps in a table. The
  work figures of a first run (no activities yet) are null.

Both on two threads, timed by the clock on the wall and by the process's processor time.
"""
import argparse
import os
import time

import duckdb

MONEY = "DECIMAL(18,4)"

AGING = """
WITH i AS (SELECT company_id, customer_id, tran_type, tran_date, due_date, amount_hc, balance, balance_hc, closing_date,
     {D} - tran_date AS td, {D} - coalesce(due_date, tran_date) AS dd FROM inv),
o AS (SELECT company_id, customer_id,
  SUM(balance_hc) AS total_age,
  SUM(balance_hc) FILTER (WHERE dd > 0) AS total_past_due,
  SUM(balance_hc) FILTER (WHERE td < 0) AS age_future,
  SUM(balance_hc) FILTER (WHERE td BETWEEN 0 AND 30) AS age_current,
  SUM(balance_hc) FILTER (WHERE td BETWEEN 31 AND 60) AS age_1,
  SUM(balance_hc) FILTER (WHERE td BETWEEN 61 AND 90) AS age_2,
  SUM(balance_hc) FILTER (WHERE td BETWEEN 91 AND 120) AS age_3,
  SUM(balance_hc) FILTER (WHERE td > 120) AS age_4,
  SUM(balance_hc) FILTER (WHERE dd <= 0) AS due_current,
  SUM(balance_hc) FILTER (WHERE dd BETWEEN 1 AND 30) AS due_age_1,
  SUM(balance_hc) FILTER (WHERE dd BETWEEN 31 AND 60) AS due_age_2,
  SUM(balance_hc) FILTER (WHERE dd BETWEEN 61 AND 90) AS due_age_3,
  SUM(balance_hc) FILTER (WHERE dd BETWEEN 91 AND 120) AS due_age_4,
  SUM(balance_hc) FILTER (WHERE dd > 120) AS due_age_5,
  SUM(balance_hc) FILTER (WHERE dd > 30) AS over_30,
  SUM(balance_hc) FILTER (WHERE dd > 60) AS over_60,
  SUM(balance_hc) FILTER (WHERE dd > 90) AS over_90,
  COUNT(*) FILTER (WHERE dd > 0 AND tran_type IN ('IN','FC','DM')) AS no_over_due_inv,
  MAX(td) AS oldest_tran_date_days,
  ROUND(SUM(balance_hc * 10 / 100 * td / 365) FILTER (WHERE td > 0), 2) AS coc_balance
  FROM i WHERE balance <> 0 GROUP BY ALL),
pd AS (SELECT company_id, customer_id,
  AVG(closing_date - due_date) FILTER (WHERE closing_date > {D} - INTERVAL 6 MONTH) AS adl,
  SUM((closing_date - due_date) * amount_hc) FILTER (WHERE closing_date > {D} - INTERVAL 6 MONTH)
    / SUM(amount_hc) FILTER (WHERE closing_date > {D} - INTERVAL 6 MONTH) AS adl_w,
  COUNT(*) AS paid, AVG(closing_date - tran_date) AS adp,
  ROUND(AVG(closing_date - due_date)) AS proj_days
  FROM i WHERE balance = 0 AND tran_type IN ('IN','FC','DM') AND closing_date <= {D} GROUP BY ALL),
s AS (SELECT company_id, customer_id, SUM(amount_hc) AS ncs FROM i
  WHERE tran_date > {D} - 365 AND tran_date <= {D} GROUP BY ALL),
pp AS (SELECT i.company_id, i.customer_id,
  SUM(balance_hc) FILTER (WHERE g <= {D} + 7) AS p7, SUM(balance_hc) FILTER (WHERE g <= {D} + 14) AS p14,
  SUM(balance_hc) FILTER (WHERE g <= {D} + 21) AS p21, SUM(balance_hc) FILTER (WHERE g <= {D} + 28) AS p28,
  SUM(balance_hc) FILTER (WHERE g <= {D} + 35) AS p35
  FROM (SELECT i.*, greatest(i.due_date + CAST(coalesce(pd.proj_days, 0) AS INTEGER), {D}) AS g
        FROM i LEFT JOIN pd USING (company_id, customer_id)
        WHERE i.balance <> 0 AND i.tran_type IN ('IN','FC','DM')) i GROUP BY ALL),
c AS (SELECT * FROM o FULL JOIN pd USING (company_id, customer_id) FULL JOIN s USING (company_id, customer_id)
      FULL JOIN pp USING (company_id, customer_id))
SELECT company_id, COUNT(*), SUM(total_age), SUM(total_past_due), SUM(due_age_5), SUM(coc_balance),
  SUM(ncs), SUM(total_age) / SUM(ncs) * 365, SUM(p35), SUM(paid)
FROM c GROUP BY company_id ORDER BY company_id"""

OWED = "tran_type <> 'CM' AND balance > 0"
INVOICE_FILTERS = [
    f"{OWED} AND due_date_days >= -3 AND due_date_days < 0",
    f"{OWED} AND due_date_days >= 1",
    f"{OWED} AND due_date_days >= 5 AND due_date_days < 30",
    f"{OWED} AND due_date_days >= 15",
    f"{OWED} AND due_date_days >= 30 AND due_date_days < 60",
    f"{OWED} AND due_date_days >= 45",
    f"{OWED} AND due_date_days >= 60",
    "due_date_days > 700 AND balance_hc > 20000",
    "tran_type = 'FC' AND balance > 5000 AND due_date_days > 90",
    "percent_paid > 0.9 AND balance_hc > 10000 AND due_date_days > 60",
    "tran_type = 'DM' AND due_date_days >= 365 AND balance_hc > 15000",
    "amount_hc > 50000 AND due_date_days > 400",
]
CUSTOMER_FILTERS = [
    "date_established_days >= 0 AND date_established_days <= 30 AND last_activity_date IS NULL",
    "credit_limit IS NOT NULL AND date_established_days >= 365"
    " AND (days_since_closed_activity IS NULL OR days_since_closed_activity >= 365)",
    "total_past_due > 250000 AND over_90 > 0",
    "available_credit < -50000",
    "dso > 400 AND total_age > 100000",
    "avg_days_late > 90 AND no_over_due_inv >= 5",
    "credit_hold AND total_past_due > 0 AND over_120 > 50000",
    "customer_class IN ('GOVT', 'NONPROFIT') AND over_120 > 100000",
    "coc_balance > 5000",
    "proj_pmts_35 > 200000 AND avg_days_to_pay_total > 120",
    "total_age > 150000 AND over_60 / NULLIF(total_age, 0) > 0.95",
    "starts_with(name, 'Zz') AND total_age > 0",
    "currency <> 'USD' AND total_past_due > 200000",
    "oldest_tran_date_days > 900 AND over_120 > 80000",
    "avg_days_late_weighted - avg_days_late > 60",
    "due_age_5 > 300000",
    "age_4 > 300000 AND age_future = 0",
    "net_credit_sales > 2000000 AND dso > 200",
]
assert len(INVOICE_FILTERS) + len(CUSTOMER_FILTERS) == 30

# The figures' columns that hold money or decimals.
DECIMALS = [
    "total_age", "total_past_due", "credit_limit", "available_credit", "age_future", "age_4",
    "due_age_5", "over_60", "over_90", "over_120", "avg_days_late", "avg_days_late_weighted",
    "avg_days_to_pay_total", "coc_balance", "net_credit_sales", "dso", "proj_pmts_35",
]


def csv(path, types):
    listed = ", ".join(f"'{column}': '{kind}'" for column, kind in types.items())
    return f"read_csv('{path}', header = true, types = {{{listed}}})"


def load_book(book, path, as_of):
    """The book in a DuckDB file, each paid invoice with its closing date."""
    db = duckdb.connect(path)
    applications = csv(f"{book}/payment_applications.csv", {"applied_date": "DATE"})
    payments = csv(f"{book}/payments.csv", {"payment_date": "DATE"})
    invoices = csv(
        f"{book}/invoices.csv",
        {"amount": MONEY, "balance": MONEY, "amount_hc": MONEY, "balance_hc": MONEY,
         "tran_date": "DATE", "due_date": "DATE"},
    )
    db.execute(f"""CREATE TABLE inv AS
        SELECT i.*, CASE WHEN i.balance = 0 THEN coalesce(c.closing, DATE '{as_of}') END
            AS closing_date
        FROM {invoices} i LEFT JOIN (
            SELECT a.company_id, a.tran_id, MAX(coalesce(a.applied_date, p.payment_date))
                AS closing
            FROM {applications} a JOIN {payments} p USING (company_id, payment_id)
            GROUP BY ALL) c USING (company_id, tran_id)
        ORDER BY company_id, customer_id, tran_id""")
    db.close()


def aging(path, as_of):
    """Every customer's figures, totalled per company, from the file opened afresh."""
    wall, processor = time.time(), time.process_time()
    db = duckdb.connect(path, read_only=True)
    db.execute("SET threads TO 2")
    rows = db.execute(AGING.format(D=f"DATE '{as_of}'")).fetchall()
    db.close()
    return time.time() - wall, time.process_time() - processor, rows


def load_filters(path, figures, book, as_of):
    db = duckdb.connect()
    db.execute("SET threads TO 2")
    db.execute(f"ATTACH '{path}' AS book (READ_ONLY)")
    customers = csv(f"{book}/customers.csv", {"date_established": "DATE"})
    db.execute(f"""CREATE TABLE cf AS
        SELECT f.*, DATE '{as_of}' - c.date_established AS date_established_days,
            NULL::DATE AS last_activity_date, NULL::INTEGER AS days_since_closed_activity
        FROM {csv(figures, dict.fromkeys(DECIMALS, MONEY))} f
        JOIN {customers} c USING (company_id, customer_id)""")
    db.execute(f"""CREATE TABLE oi AS
        SELECT *, DATE '{as_of}' - due_date AS due_date_days,
            CASE WHEN amount <> 0 THEN (amount - balance) / amount END AS percent_paid
        FROM book.inv WHERE balance <> 0""")
    return db


def filters(db):
    """The 30 filters, each one query whose matches DuckDB keeps; how many matched."""
    wall, processor = time.time(), time.process_time()
    matched = 0
    for table, key, listed in [("oi", "tran_id", INVOICE_FILTERS),
                               ("cf", "customer_id", CUSTOMER_FILTERS)]:
        for f in listed:
            db.execute(f"CREATE OR REPLACE TEMP TABLE m AS "
                       f"SELECT company_id, {key} FROM {table} WHERE {f}")
            matched += db.execute("SELECT count(*) FROM m").fetchone()[0]
    return time.time() - wall, time.process_time() - processor, matched


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", help="the benchmark's book folder")
    parser.add_argument("figures", help="`arrears aging --format csv` of the book's store")
    parser.add_argument("--as-of", default="2026-11-23")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path = os.path.normpath(args.book) + ".duckdb"
    if not os.path.exists(path):
        started = time.time()
        load_book(args.book, path, args.as_of)
        print(f"loaded {path} in {time.time() - started:.1f} s")
    for _ in range(args.rounds):
        wall, processor, rows = aging(path, args.as_of)
        print(f"aging by company: {wall:.3f} s ({processor:.3f} s of processor time)")
    print("company, customers, total_age, total_past_due, due_age_5, coc_balance,"
          " net_credit_sales, dso, proj_pmts_35, paid invoices")
    for row in rows:
        print(", ".join(str(v) for v in row))
    db = load_filters(path, args.figures, args.book, args.as_of)
    for _ in range(args.rounds):
        wall, processor, matched = filters(db)
        print(f"30 filters: {wall:.3f} s ({processor:.3f} s of processor time), "
              f"{matched} matches")


if __name__ == "__main__":
    main()

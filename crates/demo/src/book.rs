//! One customer's book: its invoices, credit memos, payments and applications.

use std::io;

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::{Counts, Writers, cents, changes};

/// One customer's invoices, payments and credit memos.
pub(crate) struct Book<'a> {
    pub(crate) company: &'a str,
    pub(crate) customer: &'a str,
    pub(crate) currency: &'a str,
    /// Home currency per 100 units of the customer's currency, when it is foreign.
    pub(crate) rate: Option<i64>,
    pub(crate) terms: &'a str,
    pub(crate) term_days: u64,
    pub(crate) profile: (i64, i64),
    pub(crate) as_of: NaiveDate,
}

impl Book<'_> {
    fn home(&self, c: i64) -> i64 {
        self.rate.map_or(c, |r| (c * r + 50).div_euclid(100))
    }

    pub(crate) fn invoices(
        &self,
        w: &mut Writers,
        rng: &mut ChaCha8Rng,
        counts: &mut Counts,
        number: usize,
        changed: u32,
    ) -> io::Result<()> {
        let n = rng.random_range(6..=14);
        for k in 0..n {
            let tran_id = format!("I{number:07}{k:02}");
            let age: i64 = if rng.random_ratio(1, 50) {
                -rng.random_range(1..60)
            } else {
                rng.random_range(0..540)
            };
            let tran = if age < 0 {
                self.as_of + Days::new(age.unsigned_abs())
            } else {
                self.as_of - Days::new(age as u64)
            };
            let due = tran + Days::new(self.term_days);
            let amount =
                rng.random_range(50_00..2_000_000) / if rng.random_ratio(1, 3) { 10 } else { 1 };
            let late = self.profile.0 + rng.random_range(-self.profile.1..=self.profile.1);
            let paid_on = due
                .checked_add_signed(chrono::Duration::days(late))
                .unwrap_or(due)
                .max(tran);
            let (tran_type, amount) = if rng.random_ratio(1, 25) && age > 45 {
                ("FC", amount / 20 + 500)
            } else if rng.random_ratio(1, 60) {
                ("DM", amount / 5)
            } else {
                ("IN", amount)
            };
            let stuck = self.profile.0 > 60 && rng.random_ratio(1, 3);
            let balance = if paid_on <= self.as_of && !stuck {
                self.pay(w, counts, &tran_id, amount, paid_on, k)?;
                0
            } else if rng.random_ratio(3, 20) && age > 20 {
                let part = amount / 4;
                let on = tran + Days::new(rng.random_range(1..=age as u64));
                self.pay(w, counts, &tran_id, part, on, k)?;
                amount - part
            } else {
                amount
            };
            let comment = if changes(changed, number, k) {
                "revised"
            } else {
                ""
            };
            self.item(
                w,
                &tran_id,
                tran_type,
                tran,
                Some(due),
                amount,
                balance,
                comment,
            )?;
            counts.invoices += 1;
            if rng.random_ratio(1, 20) {
                let credit = -(amount / 10);
                let open = rng.random_ratio(1, 5);
                self.item(
                    w,
                    &format!("M{number:07}{k:02}"),
                    "CM",
                    tran + Days::new(5),
                    None,
                    credit,
                    if open { credit } else { 0 },
                    "",
                )?;
                counts.invoices += 1;
            }
        }
        Ok(())
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "an invoice row has this many fields"
    )]
    fn item(
        &self,
        w: &mut Writers,
        tran_id: &str,
        tran_type: &str,
        tran: NaiveDate,
        due: Option<NaiveDate>,
        amount: i64,
        balance: i64,
        comment: &str,
    ) -> io::Result<()> {
        let po = if tran.day().is_multiple_of(7) {
            String::new()
        } else {
            format!("PO-{}", &tran_id[1..])
        };
        w.invoices.write_record([
            self.company,
            self.customer,
            tran_id,
            tran_type,
            &tran.to_string(),
            &due.map(|d| d.to_string()).unwrap_or_default(),
            &cents(amount),
            &cents(balance),
            self.currency,
            &cents(self.home(amount)),
            &cents(self.home(balance)),
            self.terms,
            &po,
            comment,
        ])?;
        Ok(())
    }

    fn pay(
        &self,
        w: &mut Writers,
        counts: &mut Counts,
        tran_id: &str,
        amount: i64,
        on: NaiveDate,
        k: usize,
    ) -> io::Result<()> {
        let payment_id = format!("P{}{k:02}", &tran_id[1..]);
        w.payments.write_record([
            self.company,
            self.customer,
            &payment_id,
            &on.to_string(),
            &cents(amount),
            self.currency,
            &cents(self.home(amount)),
            ["Check", "ACH", "Wire", "Card"][k % 4],
            &format!("REF{}", &payment_id[1..]),
        ])?;
        w.applications.write_record([
            self.company,
            &payment_id,
            tran_id,
            &cents(amount),
            &on.to_string(),
        ])?;
        counts.payments += 1;
        counts.applications += 1;
        Ok(())
    }
}

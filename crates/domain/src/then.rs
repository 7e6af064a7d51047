//! The book as a past business date knew it. A sync that changes an invoice keeps the row it
//! replaces, valid until the sync's business date, and an invoice a later sync brings counts
//! as absent until then; the aging of a past date puts, for each invoice changed since, the
//! version it had that day in place of today's, so that it gives what it gave that day.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::Item;
use crate::plans::Adjusted;

/// One invoice as a past day knew it: its tran_id, and its item then, none when no sync had
/// brought it yet.
type Version = (String, Option<Item>);

/// The invoices a past day knew otherwise than today, by company and customer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Then {
    by_customer: HashMap<String, HashMap<String, Vec<Version>>>,
}

impl Then {
    /// From `(company_id, customer_id, tran_id, item then)`.
    pub fn new(versions: impl IntoIterator<Item = (String, String, String, Option<Item>)>) -> Then {
        let mut by_customer: HashMap<String, HashMap<String, Vec<Version>>> = HashMap::new();
        for (company, customer, tran_id, item) in versions {
            by_customer
                .entry(company)
                .or_default()
                .entry(customer)
                .or_default()
                .push((tran_id, item));
        }
        Then { by_customer }
    }

    pub fn is_empty(&self) -> bool {
        self.by_customer.is_empty()
    }

    /// A customer's items as the day knew them: today's items, each changed one as it was
    /// then, those not yet loaded left out.
    pub fn restore<'a, 'b>(
        &self,
        company: &str,
        customer: &str,
        items: &'a [Item],
        ids: &'a [(&'b str, &'b str)],
    ) -> Adjusted<'a, 'b> {
        let Some(versions) = self.by_customer.get(company).and_then(|c| c.get(customer)) else {
            return (Cow::Borrowed(items), Cow::Borrowed(ids));
        };
        let mut out_items = Vec::with_capacity(items.len());
        let mut out_ids = Vec::with_capacity(items.len());
        for (item, id) in items.iter().zip(ids) {
            match versions.iter().find(|(tran_id, _)| tran_id == id.0) {
                Some((_, None)) => {}
                Some((_, Some(then))) => {
                    out_items.push(then.clone());
                    out_ids.push(*id);
                }
                None => {
                    out_items.push(item.clone());
                    out_ids.push(*id);
                }
            }
        }
        (Cow::Owned(out_items), Cow::Owned(out_ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Money, TranType};
    use chrono::NaiveDate;

    fn item(balance: i64) -> Item {
        let day = NaiveDate::from_ymd_opt(2015, 1, 2).unwrap();
        let money = |units: i64| Money::from_raw(units * 10_000);
        Item {
            tran_type: TranType::Invoice,
            tran_date: day,
            due_date: Some(day),
            amount: money(2500),
            balance: money(balance),
            amount_hc: money(2500),
            balance_hc: money(balance),
            closing_date: None,
            excluded_hc: Money::ZERO,
            plan: None,
        }
    }

    #[test]
    fn changed_items_are_put_back_as_they_were_and_later_ones_left_out() {
        let then = Then::new([
            ("US01".into(), "C1".into(), "I1".into(), Some(item(2500))),
            ("US01".into(), "C1".into(), "I9".into(), None),
        ]);
        let items = [item(1500), item(700), item(900)];
        let ids = [("I1", "USD"), ("I2", "USD"), ("I9", "USD")];
        let (restored, restored_ids) = then.restore("US01", "C1", &items, &ids);
        assert_eq!(restored.as_ref(), [item(2500), item(700)]);
        assert_eq!(restored_ids.as_ref(), [("I1", "USD"), ("I2", "USD")]);
        // Another customer's items are today's, borrowed as they are.
        let (other, _) = then.restore("US01", "C2", &items, &ids);
        assert!(matches!(other, Cow::Borrowed(_)));
        assert!(Then::default().is_empty());
    }
}

//! Disputes as the aging and the rules see them on a business date: an amount of an invoice
//! in dispute, with its reason code and severity, and whether it is kept out of the aging.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::{Item, Money};

/// One open dispute on an invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenDispute {
    pub tran_id: String,
    /// In the invoice's currency.
    pub amount: Money,
    pub reason_code: String,
    pub severity: i64,
    /// The amount leaves the aging, the figures and the rules while the dispute is open.
    pub excluded: bool,
}

/// The disputes open on one business date, by company and customer.
#[derive(Clone, Debug, Default)]
pub struct Disputes {
    by_customer: HashMap<String, HashMap<String, Vec<OpenDispute>>>,
}

impl Disputes {
    pub fn new(open: impl IntoIterator<Item = (String, String, OpenDispute)>) -> Disputes {
        let mut by_customer: HashMap<String, HashMap<String, Vec<OpenDispute>>> = HashMap::new();
        for (company, customer, dispute) in open {
            by_customer
                .entry(company)
                .or_default()
                .entry(customer)
                .or_default()
                .push(dispute);
        }
        Disputes { by_customer }
    }

    pub fn is_empty(&self) -> bool {
        self.by_customer.is_empty()
    }

    /// A customer's open disputes.
    pub fn of(&self, company: &str, customer: &str) -> &[OpenDispute] {
        self.by_customer
            .get(company)
            .and_then(|c| c.get(customer))
            .map_or(&[], Vec::as_slice)
    }

    /// What is in dispute on one invoice: the amount (invoice currency) and its most severe
    /// dispute (severity 1 is the highest); none when the invoice is not in dispute.
    pub fn on<'a>(
        &'a self,
        company: &str,
        customer: &str,
        tran_id: &str,
    ) -> Option<(Money, &'a OpenDispute)> {
        let mut on = self
            .of(company, customer)
            .iter()
            .filter(|d| d.tran_id == tran_id);
        let first = on.next()?;
        Some(on.fold((first.amount, first), |(sum, worst), d| {
            let worst = if d.severity < worst.severity {
                d
            } else {
                worst
            };
            (sum + d.amount, worst)
        }))
    }

    /// Whether any of a customer's open disputes keeps an amount out of the aging.
    pub fn excludes(&self, company: &str, customer: &str) -> bool {
        self.of(company, customer).iter().any(|d| d.excluded)
    }

    /// A customer's items with the amounts their disputes keep out of the aging; the items
    /// themselves when none is excluded.
    pub fn apply<'a>(
        &self,
        company: &str,
        customer: &str,
        items: &'a [Item],
        ids: &[(&str, &str)],
    ) -> Cow<'a, [Item]> {
        if !self.excludes(company, customer) {
            return Cow::Borrowed(items);
        }
        let mut out = items.to_vec();
        self.exclude(company, customer, &mut out, ids);
        Cow::Owned(out)
    }

    /// Sets on each of a customer's items the amount its disputes keep out of the aging.
    pub fn exclude(&self, company: &str, customer: &str, items: &mut [Item], ids: &[(&str, &str)]) {
        let mut left: HashMap<&str, Money> = HashMap::new();
        for d in self.of(company, customer).iter().filter(|d| d.excluded) {
            *left.entry(d.tran_id.as_str()).or_default() += d.amount;
        }
        // An invoice split into instalments by a payment plan has one item per instalment,
        // by due date: the excluded amount comes off the latest first, as the rest of the
        // balance sits on them once payments have paid the oldest.
        for (item, (tran_id, _)) in items.iter_mut().zip(ids).rev() {
            let Some(rest) = left.get_mut(tran_id) else {
                continue;
            };
            if rest.is_zero() || !item.is_open() {
                continue;
            }
            let take = if rest.abs() >= item.balance.abs() {
                item.balance
            } else {
                *rest
            };
            item.excluded_hc = excluded_hc(item, take);
            *rest = *rest - take;
        }
    }
}

/// The home-currency part of an item's balance that `excluded` (in the item's currency)
/// keeps out of the aging: at the item's own rate, never more than its balance.
pub fn excluded_hc(item: &Item, excluded: Money) -> Money {
    if item.balance.is_zero() {
        return Money::ZERO;
    }
    if excluded.raw().abs() >= item.balance.raw().abs() {
        return item.balance_hc;
    }
    if item.balance == item.balance_hc {
        return excluded;
    }
    excluded.mul_div(item.balance_hc, item.balance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn item(balance: i64, balance_hc: i64) -> Item {
        let day = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
        Item {
            tran_type: crate::TranType::Invoice,
            tran_date: day,
            due_date: Some(day),
            amount: Money::units(balance),
            balance: Money::units(balance),
            amount_hc: Money::units(balance_hc),
            balance_hc: Money::units(balance_hc),
            closing_date: None,
            excluded_hc: Money::ZERO,
            plan: None,
        }
    }

    fn dispute(tran: &str, amount: i64, excluded: bool, severity: i64) -> OpenDispute {
        OpenDispute {
            tran_id: tran.into(),
            amount: Money::units(amount),
            reason_code: format!("R{severity}"),
            severity,
            excluded,
        }
    }

    #[test]
    fn excluded_amounts_follow_the_items_rate_and_stop_at_its_balance() {
        assert_eq!(
            excluded_hc(&item(100, 100), Money::units(10)),
            Money::units(10)
        );
        assert_eq!(
            excluded_hc(&item(100, 50), Money::units(10)),
            Money::units(5)
        );
        assert_eq!(
            excluded_hc(&item(100, 50), Money::units(500)),
            Money::units(50)
        );
        assert_eq!(excluded_hc(&item(0, 0), Money::units(5)), Money::ZERO);
        // 1/3 of 1.0000 is 0.3333.
        let third = excluded_hc(&item(3, 1), Money::units(1));
        assert_eq!(third, Money::from_raw(3333));
    }

    #[test]
    fn only_excluded_disputes_change_the_items() {
        let items = vec![item(100, 100), item(40, 40)];
        let ids = [("I1", "USD"), ("I2", "USD")];
        let kept = Disputes::new([("A".into(), "C1".into(), dispute("I1", 10, false, 2))]);
        assert!(matches!(
            kept.apply("A", "C1", &items, &ids),
            Cow::Borrowed(_)
        ));
        let out = Disputes::new([
            ("A".into(), "C1".into(), dispute("I2", 40, true, 2)),
            ("A".into(), "C1".into(), dispute("I1", 10, true, 1)),
            ("A".into(), "C1".into(), dispute("I1", 5, false, 3)),
        ]);
        let applied = out.apply("A", "C1", &items, &ids);
        assert_eq!(applied[0].excluded_hc, Money::units(10));
        assert_eq!(applied[1].aged_hc(), Money::ZERO);
        let (amount, worst) = out.on("A", "C1", "I1").unwrap();
        assert_eq!((amount, worst.severity), (Money::units(15), 1));
        assert!(out.on("A", "C1", "I9").is_none());
        assert!(out.of("A", "C2").is_empty());
    }
}

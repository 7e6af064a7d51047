//! Payment plans (payment schedules): an invoice split into instalments with due dates and
//! amounts of their own, such as 50% on Net30 and 50% on Net90. From the business date a plan
//! is made until it is cancelled, the aging, the figures and the rules see one item per
//! instalment in place of the invoice; its original due date and amounts are kept beside them.
//! Payments to the invoice pay the instalments oldest first, and each instalment is closed, and
//! measured for `days_paid_late`, on the day the payments reached it.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;

use crate::disputes::Disputes;
use crate::then::Then;
use crate::{Item, Money};

/// An amount due on a date, in the invoice's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instalment {
    pub due_date: NaiveDate,
    pub amount: Money,
}

/// A plan in force on a business date, with the payments applied to its invoice since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub plan_id: i64,
    pub tran_id: String,
    /// The business date it was made on.
    pub made_on: NaiveDate,
    /// By due date; they add up to the invoice's balance on the day the plan was made.
    pub instalments: Vec<Instalment>,
    /// Applications to the invoice dated on or after `made_on`: date and amount, by date.
    pub receipts: Vec<(NaiveDate, Money)>,
}

impl Plan {
    /// What the instalments add up to.
    pub fn total(&self) -> Money {
        self.instalments.iter().map(|i| i.amount).sum()
    }
}

/// Where an instalment stands in its plan, with the invoice's original terms
/// (`orig_due_date`, `orig_tran_amt`, `orig_tran_amt_hc`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanPart {
    pub plan_id: i64,
    /// 1-based position, by due date, of `of`.
    pub no: u16,
    pub of: u16,
    /// The oldest instalment still open: the one that counts the invoice, once, among the
    /// late invoices.
    pub lead: bool,
    pub orig_due_date: Option<NaiveDate>,
    pub orig_amount: Money,
    pub orig_amount_hc: Money,
}

/// The instalment items of an invoice under `plan`, by due date. Payments since the plan
/// (its total less the invoice's balance) pay them oldest first; whatever the balance holds
/// beyond the plan, or below zero, stays on the last. Home-currency amounts are at the
/// invoice's own rate, the open balances adding up exactly to the invoice's.
pub fn split(item: &Item, plan: &Plan) -> Vec<Item> {
    let n = plan.instalments.len();
    if n == 0 {
        return vec![item.clone()];
    }
    let mut paid_left = (plan.total() - item.balance).max(Money::ZERO);
    let mut balances: Vec<Money> = plan
        .instalments
        .iter()
        .map(|i| {
            let paid = i.amount.min(paid_left);
            paid_left = paid_left - paid;
            i.amount - paid
        })
        .collect();
    let held: Money = balances.iter().sum();
    balances[n - 1] += item.balance - held;
    let lead = balances.iter().position(|b| !b.is_zero());
    let last_open = balances.iter().rposition(|b| !b.is_zero()).unwrap_or(n - 1);
    let mut hc_left = item.balance_hc;
    let mut due_through = Money::ZERO;
    let mut out = Vec::with_capacity(n);
    for (k, (instalment, balance)) in plan.instalments.iter().zip(balances).enumerate() {
        due_through += instalment.amount;
        let balance_hc = if k == last_open {
            hc_left
        } else {
            balance.mul_div(item.balance_hc, item.balance)
        };
        hc_left = hc_left - balance_hc;
        let closing_date = balance.is_zero().then(|| {
            paid_on(plan, due_through)
                .or(item.closing_date)
                .unwrap_or(plan.made_on)
        });
        out.push(Item {
            tran_type: item.tran_type,
            tran_date: item.tran_date,
            due_date: Some(instalment.due_date),
            amount: instalment.amount,
            balance,
            amount_hc: instalment.amount.mul_div(item.amount_hc, item.amount),
            balance_hc,
            closing_date,
            excluded_hc: Money::ZERO,
            plan: Some(Box::new(PlanPart {
                plan_id: plan.plan_id,
                no: u16::try_from(k + 1).unwrap_or(u16::MAX),
                of: u16::try_from(n).unwrap_or(u16::MAX),
                lead: lead == Some(k),
                orig_due_date: item.due_date,
                orig_amount: item.amount,
                orig_amount_hc: item.amount_hc,
            })),
        });
    }
    out
}

/// The day the payments since the plan first added up to `through`; the latest payment's
/// day when they never did (the balance says it is paid but the applications fall short).
fn paid_on(plan: &Plan, through: Money) -> Option<NaiveDate> {
    let mut sum = Money::ZERO;
    for (date, amount) in &plan.receipts {
        sum += *amount;
        if sum >= through {
            return Some(*date);
        }
    }
    plan.receipts.last().map(|(date, _)| *date)
}

/// The plans in force on one business date, by company and customer.
#[derive(Clone, Debug, Default)]
pub struct Plans {
    by_customer: HashMap<String, HashMap<String, Vec<Plan>>>,
}

impl Plans {
    pub fn new(active: impl IntoIterator<Item = (String, String, Plan)>) -> Plans {
        let mut by_customer: HashMap<String, HashMap<String, Vec<Plan>>> = HashMap::new();
        for (company, customer, plan) in active {
            by_customer
                .entry(company)
                .or_default()
                .entry(customer)
                .or_default()
                .push(plan);
        }
        Plans { by_customer }
    }

    pub fn is_empty(&self) -> bool {
        self.by_customer.is_empty()
    }

    /// A customer's plans.
    pub fn of(&self, company: &str, customer: &str) -> &[Plan] {
        self.by_customer
            .get(company)
            .and_then(|c| c.get(customer))
            .map_or(&[], Vec::as_slice)
    }

    /// The plan on one invoice.
    pub fn on(&self, company: &str, customer: &str, tran_id: &str) -> Option<&Plan> {
        self.of(company, customer)
            .iter()
            .find(|p| p.tran_id == tran_id)
    }
}

/// Items with the `(tran_id, currency)` of each.
pub type Adjusted<'a, 'b> = (Cow<'a, [Item]>, Cow<'a, [(&'b str, &'b str)]>);

/// A customer's items as the aging sees them on a business date: each invoice as that day
/// knew it, then each one under a plan replaced by its instalments, then the amounts disputes
/// keep out; the items themselves when none of these applies.
pub fn adjust<'a, 'b>(
    then: &Then,
    plans: &Plans,
    disputes: &Disputes,
    company: &str,
    customer: &str,
    items: &'a [Item],
    ids: &'a [(&'b str, &'b str)],
) -> Adjusted<'a, 'b> {
    match then.restore(company, customer, items, ids) {
        (Cow::Borrowed(items), Cow::Borrowed(ids)) => {
            adjust_now(plans, disputes, company, customer, items, ids)
        }
        (items, ids) => {
            let (items, ids) = adjust_now(plans, disputes, company, customer, &items, &ids);
            (Cow::Owned(items.into_owned()), Cow::Owned(ids.into_owned()))
        }
    }
}

/// The plans and disputes of the day over the items it knew.
fn adjust_now<'a, 'b>(
    plans: &Plans,
    disputes: &Disputes,
    company: &str,
    customer: &str,
    items: &'a [Item],
    ids: &'a [(&'b str, &'b str)],
) -> Adjusted<'a, 'b> {
    let planned = plans.of(company, customer);
    if planned.is_empty() {
        return (
            disputes.apply(company, customer, items, ids),
            Cow::Borrowed(ids),
        );
    }
    let mut out_items = Vec::with_capacity(items.len() + planned.len());
    let mut out_ids = Vec::with_capacity(items.len() + planned.len());
    for (item, id) in items.iter().zip(ids) {
        match planned.iter().find(|p| p.tran_id == id.0) {
            Some(plan) => {
                for part in split(item, plan) {
                    out_items.push(part);
                    out_ids.push(*id);
                }
            }
            None => {
                out_items.push(item.clone());
                out_ids.push(*id);
            }
        }
    }
    disputes.exclude(company, customer, &mut out_items, &out_ids);
    (Cow::Owned(out_items), Cow::Owned(out_ids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disputes::OpenDispute;
    use crate::{Context, Figures, Settings, TranType};

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2015, m, d).unwrap()
    }

    /// An invoice of 1,000.00 dated 2015-01-01, due 2015-01-31, at `hc` home units per 1,000.
    fn invoice(balance: i64, hc: i64) -> Item {
        Item {
            tran_type: TranType::Invoice,
            tran_date: day(1, 1),
            due_date: Some(day(1, 31)),
            amount: Money::units(1000),
            balance: Money::units(balance),
            amount_hc: Money::units(hc),
            balance_hc: Money::units(balance).mul_div(Money::units(hc), Money::units(1000)),
            closing_date: None,
            excluded_hc: Money::ZERO,
            plan: None,
        }
    }

    /// The glossary's 50% on Net30 and 50% on Net90, made on 2015-01-01.
    fn net30_net90(receipts: Vec<(NaiveDate, Money)>) -> Plan {
        Plan {
            plan_id: 7,
            tran_id: "I1".into(),
            made_on: day(1, 1),
            instalments: vec![
                Instalment {
                    due_date: day(1, 31),
                    amount: Money::units(500),
                },
                Instalment {
                    due_date: day(4, 1),
                    amount: Money::units(500),
                },
            ],
            receipts,
        }
    }

    #[test]
    fn half_on_net30_and_half_on_net90_age_apart() {
        let item = invoice(1000, 1000);
        let parts = split(&item, &net30_net90(Vec::new()));
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].due_date, Some(day(1, 31)));
        assert_eq!(parts[1].due_date, Some(day(4, 1)));
        assert_eq!(parts[0].balance, Money::units(500));
        let part = parts[1].plan.as_deref().unwrap();
        assert_eq!((part.no, part.of, part.lead), (2, 2, false));
        assert_eq!(part.orig_due_date, Some(day(1, 31)));
        assert_eq!(part.orig_amount, Money::units(1000));
        // As of 2015-03-15 the first half is 43 days late, the second not yet due.
        let ctx = Context {
            as_of: day(3, 15),
            settings: Settings::default(),
        };
        let f = Figures::of(&parts, &ctx);
        assert_eq!(f.buckets.due[2], Money::units(500));
        assert_eq!(f.buckets.due[0], Money::units(500));
        assert_eq!(f.total_age(), Money::units(1000));
        assert_eq!(f.no_over_due_inv, 1);
        assert_eq!(f.net_sales, Money::units(1000));
        let whole = Figures::of(&[item], &ctx);
        assert_eq!(whole.buckets.due[2], Money::units(1000));
    }

    #[test]
    fn payments_pay_the_oldest_instalment_first_and_close_it_the_day_they_reach_it() {
        // 300.00 on 2015-02-05 and 400.00 on 2015-02-20: the first instalment is paid on
        // 2015-02-20, 20 days late; 200.00 of the second is paid.
        let receipts = vec![
            (day(2, 5), Money::units(300)),
            (day(2, 20), Money::units(400)),
        ];
        let parts = split(&invoice(300, 1000), &net30_net90(receipts.clone()));
        assert_eq!(parts[0].balance, Money::ZERO);
        assert_eq!(parts[0].closing_date, Some(day(2, 20)));
        assert_eq!(parts[0].paid_by(day(3, 1)).unwrap().days_paid_late, 20);
        assert_eq!(parts[1].balance, Money::units(300));
        assert_eq!(parts[1].closing_date, None);
        assert!(parts[1].plan.as_deref().unwrap().lead);
        // Paid in full on 2015-03-25, a week before its due date: −7 days late.
        let mut all = receipts;
        all.push((day(3, 25), Money::units(300)));
        let mut paid = invoice(0, 1000);
        paid.closing_date = Some(day(3, 25));
        let parts = split(&paid, &net30_net90(all));
        assert_eq!(parts[1].paid_by(day(4, 30)).unwrap().days_paid_late, -7);
        let ctx = Context {
            as_of: day(4, 30),
            settings: Settings::default(),
        };
        let f = Figures::of(&parts, &ctx);
        assert_eq!((f.late.count, f.late.sum), (2, 13));
        assert_eq!(f.total_age(), Money::ZERO);
    }

    #[test]
    fn home_currency_balances_add_up_to_the_invoices() {
        // 1,000.00 at 1,234.5678 home: 600.00 left of a 3-instalment plan.
        let mut item = invoice(600, 1000);
        item.amount_hc = Money::from_raw(12_345_678);
        item.balance_hc = Money::from_raw(7_407_407);
        let mut plan = net30_net90(vec![(day(2, 1), Money::units(400))]);
        plan.instalments = (1..=3)
            .map(|m| Instalment {
                due_date: day(m + 1, 1),
                amount: Money::from_raw(3_333_333 + i64::from(m == 3)),
            })
            .collect();
        let parts = split(&item, &plan);
        let sum: Money = parts.iter().map(|p| p.balance_hc).sum();
        assert_eq!(sum, item.balance_hc);
        let sum: Money = parts.iter().map(|p| p.balance).sum();
        assert_eq!(sum, item.balance);
        assert_eq!(parts[0].balance, Money::ZERO);
        assert_eq!(parts[1].balance, Money::from_raw(2_666_666));
    }

    #[test]
    fn a_balance_beyond_the_plan_stays_on_the_last_instalment() {
        let parts = split(&invoice(1100, 1000), &net30_net90(Vec::new()));
        assert_eq!(parts[0].balance, Money::units(500));
        assert_eq!(parts[1].balance, Money::units(600));
        let parts = split(&invoice(-50, 1000), &net30_net90(Vec::new()));
        assert_eq!(parts[0].balance, Money::ZERO);
        assert_eq!(parts[1].balance, Money::units(-50));
    }

    #[test]
    fn adjusting_splits_planned_invoices_and_excludes_disputes_from_the_latest_instalment() {
        let items = vec![invoice(1000, 1000), invoice(1000, 1000)];
        let ids = [("I1", "USD"), ("I2", "USD")];
        let plans = Plans::new([("A".into(), "C1".into(), net30_net90(Vec::new()))]);
        let disputes = Disputes::new([(
            "A".into(),
            "C1".into(),
            OpenDispute {
                tran_id: "I1".into(),
                amount: Money::units(700),
                reason_code: "PRICE".into(),
                severity: 2,
                excluded: true,
            },
        )]);
        let (out, out_ids) = adjust(&Then::default(), &plans, &disputes, "A", "C1", &items, &ids);
        assert_eq!(out.len(), 3);
        assert_eq!(out_ids[..], [("I1", "USD"), ("I1", "USD"), ("I2", "USD")]);
        assert_eq!(out[1].aged_hc(), Money::ZERO);
        assert_eq!(out[0].aged_hc(), Money::units(300));
        let (same, _) = adjust(
            &Then::default(),
            &plans,
            &Disputes::default(),
            "A",
            "C2",
            &items,
            &ids,
        );
        assert!(matches!(same, Cow::Borrowed(_)));
    }
}

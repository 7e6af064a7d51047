//! Payment plans as rules of the trade: an admin splits an open invoice into instalments that
//! add up to its balance, each with a due date and amount; checked against the book before
//! anything is written, so that a refused plan writes nothing and says why.

use std::collections::HashMap;

use arrears_domain::plans::{Instalment, Plan, split};
use arrears_domain::{Item, Money, TranType};
use arrears_store::{Actor, NewPlan, PlanRecord, Scope, Store};
use chrono::NaiveDate;

use crate::ActionsError;
use crate::desk::{invalid, refused, text};

/// The most instalments one plan has.
pub const MAX_INSTALMENTS: usize = 120;

/// A plan as typed: its instalments, in any order.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanInput {
    pub instalments: Vec<InstalmentInput>,
    pub note: Option<String>,
}

/// One instalment as typed: the amount in the invoice's currency, as a decimal text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalmentInput {
    pub due_date: NaiveDate,
    pub amount: String,
}

/// Makes a plan on an open invoice of the customer; its id. The instalments must add up to
/// the invoice's balance exactly; a plan already in force must be cancelled first.
pub async fn make_plan(
    store: &Store,
    company: &str,
    customer: &str,
    tran_id: &str,
    p: &PlanInput,
    actor: Actor<'_>,
) -> Result<i64, ActionsError> {
    let items = store.items_of(company, customer).await?;
    let Some((item, _, currency)) = items.iter().find(|(_, t, _)| t == tran_id) else {
        return Err(ActionsError::NotFound);
    };
    if item.tran_type == TranType::CreditMemo {
        return Err(invalid(
            "tran_id",
            "a credit memo has nothing due; plan the invoices it is owed on",
        ));
    }
    if item.balance <= Money::ZERO {
        return Err(invalid(
            "tran_id",
            format!("invoice {tran_id} has nothing left to pay"),
        ));
    }
    if p.instalments.is_empty() {
        return Err(invalid(
            "instalments",
            "give at least one instalment, each with a due date and an amount",
        ));
    }
    if p.instalments.len() > MAX_INSTALMENTS {
        return Err(invalid(
            "instalments",
            format!("at most {MAX_INSTALMENTS} instalments"),
        ));
    }
    let mut instalments = Vec::with_capacity(p.instalments.len());
    let mut seen: HashMap<NaiveDate, usize> = HashMap::new();
    for (n, i) in (1..).zip(&p.instalments) {
        let field = |name: &str| format!("instalments[{n}].{name}");
        let amount = Money::parse(i.amount.trim()).map_err(|e| invalid(&field("amount"), e))?;
        if amount <= Money::ZERO {
            return Err(invalid(
                &field("amount"),
                "an instalment is for more than zero",
            ));
        }
        if i.due_date < item.tran_date {
            return Err(invalid(
                &field("due_date"),
                format!(
                    "{} is before the invoice's date {}",
                    i.due_date, item.tran_date
                ),
            ));
        }
        if let Some(first) = seen.insert(i.due_date, n) {
            return Err(invalid(
                &field("due_date"),
                format!("{} is the due date of instalment {first} too", i.due_date),
            ));
        }
        instalments.push(Instalment {
            due_date: i.due_date,
            amount,
        });
    }
    let total = instalments
        .iter()
        .try_fold(Money::ZERO, |sum, i| sum.checked_add(i.amount))
        .ok_or_else(|| invalid("instalments", "the amounts are too large"))?;
    if total != item.balance {
        return Err(invalid(
            "instalments",
            format!(
                "they add up to {total} {currency}; the invoice's balance is {} {currency}",
                item.balance
            ),
        ));
    }
    instalments.sort_by_key(|i| i.due_date);
    let new = NewPlan {
        company_id: company.to_owned(),
        customer_id: customer.to_owned(),
        tran_id: tran_id.to_owned(),
        currency: currency.clone(),
        orig_due_date: item.due_date,
        orig_amount: item.amount,
        orig_amount_hc: item.amount_hc,
        note: text("note", &p.note)?,
        instalments,
    };
    store.make_plan(&new, actor).await?.map_err(|active| {
        ActionsError::Conflict(format!(
            "invoice {tran_id} already has payment plan {active} in force; cancel it first"
        ))
    })
}

/// Cancels a plan in force still at `version`: the invoice ages by its original terms again.
pub async fn cancel_plan(
    store: &Store,
    plan_id: i64,
    version: i64,
    actor: Actor<'_>,
) -> Result<(), ActionsError> {
    store
        .cancel_plan(plan_id, version, actor)
        .await?
        .map_err(|r| refused(r, "payment plan"))
}

/// Where one instalment of a plan in force stands on the business date.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InstalmentState {
    pub instalment: u16,
    pub due_date: NaiveDate,
    /// In the invoice's currency.
    pub amount: Money,
    pub paid: Money,
    pub balance: Money,
    /// The day the payments reached it, once paid.
    pub closing_date: Option<NaiveDate>,
    /// Closing date − due date, once paid (negative when early).
    pub days_paid_late: Option<i64>,
    /// Open past its due date.
    pub late: bool,
}

/// The instalments of `plan` as of `as_of`, with what is paid and left of each; none when the
/// plan is not in force that day.
pub async fn schedule(
    store: &Store,
    plan: &PlanRecord,
    as_of: NaiveDate,
) -> Result<Vec<InstalmentState>, ActionsError> {
    Ok(schedules(store, &plan.company_id, &plan.customer_id, as_of)
        .await?
        .remove(&plan.plan_id)
        .unwrap_or_default())
}

/// The schedule of each of a customer's plans in force on `as_of`, by plan id: one read of
/// the plans and one of the items.
pub async fn schedules(
    store: &Store,
    company: &str,
    customer: &str,
    as_of: NaiveDate,
) -> Result<HashMap<i64, Vec<InstalmentState>>, ActionsError> {
    let in_force = store
        .plans_in_force(Scope::customer(company, customer), as_of)
        .await?;
    if in_force.is_empty() {
        return Ok(HashMap::new());
    }
    let items = store.items_of(company, customer).await?;
    Ok(in_force
        .into_iter()
        .filter_map(|(_, _, plan)| {
            let (item, _, _) = items.iter().find(|(_, t, _)| *t == plan.tran_id)?;
            Some((plan.plan_id, states(item, &plan, as_of)))
        })
        .collect())
}

fn states(item: &Item, plan: &Plan, as_of: NaiveDate) -> Vec<InstalmentState> {
    split(item, plan)
        .iter()
        .map(|part| InstalmentState {
            instalment: part.plan.as_deref().map_or(1, |p| p.no),
            due_date: part.due_basis(),
            amount: part.amount,
            paid: part.amount - part.balance,
            balance: part.balance,
            closing_date: part.closing_date,
            days_paid_late: part.paid_by(as_of).map(|p| p.days_paid_late),
            late: part.is_open() && part.due_basis() < as_of,
        })
        .collect()
}

//! The Communication screen and disputes as rules of the trade: what a collector may log,
//! tag, schedule and dispute, checked against the setup and the book before anything is
//! written, so that a refused change writes nothing and says why.

use std::collections::HashMap;

use arrears_domain::work::STANDARD_ACTIVITY_TYPES;
use arrears_domain::{Item, Money, TranType};
use arrears_store::{
    ActionCodeRow, ActivityTypeRow, Actor, CustomerRow, FollowUp, IssueHead, Logged,
    NewCommunication, NewDispute, NewExpected, ReasonCodeRow, Refused, Said, Scope, Store,
};
use chrono::NaiveDate;

use crate::{ActionsError, Setup};

/// The priority of an issue opened by hand without an action code (1 is the highest).
pub const MANUAL_PRIORITY: i64 = 5;

/// The longest text kept in a note, description or resolution.
pub const MAX_TEXT: usize = 4000;

/// What a user logs on the Communication screen, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Communication {
    /// Log it on this open issue of the customer; a new issue when none.
    pub issue_id: Option<i64>,
    /// A standard or custom activity type; the action code's when left out.
    pub activity_type: Option<String>,
    pub action_code: Option<String>,
    pub description: Option<String>,
    pub note: Option<String>,
    /// Phone calls: `spoke` or `no_contact`.
    pub call_result: Option<String>,
    /// Open invoices of the customer to tag.
    pub tagged: Vec<String>,
    pub followup_date: Option<NaiveDate>,
    pub followup_user: Option<String>,
    pub followup_desc: Option<String>,
    /// Working days to respond to the follow-up; the customer's, the credit class's or the
    /// site's when left out.
    pub followup_days: Option<u32>,
    pub assigned_user: Option<String>,
    pub complete: bool,
    /// Resolve the issue with this resolution.
    pub resolve: Option<String>,
    /// An expected payment: its amount (a decimal text, in the tagged invoices' currency, else
    /// the customer's) and date; a promise to pay when `promise` is set. Only when logging.
    pub expected_amount: Option<String>,
    pub expected_date: Option<NaiveDate>,
    pub promise: bool,
}

/// A dispute as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisputeInput {
    /// In the invoice's currency, as a decimal text.
    pub amount: String,
    pub dispute_date: Option<NaiveDate>,
    pub reason_code: String,
    pub exclude_from_aging: bool,
    pub note: Option<String>,
    /// The activity it is opened from; a dispute issue of its own when none.
    pub activity_id: Option<i64>,
    /// The user the dispute issue goes to; the customer's when none.
    pub assigned_user: Option<String>,
}

pub(crate) fn invalid(field: &str, why: impl std::fmt::Display) -> ActionsError {
    ActionsError::Invalid(format!("{field}: {why}"))
}

pub(crate) fn refused(r: Refused, what: &str) -> ActionsError {
    match r {
        Refused::NotFound => ActionsError::NotFound,
        Refused::Conflict(now) => ActionsError::Conflict(format!(
            "the {what} was changed by someone else meanwhile (it is now at version {now}); \
             reload it and make the change again"
        )),
        Refused::Closed => ActionsError::Conflict(format!(
            "the {what} is already closed; it cannot be changed"
        )),
    }
}

/// A text as kept: trimmed, without control characters, none when empty.
pub(crate) fn text(field: &str, t: &Option<String>) -> Result<Option<String>, ActionsError> {
    let Some(t) = t else { return Ok(None) };
    let kept: String = t
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    if kept.chars().count() > MAX_TEXT {
        return Err(invalid(field, format!("at most {MAX_TEXT} characters")));
    }
    Ok((!kept.is_empty()).then_some(kept))
}

/// What a company's setup says about activity types, action codes and reason codes.
struct Desk {
    setup: Setup,
    types: HashMap<String, ActivityTypeRow>,
    codes: HashMap<String, ActionCodeRow>,
    reasons: HashMap<String, ReasonCodeRow>,
    customer: CustomerRow,
}

impl Desk {
    async fn load(store: &Store, company: &str, customer: &str) -> Result<Desk, ActionsError> {
        let customer = store
            .customer_rows(Scope::customer(company, customer), None)
            .await?
            .into_iter()
            .next()
            .ok_or(ActionsError::NotFound)?;
        let setup = Setup::load(store).await?;
        let types = store
            .setup::<ActivityTypeRow>(Some(company))
            .await?
            .into_iter()
            .map(|t| (t.activity_type.clone(), t))
            .collect();
        let codes = store
            .setup::<ActionCodeRow>(Some(company))
            .await?
            .into_iter()
            .map(|c| (c.action_code.clone(), c))
            .collect();
        let reasons = store
            .setup::<ReasonCodeRow>(Some(company))
            .await?
            .into_iter()
            .map(|r| (r.reason_code.clone(), r))
            .collect();
        Ok(Desk {
            setup,
            types,
            codes,
            reasons,
            customer,
        })
    }

    /// The standard type an activity type behaves as.
    fn base_type(&self, activity_type: &str) -> Result<String, ActionsError> {
        if let Some(t) = STANDARD_ACTIVITY_TYPES
            .iter()
            .find(|t| t.eq_ignore_ascii_case(activity_type))
        {
            return Ok((*t).to_owned());
        }
        self.types
            .get(activity_type)
            .map(|t| t.base_type.clone())
            .ok_or_else(|| {
                invalid(
                    "activity_type",
                    format!(
                        "no activity type {activity_type:?}; use one of {} or a custom type set up in Admin",
                        STANDARD_ACTIVITY_TYPES.join(", ")
                    ),
                )
            })
    }

    /// The standard spelling of a standard type, or the custom type as named.
    fn type_name(&self, activity_type: &str) -> String {
        STANDARD_ACTIVITY_TYPES
            .iter()
            .find(|t| t.eq_ignore_ascii_case(activity_type))
            .map_or_else(|| activity_type.to_owned(), |t| (*t).to_owned())
    }

    /// Days to respond for work done by hand: the customer's, else the credit class's, else
    /// the site's.
    fn days_to_respond(&self) -> u32 {
        let c = &self.customer;
        let own = c.days_to_respond.and_then(|d| u32::try_from(d).ok());
        let class = self
            .setup
            .class_of(&c.company_id, c.text("credit_class"))
            .and_then(|class| self.setup.classes.get(&(c.company_id.clone(), class)))
            .and_then(|class| class.days_to_respond)
            .and_then(|d| u32::try_from(d).ok());
        own.filter(|d| *d > 0)
            .or(class.filter(|d| *d > 0))
            .unwrap_or(self.setup.settings.days_to_respond)
    }

    fn respond_by(&self, start: NaiveDate, days: u32) -> NaiveDate {
        self.setup
            .calendar(&self.customer.company_id)
            .respond_by(start, days)
    }
}

/// A user who can be given work: one that exists and is active.
async fn check_user(store: &Store, field: &str, user: &Option<String>) -> Result<(), ActionsError> {
    if let Some(u) = user {
        match store.account(u).await? {
            Some(a) if a.active && !a.disabled => {}
            _ => return Err(invalid(field, format!("no active user {u:?}"))),
        }
    }
    Ok(())
}

/// The customer's open items by id, with their open balance in home currency.
async fn open_items(
    store: &Store,
    company: &str,
    customer: &str,
) -> Result<HashMap<String, Item>, ActionsError> {
    Ok(store
        .items_of(company, customer)
        .await?
        .into_iter()
        .filter(|(item, _, _)| item.is_open())
        .map(|(item, tran, _)| (tran, item))
        .collect())
}

/// Checks what a communication says and turns it into what the store keeps.
async fn said(
    store: &Store,
    desk: &Desk,
    c: &Communication,
    base_type: &str,
    actor: Actor<'_>,
) -> Result<Said, ActionsError> {
    let call_result = match c.call_result.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r @ ("spoke" | "no_contact")) if base_type == "Phone" => Some(r.to_owned()),
        Some("spoke" | "no_contact") => {
            return Err(invalid(
                "call_result",
                format!("only phone calls have a call result, not {base_type}"),
            ));
        }
        Some(other) => {
            return Err(invalid(
                "call_result",
                format!("{other:?} is not a call result; use spoke or no_contact"),
            ));
        }
    };
    if c.complete && base_type == "Phone" && call_result.is_none() {
        return Err(invalid(
            "call_result",
            "a completed phone call says whether you spoke to the customer (spoke or no_contact)",
        ));
    }
    let company = &desk.customer.company_id;
    let open = if c.tagged.is_empty() {
        HashMap::new()
    } else {
        open_items(store, company, &desk.customer.customer_id).await?
    };
    let mut tagged: Vec<(String, Money)> = Vec::new();
    for tran in &c.tagged {
        let Some(item) = open.get(tran) else {
            return Err(invalid(
                "tagged",
                format!(
                    "{tran:?} is not an open invoice of customer {}",
                    desk.customer.customer_id
                ),
            ));
        };
        if !tagged.iter().any(|(t, _)| t == tran) {
            tagged.push((tran.clone(), item.balance_hc));
        }
    }
    check_user(store, "assigned_user", &c.assigned_user).await?;
    check_user(store, "followup_user", &c.followup_user).await?;
    let resolve = text("resolve", &c.resolve)?;
    if c.resolve.is_some() && resolve.is_none() {
        return Err(invalid("resolve", "say how the issue was resolved"));
    }
    let followup = match c.followup_date {
        None => {
            if c.followup_user.is_some() || c.followup_desc.is_some() || c.followup_days.is_some() {
                return Err(invalid(
                    "followup_date",
                    "a follow-up needs a date; give one or leave out the follow-up",
                ));
            }
            None
        }
        Some(date) => {
            if date < actor.business_date {
                return Err(invalid(
                    "followup_date",
                    format!("{date} is before the business date {}", actor.business_date),
                ));
            }
            if resolve.is_some() {
                return Err(invalid(
                    "followup_date",
                    "a resolved issue has no follow-up; leave out the follow-up or the resolution",
                ));
            }
            let days = c.followup_days.unwrap_or_else(|| desk.days_to_respond());
            Some(FollowUp {
                date,
                user: c.followup_user.clone(),
                description: text("followup_desc", &c.followup_desc)?,
                respond_by: desk.respond_by(date, days),
            })
        }
    };
    Ok(Said {
        description: text("description", &c.description)?,
        note: text("note", &c.note)?,
        call_result,
        assigned_user: c.assigned_user.clone(),
        followup,
        tagged,
        complete: c.complete || resolve.is_some(),
        resolve,
    })
}

/// Checks the expected payment a communication records: an amount above zero, no more than the
/// tagged invoices' open balance, in one currency, by a date not before the business date.
async fn expected(
    store: &Store,
    desk: &Desk,
    c: &Communication,
    actor: Actor<'_>,
) -> Result<Option<NewExpected>, ActionsError> {
    let amount = c
        .expected_amount
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let (amount, date) = match (amount, c.expected_date) {
        (None, None) if c.promise => {
            return Err(invalid(
                "promise",
                "a promise to pay needs an expected amount and date",
            ));
        }
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(invalid(
                "expected_date",
                "an expected payment needs the date it is expected by",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "expected_amount",
                "an expected payment needs the amount expected",
            ));
        }
        (Some(a), Some(d)) => (a, d),
    };
    let amount = Money::parse(amount).map_err(|e| invalid("expected_amount", e))?;
    if amount <= Money::ZERO {
        return Err(invalid("expected_amount", "must be more than zero"));
    }
    if date < actor.business_date {
        return Err(invalid(
            "expected_date",
            format!(
                "{date} is before the business date {}; a payment is expected today or later",
                actor.business_date
            ),
        ));
    }
    let customer = &desk.customer;
    let items = store
        .items_of(&customer.company_id, &customer.customer_id)
        .await?;
    let tagged: Vec<&(Item, String, String)> = items
        .iter()
        .filter(|(i, t, _)| i.is_open() && c.tagged.contains(t))
        .collect();
    let mut currencies: Vec<&str> = tagged.iter().map(|(_, _, cur)| cur.as_str()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    let currency = match currencies.as_slice() {
        [] => customer
            .text("currency")
            .map(str::to_owned)
            .or_else(|| {
                desk.setup
                    .companies
                    .get(&customer.company_id)
                    .map(|co| co.home_currency.clone())
            })
            .unwrap_or_default(),
        [one] => (*one).to_owned(),
        many => {
            return Err(invalid(
                "tagged",
                format!(
                    "an expected payment is in one currency; the tagged invoices are in {}",
                    many.join(", ")
                ),
            ));
        }
    };
    if !tagged.is_empty() {
        let open: Money = tagged
            .iter()
            .fold(Money::ZERO, |sum, (i, _, _)| sum + i.balance);
        if amount > open {
            return Err(invalid(
                "expected_amount",
                format!(
                    "{amount} {currency} is more than the open balance of the tagged invoices ({open} {currency})"
                ),
            ));
        }
    }
    let mut tags: Vec<String> = tagged.iter().map(|(_, t, _)| t.clone()).collect();
    tags.dedup();
    Ok(Some(NewExpected {
        amount,
        currency,
        date,
        promise: c.promise,
        note: None,
        tagged: tags,
    }))
}

/// Builds what the store needs to log `c` for a customer, checking every field.
async fn communication(
    store: &Store,
    desk: &Desk,
    c: &Communication,
    actor: Actor<'_>,
) -> Result<NewCommunication, ActionsError> {
    let code = match c.action_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(desk.codes.get(code).ok_or_else(|| {
            invalid(
                "action_code",
                format!(
                    "no action code {code:?} in company {}",
                    desk.customer.company_id
                ),
            )
        })?),
    };
    let activity_type = match (c.activity_type.as_deref().map(str::trim), code) {
        (Some(t), _) if !t.is_empty() => desk.type_name(t),
        (_, Some(code)) => code.activity_type.clone(),
        _ => {
            return Err(invalid(
                "activity_type",
                "say what kind of activity it is (Phone, EmailSend, EmailRcd, AcctNote, …) or give an action code",
            ));
        }
    };
    let base = desk.base_type(&activity_type)?;
    let said = said(store, desk, c, &base, actor).await?;
    let customer = &desk.customer;
    let assigned = said
        .assigned_user
        .clone()
        .or_else(|| customer.text("assigned_user").map(str::to_owned))
        .or_else(|| Some(actor.user_id.to_owned()));
    let subject = said
        .description
        .clone()
        .or_else(|| code.map(|c| c.description.clone()))
        .unwrap_or_else(|| format!("{activity_type} logged by hand"));
    let today = actor.business_date;
    Ok(NewCommunication {
        company_id: customer.company_id.clone(),
        customer_id: customer.customer_id.clone(),
        issue_id: c.issue_id,
        head: IssueHead {
            subject,
            action_code: code.map_or_else(|| activity_type.clone(), |c| c.action_code.clone()),
            priority: code.map_or(MANUAL_PRIORITY, |c| c.priority),
            assigned_user: assigned.clone(),
        },
        customer_contact: code.map_or(
            matches!(base.as_str(), "Phone" | "EmailSend" | "EmailRcd"),
            |c| c.customer_contact,
        ),
        action_code: code.map(|c| c.action_code.clone()),
        activity_type,
        start_date: today,
        respond_by: if said.complete {
            today
        } else {
            desk.respond_by(today, desk.days_to_respond())
        },
        said: Said {
            assigned_user: assigned,
            ..said
        },
        expected: expected(store, desk, c, actor).await?,
    })
}

/// Logs a communication for a customer: on one of its open issues or on a new one.
pub async fn log_communication(
    store: &Store,
    company: &str,
    customer: &str,
    c: &Communication,
    actor: Actor<'_>,
) -> Result<Logged, ActionsError> {
    let desk = Desk::load(store, company, customer).await?;
    let new = communication(store, &desk, c, actor).await?;
    store
        .add_communication(&new, actor)
        .await?
        .map_err(|r| refused(r, "issue"))
}

/// Changes an activity still at `version`: what was said, its tags, follow-up and user;
/// completes it and resolves its issue when asked.
pub async fn edit_activity(
    store: &Store,
    activity_id: i64,
    version: i64,
    c: &Communication,
    actor: Actor<'_>,
) -> Result<Logged, ActionsError> {
    let activity = store
        .activity(activity_id)
        .await?
        .ok_or(ActionsError::NotFound)?;
    let a = &activity.record;
    if c.issue_id.is_some_and(|i| i != a.issue_id)
        || c.activity_type.is_some()
        || c.action_code.is_some()
    {
        return Err(ActionsError::Invalid(
            "an activity keeps its issue, type and action code; log a new communication instead"
                .into(),
        ));
    }
    if c.expected_amount.is_some() || c.expected_date.is_some() || c.promise {
        return Err(ActionsError::Invalid(
            "expected payments are recorded when a communication is logged; log a new one".into(),
        ));
    }
    let desk = Desk::load(store, &a.company_id, &a.customer_id).await?;
    let base = desk.base_type(&a.activity_type)?;
    let said = said(store, &desk, c, &base, actor).await?;
    store
        .edit_activity(activity_id, version, &said, actor)
        .await?
        .map_err(|r| refused(r, "activity"))
}

/// Resolves an open issue still at `version`.
pub async fn resolve_issue(
    store: &Store,
    issue_id: i64,
    version: i64,
    resolution: &str,
    actor: Actor<'_>,
) -> Result<(), ActionsError> {
    let resolution = text("resolution", &Some(resolution.to_owned()))?
        .ok_or_else(|| invalid("resolution", "say how the issue was resolved"))?;
    store
        .resolve_issue(issue_id, version, &resolution, actor)
        .await?
        .map_err(|r| refused(r, "issue"))
}

/// Gives an open issue still at `version` to another user (none: the unassigned pool).
pub async fn reassign_issue(
    store: &Store,
    issue_id: i64,
    version: i64,
    user: Option<&str>,
    actor: Actor<'_>,
) -> Result<(), ActionsError> {
    check_user(store, "assigned_user", &user.map(str::to_owned)).await?;
    store
        .reassign_issue(issue_id, version, user, actor)
        .await?
        .map_err(|r| refused(r, "issue"))
}

/// Adds a note to one open or paid invoice of the customer.
pub async fn add_invoice_note(
    store: &Store,
    company: &str,
    customer: &str,
    tran_id: &str,
    note: &str,
    actor: Actor<'_>,
) -> Result<i64, ActionsError> {
    let known = store
        .items_of(company, customer)
        .await?
        .iter()
        .any(|(_, t, _)| t == tran_id);
    if !known {
        return Err(ActionsError::NotFound);
    }
    let note = text("note", &Some(note.to_owned()))?
        .ok_or_else(|| invalid("note", "a note needs some text"))?;
    Ok(store
        .add_invoice_note(company, customer, tran_id, &note, actor)
        .await?)
}

/// Opens a dispute on an open invoice of the customer: with an issue of its own (a Dispute
/// activity for the customer's user) unless it is opened from an activity.
pub async fn open_dispute(
    store: &Store,
    company: &str,
    customer: &str,
    tran_id: &str,
    d: &DisputeInput,
    actor: Actor<'_>,
) -> Result<(i64, Option<Logged>), ActionsError> {
    let desk = Desk::load(store, company, customer).await?;
    let items = store.items_of(company, customer).await?;
    let Some((item, _, currency)) = items.iter().find(|(_, t, _)| t == tran_id) else {
        return Err(ActionsError::NotFound);
    };
    if item.tran_type == TranType::CreditMemo {
        return Err(invalid(
            "tran_id",
            "a credit memo cannot be disputed; dispute the invoice it credits",
        ));
    }
    if !item.is_open() {
        return Err(invalid("tran_id", format!("invoice {tran_id} is paid")));
    }
    let amount = Money::parse(d.amount.trim()).map_err(|e| invalid("amount", e))?;
    if amount <= Money::ZERO {
        return Err(invalid("amount", "a dispute is for more than zero"));
    }
    let disputed = store.disputed_amount(company, tran_id).await?;
    let room = item.balance - disputed;
    if amount > room {
        return Err(invalid(
            "amount",
            format!(
                "{amount} {currency} is more than the invoice's undisputed balance {room} {currency}"
            ),
        ));
    }
    let dispute_date = d.dispute_date.unwrap_or(actor.business_date);
    if dispute_date > actor.business_date {
        return Err(invalid(
            "dispute_date",
            format!(
                "{dispute_date} is after the business date {}",
                actor.business_date
            ),
        ));
    }
    let reason = desk.reasons.get(d.reason_code.trim()).ok_or_else(|| {
        let known: Vec<&str> = desk.reasons.keys().map(String::as_str).collect();
        invalid(
            "reason_code",
            if known.is_empty() {
                format!(
                    "no reason codes are set up in company {company}; an admin adds them in Admin"
                )
            } else {
                format!("no reason code {:?}; set up are {}", d.reason_code, {
                    let mut k = known;
                    k.sort_unstable();
                    k.join(", ")
                })
            },
        )
    })?;
    let note = text("note", &d.note)?;
    if let Some(activity_id) = d.activity_id {
        let found = store.activity(activity_id).await?;
        if found.is_none_or(|a| a.record.company_id != company || a.record.customer_id != customer)
        {
            return Err(invalid(
                "activity_id",
                format!("no activity {activity_id} of customer {customer}"),
            ));
        }
    }
    let work = match d.activity_id {
        Some(_) => None,
        None => {
            let c = Communication {
                activity_type: Some("Dispute".into()),
                description: Some(format!(
                    "Dispute on {tran_id}: {} {amount} {currency}",
                    reason.description
                )),
                note: note.clone(),
                tagged: vec![tran_id.to_owned()],
                assigned_user: d.assigned_user.clone(),
                ..Communication::default()
            };
            Some(communication(store, &desk, &c, actor).await?)
        }
    };
    let new = NewDispute {
        company_id: company.to_owned(),
        customer_id: customer.to_owned(),
        tran_id: tran_id.to_owned(),
        amount,
        dispute_date,
        reason_code: reason.reason_code.clone(),
        severity: reason.severity,
        exclude_from_aging: d.exclude_from_aging,
        note,
        activity_id: d.activity_id,
    };
    store
        .open_dispute(&new, work.as_ref(), actor)
        .await?
        .map_err(|r| refused(r, "issue"))
}

/// Closes an open dispute still at `version`, with a resolution and its date.
pub async fn close_dispute(
    store: &Store,
    dispute_id: i64,
    version: i64,
    resolution: &str,
    closed_date: Option<NaiveDate>,
    actor: Actor<'_>,
) -> Result<(), ActionsError> {
    let resolution = text("resolution", &Some(resolution.to_owned()))?
        .ok_or_else(|| invalid("resolution", "say how the dispute was resolved"))?;
    let dispute = store
        .dispute(dispute_id)
        .await?
        .ok_or(ActionsError::NotFound)?;
    let date = closed_date.unwrap_or(actor.business_date);
    if date < dispute.dispute_date {
        return Err(invalid(
            "closed_date",
            format!(
                "{date} is before the dispute's date {}",
                dispute.dispute_date
            ),
        ));
    }
    if date > actor.business_date {
        return Err(invalid(
            "closed_date",
            format!("{date} is after the business date {}", actor.business_date),
        ));
    }
    store
        .close_dispute(dispute_id, version, &resolution, date, actor)
        .await?
        .map_err(|r| refused(r, "dispute"))
}

/// Cancels an open expected payment still at `version`: the customer withdrew it, or it was
/// recorded by mistake. It counts neither as kept nor as broken.
pub async fn cancel_expected(
    store: &Store,
    expected_id: i64,
    version: i64,
    actor: Actor<'_>,
) -> Result<(), ActionsError> {
    store
        .cancel_expected(expected_id, version, actor)
        .await?
        .map_err(|r| refused(r, "expected payment"))
}

/// A change to a user action, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserActionInput {
    pub version: i64,
    /// Its own description; empty goes back to its kind's.
    pub description: Option<String>,
    /// Its own priority (1 is the highest); `0` goes back to its kind's.
    pub priority: Option<i64>,
    pub close: bool,
}

/// The highest number a priority may have.
pub const LOWEST_PRIORITY: i64 = 99;

/// Checks a priority: 1 (the highest) to [`LOWEST_PRIORITY`].
pub fn priority(field: &str, p: i64) -> Result<i64, ActionsError> {
    if (1..=LOWEST_PRIORITY).contains(&p) {
        Ok(p)
    } else {
        Err(invalid(
            field,
            format!("{p} is not a priority; use 1 (the highest) to {LOWEST_PRIORITY}"),
        ))
    }
}

/// Changes a user action still at its version: its description or priority, or closes it.
pub async fn edit_user_action(
    store: &Store,
    user_action_id: i64,
    input: &UserActionInput,
    actor: Actor<'_>,
) -> Result<(), ActionsError> {
    let description = match &input.description {
        None => None,
        Some(d) => Some(text("description", &Some(d.clone()))?),
    };
    let own_priority = match input.priority {
        None => None,
        Some(0) => Some(None),
        Some(p) => Some(Some(priority("priority", p)?)),
    };
    let edit = arrears_store::UserActionEdit {
        description,
        priority: own_priority,
        close: input.close,
    };
    store
        .edit_user_action(user_action_id, input.version, &edit, actor)
        .await?
        .map_err(|r| refused(r, "user action"))
}

/// Sets the description and priority a kind of user action shows (admins).
pub async fn set_user_action_type(
    store: &Store,
    kind: &str,
    description: &str,
    p: i64,
    actor: Actor<'_>,
) -> Result<(), ActionsError> {
    let description = text("description", &Some(description.to_owned()))?
        .ok_or_else(|| invalid("description", "a user action needs a description"))?;
    let t = arrears_store::UserActionType {
        kind: kind.to_owned(),
        description,
        priority: priority("priority", p)?,
    };
    if store.set_user_action_type(&t, actor).await? {
        Ok(())
    } else {
        Err(ActionsError::NotFound)
    }
}

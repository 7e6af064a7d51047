//! Credit class schedules: each class with a schedule gets its generate run once per due
//! business date, whoever asks and however often; the run log is what remembers.

use arrears_domain::work::Schedule;
use arrears_store::{CreditClassRow, Store};
use chrono::{NaiveDate, NaiveDateTime};

use crate::{ActionsError, ChangeKind, Options, generate};

/// One scheduled run: which class, for which date, what it did.
#[derive(Debug)]
pub struct ScheduledRun {
    pub company_id: String,
    pub credit_class: String,
    pub run_date: NaiveDate,
    pub created: usize,
    pub closed: usize,
    pub errors: Vec<String>,
    pub run_id: Option<i64>,
}

/// Runs every schedule due at `now` that has not run for its date yet.
pub async fn run_schedules(
    store: &Store,
    now: NaiveDateTime,
    run_by: &str,
) -> Result<Vec<ScheduledRun>, ActionsError> {
    let mut done = Vec::new();
    for class in store.setup::<CreditClassRow>(None).await? {
        let Some(days) = &class.schedule else {
            continue;
        };
        let schedule = Schedule::parse(days, class.schedule_time.as_deref()).map_err(|why| {
            ActionsError::Invalid(format!(
                "credit class {} {}: schedule: {why}",
                class.company_id, class.credit_class
            ))
        })?;
        let Some(day) = schedule.last_due(now) else {
            continue;
        };
        if store
            .schedule_ran(&class.company_id, &class.credit_class, day)
            .await?
        {
            continue;
        }
        let options = Options {
            as_of: day,
            company: Some(class.company_id.clone()),
            credit_class: Some(class.credit_class.clone()),
            preview: false,
            run_by: run_by.to_owned(),
            source: "schedule".into(),
        };
        let outcome = generate(store, &options).await?;
        let created = outcome
            .changes
            .iter()
            .filter(|c| c.change == ChangeKind::Create)
            .count();
        done.push(ScheduledRun {
            company_id: class.company_id,
            credit_class: class.credit_class,
            run_date: day,
            closed: outcome.changes.len() - created,
            created,
            errors: outcome.errors,
            run_id: outcome.run_id,
        });
    }
    Ok(done)
}

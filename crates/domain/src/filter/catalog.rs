//! The fields a filter may name in each view, and their types.

use std::sync::OnceLock;

use crate::value::{ADP_NAMES, AGE_NAMES, DUE_NAMES, OVER_NAMES, PROJ_NAMES};

/// What a value of a field or an expression is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Int,
    /// Money and rates: exact decimals.
    Decimal,
    Text,
    Date,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Bool => "true/false",
            Type::Int | Type::Decimal => "number",
            Type::Text => "text",
            Type::Date => "date",
        }
    }

    pub fn is_number(self) -> bool {
        matches!(self, Type::Int | Type::Decimal)
    }
}

/// What a rule looks at: a customer, or each of a customer's open items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Customer,
    Invoice,
    /// The work queue's issues: lists only, never a rule's view.
    Action,
}

impl View {
    pub fn name(self) -> &'static str {
        match self {
            View::Customer => "customer",
            View::Invoice => "invoice",
            View::Action => "action",
        }
    }

    pub fn parse(text: &str) -> Option<View> {
        match text {
            "customer" => Some(View::Customer),
            "invoice" => Some(View::Invoice),
            _ => None,
        }
    }

    /// The view's fields; each field's slot is its place in the list.
    pub fn catalog(self) -> &'static Catalog {
        static CUSTOMER: OnceLock<Catalog> = OnceLock::new();
        static INVOICE: OnceLock<Catalog> = OnceLock::new();
        static ACTION: OnceLock<Catalog> = OnceLock::new();
        match self {
            View::Action => ACTION.get_or_init(|| Catalog::new(owned(&ACTION_FIELDS))),
            View::Customer => CUSTOMER.get_or_init(|| Catalog::new(customer_fields())),
            View::Invoice => INVOICE.get_or_init(|| {
                let mut fields = invoice_fields();
                fields.extend(
                    customer_fields()
                        .into_iter()
                        .map(|(name, ty)| (format!("customer.{name}"), ty)),
                );
                Catalog::new(fields)
            }),
        }
    }
}

/// The named fields of one view.
#[derive(Debug)]
pub struct Catalog {
    fields: Vec<(String, Type)>,
    slots: std::collections::HashMap<String, usize>,
}

impl Catalog {
    fn new(fields: Vec<(String, Type)>) -> Catalog {
        let slots = fields
            .iter()
            .enumerate()
            .map(|(slot, (name, _))| (name.clone(), slot))
            .collect();
        Catalog { fields, slots }
    }

    pub fn slot(&self, name: &str) -> Option<usize> {
        self.slots.get(name).copied()
    }

    pub fn name(&self, slot: usize) -> &str {
        &self.fields[slot].0
    }

    pub fn field_type(&self, slot: usize) -> Type {
        self.fields[slot].1
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(n, _)| n.as_str())
    }

    /// The field name closest to a misspelt one, when one is close enough to be meant.
    pub fn nearest(&self, name: &str) -> Option<&str> {
        self.names()
            .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
            .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(2))
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, candidate)| candidate)
    }
}

/// Text columns of `customers.csv` besides the keys and `name`.
pub const CUSTOMER_TEXTS: [&str; 28] = [
    "parent_id",
    "customer_class",
    "credit_class",
    "status",
    "currency",
    "payment_terms",
    "email",
    "phone",
    "addr_line1",
    "addr_line2",
    "addr_line3",
    "addr_line4",
    "addr_line5",
    "city",
    "state",
    "postal_code",
    "country",
    "sales_person_id",
    "assigned_user",
    "udf1",
    "udf2",
    "udf3",
    "udf4",
    "udf5",
    "credit_score",
    "bureau_score_1",
    "bureau_score_2",
    "bureau_score_3",
];

/// Text columns of `invoices.csv` besides keys, type and currency.
pub const INVOICE_TEXTS: [&str; 10] = [
    "payment_terms",
    "customer_po",
    "status",
    "sold_to_id",
    "comment",
    "udf1",
    "udf2",
    "udf3",
    "udf4",
    "udf5",
];

/// The work figures a customer's issues, activities, disputes and promises give.
pub const CUSTOMER_WORK: [(&str, Type); 22] = [
    ("open_issue_cnt", Type::Int),
    ("oldest_issue_date", Type::Date),
    ("last_activity_date", Type::Date),
    ("last_activity_days", Type::Int),
    ("last_activity_code", Type::Text),
    ("days_since_open_activity", Type::Int),
    ("days_since_closed_activity", Type::Int),
    ("oldest_due_date_days", Type::Int),
    ("tag_count", Type::Int),
    ("in_dispute", Type::Bool),
    ("has_promise", Type::Bool),
    ("dispute_cnt", Type::Int),
    ("dispute_cnt_total", Type::Int),
    ("dispute_severity", Type::Int),
    ("expected_pay_days", Type::Int),
    ("actual_pay_days", Type::Int),
    ("broken_promise_90d", Type::Int),
    ("broken_promise_6m", Type::Int),
    ("broken_promise_1y", Type::Int),
    ("broken_promise_2y", Type::Int),
    ("promise_kept_rate", Type::Decimal),
    ("score_range", Type::Text),
];

/// The fields of an issue in the work queue, in the order lists give them.
pub const ACTION_FIELDS: [(&str, Type); 22] = [
    ("issue_id", Type::Int),
    ("company_id", Type::Text),
    ("customer_id", Type::Text),
    ("customer_name", Type::Text),
    ("subject", Type::Text),
    ("action_code", Type::Text),
    ("priority", Type::Int),
    ("credit_class", Type::Text),
    ("seq_no", Type::Int),
    ("assigned_user", Type::Text),
    ("activity_type", Type::Text),
    ("created_date", Type::Date),
    ("start_date", Type::Date),
    ("respond_by", Type::Date),
    ("followup_date", Type::Date),
    ("respond_due_days", Type::Int),
    ("date_entered_days", Type::Int),
    ("follow_up_date_days", Type::Int),
    ("state", Type::Text),
    ("tagged", Type::Int),
    ("tagged_amount", Type::Decimal),
    ("reason", Type::Text),
];

/// The work figures of one open item.
pub const INVOICE_WORK: [(&str, Type); 6] = [
    ("tag_count", Type::Int),
    ("in_dispute", Type::Bool),
    ("has_promise", Type::Bool),
    ("dispute_amount", Type::Decimal),
    ("reason_code", Type::Text),
    ("severity", Type::Int),
];

/// The invoice view's figures of its payments and of the communications tagged to it.
pub const INVOICE_PAYMENTS: [(&str, Type); 6] = [
    ("last_pmt_date", Type::Date),
    ("pmt_count", Type::Int),
    ("days_due_to_1st_com", Type::Int),
    ("days_due_to_last_com", Type::Int),
    ("days_1st_com_to_pay", Type::Int),
    ("days_last_com_to_pay", Type::Int),
];

/// The invoice view's fields of a payment plan: whether the item is an instalment of one,
/// which, and the invoice's original due date and amounts (none without a plan).
pub const INVOICE_PLAN: [(&str, Type); 5] = [
    ("pay_sched", Type::Bool),
    ("instalment", Type::Int),
    ("orig_due_date", Type::Date),
    ("orig_tran_amt", Type::Decimal),
    ("orig_tran_amt_hc", Type::Decimal),
];

fn owned(fields: &[(&str, Type)]) -> Vec<(String, Type)> {
    fields.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect()
}

fn money(names: &[&str]) -> Vec<(String, Type)> {
    names
        .iter()
        .map(|n| ((*n).to_owned(), Type::Decimal))
        .collect()
}

/// The customer's columns, every figure of sections 3 and 5, and its work figures.
fn customer_fields() -> Vec<(String, Type)> {
    let mut fields = owned(&[
        ("company_id", Type::Text),
        ("customer_id", Type::Text),
        ("name", Type::Text),
    ]);
    fields.extend(CUSTOMER_TEXTS.iter().map(|n| ((*n).to_owned(), Type::Text)));
    fields.extend(owned(&[
        ("credit_limit", Type::Decimal),
        ("credit_hold", Type::Bool),
        ("date_established", Type::Date),
        ("date_established_days", Type::Int),
        ("days_to_respond", Type::Int),
        ("total_age", Type::Decimal),
        ("total_past_due", Type::Decimal),
        ("available_credit", Type::Decimal),
    ]));
    fields.extend(money(&AGE_NAMES));
    fields.extend(money(&DUE_NAMES));
    fields.extend(money(&OVER_NAMES));
    fields.extend(owned(&[
        ("no_over_due_inv", Type::Int),
        ("oldest_tran_date_days", Type::Int),
        ("avg_days_late", Type::Decimal),
        ("avg_days_late_weighted", Type::Decimal),
        ("avg_days_late_diff", Type::Decimal),
        ("avg_days_count_total", Type::Int),
        ("avg_days_to_pay_total", Type::Decimal),
    ]));
    fields.extend(money(&ADP_NAMES));
    fields.extend(money(&["coc_balance", "net_credit_sales", "dso"]));
    fields.extend(money(&PROJ_NAMES));
    fields.extend(owned(&CUSTOMER_WORK));
    fields
}

/// The item's columns, its figures of section 3 and its work figures.
fn invoice_fields() -> Vec<(String, Type)> {
    let mut fields = owned(&[
        ("company_id", Type::Text),
        ("customer_id", Type::Text),
        ("tran_id", Type::Text),
        ("tran_type", Type::Text),
        ("tran_date", Type::Date),
        ("due_date", Type::Date),
        ("amount", Type::Decimal),
        ("balance", Type::Decimal),
        ("currency", Type::Text),
        ("amount_hc", Type::Decimal),
        ("balance_hc", Type::Decimal),
    ]);
    fields.extend(INVOICE_TEXTS.iter().map(|n| ((*n).to_owned(), Type::Text)));
    fields.extend(owned(&[
        ("closing_date", Type::Date),
        ("tran_date_days", Type::Int),
        ("due_date_days", Type::Int),
        ("percent_paid", Type::Decimal),
        ("aged_hc", Type::Decimal),
        ("excluded_hc", Type::Decimal),
    ]));
    fields.extend(money(&AGE_NAMES));
    fields.extend(money(&DUE_NAMES));
    fields.extend(money(&OVER_NAMES));
    fields.extend(owned(&[
        ("proj_pmt_days", Type::Int),
        ("proj_pmt_date", Type::Date),
    ]));
    fields.extend(owned(&INVOICE_WORK));
    fields.extend(owned(&INVOICE_PLAN));
    fields.extend(owned(&INVOICE_PAYMENTS));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{Figures, ItemFigures};
    use crate::value::{figure_names, figure_values, item_values};
    use crate::{Context, History, Item, Money, Settings, TranType, Value};
    use chrono::NaiveDate;

    fn type_of(value: &Value) -> Option<Type> {
        match value {
            Value::None => None,
            Value::Text(_) => Some(Type::Text),
            Value::Bool(_) => Some(Type::Bool),
            Value::Int(_) => Some(Type::Int),
            Value::Money(_) | Value::Rate(_) => Some(Type::Decimal),
            Value::Date(_) => Some(Type::Date),
        }
    }

    #[test]
    fn every_customer_figure_is_a_field_of_its_type() {
        let catalog = View::Customer.catalog();
        let day = |d| NaiveDate::from_ymd_opt(2015, 1, d).unwrap();
        let item = Item {
            tran_type: TranType::Invoice,
            tran_date: day(1),
            due_date: Some(day(2)),
            amount: Money::units(10),
            balance: Money::ZERO,
            amount_hc: Money::units(10),
            balance_hc: Money::ZERO,
            closing_date: Some(day(20)),
            excluded_hc: Money::ZERO,
            plan: None,
        };
        let ctx = Context {
            as_of: day(31),
            settings: Settings::default(),
        };
        let figures = Figures::of(&[item], &ctx);
        let values = figure_values(&figures, Some(Money::units(5)), &ctx.settings);
        assert_eq!(values.len(), figure_names().len());
        for (name, value) in values {
            let slot = catalog
                .slot(name)
                .unwrap_or_else(|| panic!("{name} missing"));
            if let Some(t) = type_of(&value) {
                assert_eq!(catalog.field_type(slot), t, "{name}");
            }
        }
    }

    #[test]
    fn every_item_figure_is_an_invoice_field_of_its_type() {
        let catalog = View::Invoice.catalog();
        let day = |d| NaiveDate::from_ymd_opt(2015, 1, d).unwrap();
        let item = Item {
            tran_type: TranType::Invoice,
            tran_date: day(1),
            due_date: Some(day(2)),
            amount: Money::units(10),
            balance: Money::units(4),
            amount_hc: Money::units(10),
            balance_hc: Money::units(4),
            closing_date: None,
            excluded_hc: Money::ZERO,
            plan: None,
        };
        let ctx = Context {
            as_of: day(31),
            settings: Settings::default(),
        };
        let f = ItemFigures::of(&item, &History::default(), &ctx);
        for (name, value) in item_values(&item, &f) {
            let slot = catalog
                .slot(name)
                .unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(Some(catalog.field_type(slot)), type_of(&value), "{name}");
        }
        let related = catalog.slot("customer.total_past_due").unwrap();
        assert_eq!(catalog.field_type(related), Type::Decimal);
    }

    #[test]
    fn misspelt_names_find_the_one_meant() {
        let catalog = View::Customer.catalog();
        assert_eq!(catalog.nearest("total_pastdue"), Some("total_past_due"));
        assert_eq!(catalog.nearest("over60"), Some("over_60"));
        assert_eq!(catalog.nearest("credithold"), Some("credit_hold"));
        assert_eq!(catalog.nearest("zzzzzzzz"), None);
    }
}

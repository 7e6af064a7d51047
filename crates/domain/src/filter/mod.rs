//! The filter language of rules and views (section 4 of the contract): parsed once,
//! checked against the fields of its view, and compiled to closures over a row's slots.
//!
//! Values may be null (a customer without a credit limit, a credit memo's due date). A null
//! equals only null; ordered comparisons with a null are false; arithmetic with a null gives
//! null; `&&` and `||` follow three-valued logic, and a filter that ends null does not match.

mod catalog;
mod compile;
mod eval;
mod set;
mod syntax;

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use catalog::{
    ACTION_FIELDS, CUSTOMER_TEXTS, CUSTOMER_WORK, Catalog, INVOICE_PAYMENTS, INVOICE_PLAN,
    INVOICE_TEXTS, INVOICE_WORK, Type, View,
};
pub use eval::{Comparison, Dynamic, evaluate};
pub use set::{FilterSet, Verdicts};
pub use syntax::{
    BinaryOp, Column, Expr, ExprKind, FilterError, Function, Literal, UnaryOp, parse,
};

use crate::{Money, Value};

/// One field's value in a row, borrowed from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Money(Money),
    Decimal(Decimal),
    /// A rate in hundredths (most figures' rates and days): compared without a decimal.
    Rate(i64),
    Text(&'a str),
    Date(NaiveDate),
}

impl Cell<'_> {
    /// The value, owned.
    pub fn to_value(self) -> Value {
        match self {
            Cell::Null => Value::None,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Int(i) => Value::Int(i),
            Cell::Money(m) => Value::Money(m),
            Cell::Decimal(d) => Value::Rate(d),
            Cell::Rate(h) => Value::Rate(Decimal::new(h, 2)),
            Cell::Text(t) => Value::Text(t.to_owned()),
            Cell::Date(d) => Value::Date(d),
        }
    }

    /// The order of a sorted column: by value, nulls last; numbers of different kinds
    /// compare exactly as numbers.
    pub fn sort_order(&self, other: &Cell<'_>) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let number = |c: &Cell<'_>| match *c {
            Cell::Int(i) => Some(Decimal::from(i)),
            Cell::Money(m) => Some(m.to_decimal()),
            Cell::Decimal(d) => Some(d),
            Cell::Rate(h) => Some(Decimal::new(h, 2)),
            _ => None,
        };
        match (self, other) {
            (Cell::Null, Cell::Null) => Ordering::Equal,
            (Cell::Null, _) => Ordering::Greater,
            (_, Cell::Null) => Ordering::Less,
            (Cell::Money(a), Cell::Money(b)) => a.cmp(b),
            (Cell::Text(a), Cell::Text(b)) => a.cmp(b),
            (Cell::Date(a), Cell::Date(b)) => a.cmp(b),
            (Cell::Bool(a), Cell::Bool(b)) => a.cmp(b),
            (a, b) => match (number(a), number(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => Ordering::Equal,
            },
        }
    }
}

/// Something a filter can look at: the value in each slot of its view's catalog.
pub trait Row {
    fn cell(&self, slot: usize) -> Cell<'_>;

    /// The cells in `slot` of the rows `which` picks, in its order, into `out`: what
    /// [`Row::cell`] gives for each. A kind of row can read a column faster than cell by
    /// cell, working out once where the slot's values are.
    fn column<'r>(rows: &'r [Self], slot: usize, which: &[u32], out: &mut Vec<Cell<'r>>)
    where
        Self: Sized,
    {
        out.extend(which.iter().map(|&r| rows[r as usize].cell(slot)));
    }
}

/// A row held as one value per slot.
impl Row for Vec<Value> {
    fn cell(&self, slot: usize) -> Cell<'_> {
        match self.get(slot) {
            None | Some(Value::None) => Cell::Null,
            Some(Value::Text(t)) => Cell::Text(t),
            Some(Value::Bool(b)) => Cell::Bool(*b),
            Some(Value::Int(i)) => Cell::Int(*i),
            Some(Value::Money(m)) => Cell::Money(*m),
            Some(Value::Rate(r)) => Cell::Decimal(*r),
            Some(Value::Date(d)) => Cell::Date(*d),
        }
    }
}

/// A filter that failed on one row (a division by zero, a number too large).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct EvalError {
    pub column: Column,
    pub message: String,
}

/// A filter ready to run over the rows of its view.
pub struct Filter {
    expr: Expr,
    view: View,
    code: compile::Top,
}

impl Filter {
    /// Parses, checks and compiles `text` for `view`.
    pub fn new(text: &str, view: View) -> Result<Filter, FilterError> {
        let expr = parse(text)?;
        let code = compile::compile_filter(&expr, view.catalog())?;
        Ok(Filter { expr, view, code })
    }

    /// Whether the row matches; null counts as no.
    pub fn matches(&self, row: &dyn Row) -> Result<bool, EvalError> {
        self.code.matches(row)
    }

    /// The same over a row of a known kind: what a run over many rows of one view calls.
    pub fn matches_row<R: Row>(&self, row: &R) -> Result<bool, EvalError> {
        self.code.matches_row(row)
    }

    /// Evaluates the row the slow way, noting every comparison made.
    pub fn explain(&self, row: &dyn Row) -> Result<(bool, Vec<Comparison>), EvalError> {
        let mut seen = Vec::new();
        let value = evaluate(&self.expr, self.view.catalog(), row, &mut Some(&mut seen))?;
        Ok((value == Dynamic::Bool(true), seen))
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    pub fn view(&self) -> View {
        self.view
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Filter({:?}, {})", self.view, self.expr)
    }
}

#[cfg(test)]
mod tests;

//! Evaluating a filter's tree directly, value by value: slower than the compiled filter,
//! but it can report every comparison it made, which is how a rule explains itself.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::catalog::Catalog;
use super::compile::{decide, decimal_op, overflow, shift};
use super::syntax::{BinaryOp, Column, Expr, ExprKind, Function, Literal, UnaryOp};
use super::{Cell, EvalError, Row};

/// A value met while evaluating.
#[derive(Clone, Debug, PartialEq)]
pub enum Dynamic {
    Null,
    Bool(bool),
    Int(i64),
    Decimal(Decimal),
    Text(String),
    Date(NaiveDate),
}

impl Dynamic {
    fn number(&self) -> Option<Decimal> {
        match self {
            Dynamic::Int(i) => Some(Decimal::from(*i)),
            Dynamic::Decimal(d) => Some(*d),
            _ => None,
        }
    }
}

/// One comparison made while evaluating: the field side's text and value, and whether it held.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub left: String,
    pub left_value: Dynamic,
    pub op: BinaryOp,
    pub right: String,
    pub right_value: Dynamic,
    pub held: bool,
}

/// Evaluates `expr` against `row`, noting each comparison in `seen` when given.
pub fn evaluate(
    expr: &Expr,
    catalog: &Catalog,
    row: &dyn Row,
    seen: &mut Option<&mut Vec<Comparison>>,
) -> Result<Dynamic, EvalError> {
    let column = expr.column;
    Ok(match &expr.kind {
        ExprKind::Literal(l) => literal(l),
        ExprKind::Field(path) => {
            let name = match path.as_slice() {
                [one] => Cow::Borrowed(one.as_str()),
                _ => Cow::Owned(path.join(".")),
            };
            let slot = catalog.slot(&name).ok_or_else(|| EvalError {
                column,
                message: format!("unknown field {name:?}"),
            })?;
            match row.cell(slot) {
                Cell::Null => Dynamic::Null,
                Cell::Bool(b) => Dynamic::Bool(b),
                Cell::Int(i) => Dynamic::Int(i),
                Cell::Money(m) => Dynamic::Decimal(m.to_decimal()),
                Cell::Decimal(d) => Dynamic::Decimal(d),
                Cell::Rate(h) => Dynamic::Decimal(Decimal::new(h, 2)),
                Cell::Text(t) => Dynamic::Text(t.to_owned()),
                Cell::Date(d) => Dynamic::Date(d),
            }
        }
        ExprKind::List(_) => return Err(mistyped(column)),
        ExprKind::Unary(op, operand) => match (op, evaluate(operand, catalog, row, seen)?) {
            (_, Dynamic::Null) => Dynamic::Null,
            (UnaryOp::Not, Dynamic::Bool(b)) => Dynamic::Bool(!b),
            (UnaryOp::Neg, Dynamic::Int(i)) => {
                Dynamic::Int(i.checked_neg().ok_or_else(|| overflow(operand.column))?)
            }
            (UnaryOp::Neg, Dynamic::Decimal(d)) => Dynamic::Decimal(-d),
            _ => return Err(mistyped(column)),
        },
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), left, right) => {
            let decides = *op == BinaryOp::Or;
            let x = truth(evaluate(left, catalog, row, seen)?, left.column)?;
            if x == Some(decides) {
                return Ok(Dynamic::Bool(decides));
            }
            let y = truth(evaluate(right, catalog, row, seen)?, right.column)?;
            match (x, y) {
                (_, Some(v)) if v == decides => Dynamic::Bool(decides),
                (Some(_), Some(_)) => Dynamic::Bool(!decides),
                _ => Dynamic::Null,
            }
        }
        ExprKind::Binary(BinaryOp::In, left, right) => {
            let x = evaluate(left, catalog, row, seen)?;
            let ExprKind::List(items) = &right.kind else {
                return Err(mistyped(right.column));
            };
            let mut found = false;
            for item in items {
                let y = evaluate(item, catalog, row, seen)?;
                found |= equal(&x, &y, item.column)?;
            }
            Dynamic::Bool(found)
        }
        ExprKind::Binary(op, left, right) => {
            let x = evaluate(left, catalog, row, seen)?;
            let y = evaluate(right, catalog, row, seen)?;
            if op.is_comparison() {
                let held = compare(*op, &x, &y, right.column)?;
                if let Some(seen) = seen {
                    seen.push(Comparison {
                        left: left.to_string(),
                        left_value: x,
                        op: *op,
                        right: right.to_string(),
                        right_value: y,
                        held,
                    });
                }
                Dynamic::Bool(held)
            } else {
                arithmetic(*op, x, y, right.column)?
            }
        }
        ExprKind::Call(function, receiver, argument) => {
            let (s, p) = (
                evaluate(receiver, catalog, row, seen)?,
                evaluate(argument, catalog, row, seen)?,
            );
            match (s, p) {
                (Dynamic::Text(s), Dynamic::Text(p)) => Dynamic::Bool(match function {
                    Function::StartsWith => s.starts_with(&p),
                    Function::EndsWith => s.ends_with(&p),
                    Function::Contains => s.contains(&p),
                }),
                (Dynamic::Null, _) | (_, Dynamic::Null) => Dynamic::Null,
                _ => return Err(mistyped(column)),
            }
        }
    })
}

fn literal(l: &Literal) -> Dynamic {
    match l {
        Literal::Int(i) => Dynamic::Int(*i),
        Literal::Decimal(d) => Dynamic::Decimal(*d),
        Literal::Text(t) => Dynamic::Text(t.clone()),
        Literal::Bool(b) => Dynamic::Bool(*b),
        Literal::Null => Dynamic::Null,
    }
}

fn mistyped(column: Column) -> EvalError {
    EvalError {
        column,
        message: "values of the wrong type".into(),
    }
}

fn truth(value: Dynamic, column: Column) -> Result<Option<bool>, EvalError> {
    match value {
        Dynamic::Bool(b) => Ok(Some(b)),
        Dynamic::Null => Ok(None),
        _ => Err(mistyped(column)),
    }
}

/// A date against a text holding one, as a filter writes dates.
fn as_date(value: &Dynamic, column: Column) -> Result<Option<NaiveDate>, EvalError> {
    match value {
        Dynamic::Date(d) => Ok(Some(*d)),
        Dynamic::Text(t) => crate::parse_date(t)
            .map(Some)
            .map_err(|message| EvalError { column, message }),
        _ => Err(mistyped(column)),
    }
}

fn equal(x: &Dynamic, y: &Dynamic, column: Column) -> Result<bool, EvalError> {
    compare(BinaryOp::Eq, x, y, column)
}

fn compare(op: BinaryOp, x: &Dynamic, y: &Dynamic, column: Column) -> Result<bool, EvalError> {
    Ok(match (x, y) {
        (Dynamic::Null, Dynamic::Null) => decide::<i64>(op, None, None),
        (Dynamic::Null, _) | (_, Dynamic::Null) => decide(op, None, Some(0)),
        (Dynamic::Int(a), Dynamic::Int(b)) => decide(op, Some(a), Some(b)),
        (Dynamic::Text(a), Dynamic::Text(b)) => decide(op, Some(a), Some(b)),
        (Dynamic::Bool(a), Dynamic::Bool(b)) => decide(op, Some(a), Some(b)),
        (Dynamic::Date(_), _) | (_, Dynamic::Date(_)) => {
            decide(op, as_date(x, column)?, as_date(y, column)?)
        }
        _ => match (x.number(), y.number()) {
            (Some(a), Some(b)) => decide(op, Some(a), Some(b)),
            _ => return Err(mistyped(column)),
        },
    })
}

fn arithmetic(op: BinaryOp, x: Dynamic, y: Dynamic, column: Column) -> Result<Dynamic, EvalError> {
    Ok(match (x, y) {
        (Dynamic::Null, _) | (_, Dynamic::Null) => Dynamic::Null,
        (Dynamic::Int(a), Dynamic::Int(b)) if op != BinaryOp::Div => Dynamic::Int(
            match op {
                BinaryOp::Add => a.checked_add(b),
                BinaryOp::Sub => a.checked_sub(b),
                _ => a.checked_mul(b),
            }
            .ok_or_else(|| overflow(column))?,
        ),
        (Dynamic::Date(a), Dynamic::Date(b)) if op == BinaryOp::Sub => {
            Dynamic::Int((a - b).num_days())
        }
        (Dynamic::Date(a), Dynamic::Int(b)) if op == BinaryOp::Add => {
            Dynamic::Date(shift(a, b, 1, column)?)
        }
        (Dynamic::Date(a), Dynamic::Int(b)) if op == BinaryOp::Sub => {
            Dynamic::Date(shift(a, b, -1, column)?)
        }
        (Dynamic::Int(a), Dynamic::Date(b)) if op == BinaryOp::Add => {
            Dynamic::Date(shift(b, a, 1, column)?)
        }
        (Dynamic::Text(a), Dynamic::Text(b)) if op == BinaryOp::Add => Dynamic::Text(a + &b),
        (x, y) => match (x.number(), y.number()) {
            (Some(a), Some(b)) => Dynamic::Decimal(decimal_op(op, a, b, column)?),
            _ => return Err(mistyped(column)),
        },
    })
}

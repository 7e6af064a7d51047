//! Turning a parsed filter into closures over a row's slots: names are resolved, types
//! checked and literals read once, so evaluating a row never looks at the text again.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::catalog::{Catalog, Type};
use super::syntax::{BinaryOp, Column, Expr, ExprKind, FilterError, Function, Literal, UnaryOp};
use super::{Cell, EvalError, Row};
use crate::{Money, SCALE};

/// What evaluating part of a filter gives: a value, `None` for null, or an error.
pub(crate) type Out<T> = Result<Option<T>, EvalError>;
pub(crate) type Fun<T> = Arc<dyn Fn(&dyn Row) -> Out<T> + Send + Sync>;
pub(crate) type TextFun = Arc<dyn for<'r> Fn(&'r dyn Row) -> Out<Cow<'r, str>> + Send + Sync>;
/// A test that never gives null.
type Test = Arc<dyn Fn(&dyn Row) -> Result<bool, EvalError> + Send + Sync>;

enum Code {
    Null,
    Bool(Fun<bool>),
    Int(Fun<i64>),
    Decimal(Fun<Decimal>),
    Date(Fun<NaiveDate>),
    Text(TextFun),
}

impl Code {
    fn type_name(&self) -> &'static str {
        match self {
            Code::Null => "null",
            Code::Bool(_) => Type::Bool.name(),
            Code::Int(_) | Code::Decimal(_) => Type::Int.name(),
            Code::Date(_) => Type::Date.name(),
            Code::Text(_) => Type::Text.name(),
        }
    }
}

/// A compiled part of a filter, with the literal it is (if it is one), the field it reads
/// (if it is a bare field), and, for a test, its plain form: a chain of `&&` or `||` runs its
/// tests in one loop instead of through nested closures.
struct Compiled {
    code: Code,
    constant: Option<Literal>,
    field: Option<(usize, Type)>,
    test: Option<Part>,
    chain: Option<(BinaryOp, Vec<Part>)>,
}

impl Compiled {
    fn code(code: Code) -> Compiled {
        Compiled {
            code,
            constant: None,
            field: None,
            test: None,
            chain: None,
        }
    }

    /// A test in its plain form, with the closure that runs it alone.
    fn test(part: Part) -> Compiled {
        let run = part.clone();
        Compiled {
            test: Some(part),
            ..Compiled::code(Code::Bool(Arc::new(move |row| run.run(&Dyn(row)))))
        }
    }
}

/// One test of a chain: a field against a constant read without a closure of its own, or
/// any other test's closure. Two parts are equal when they make the same test, so that one's
/// answer on a row is the other's.
#[derive(Clone, PartialEq)]
pub(crate) enum Part {
    /// A field's value against a constant, the field read from its slot.
    Field {
        slot: usize,
        test: FieldTest,
    },
    Code(Closure),
}

/// What a field's test does with the field's value.
#[derive(Clone, PartialEq)]
pub(crate) enum FieldTest {
    /// A money field (or a number) against a constant; `raw` its ten-thousandths.
    Money {
        op: BinaryOp,
        raw: i64,
        exact: Decimal,
    },
    Int {
        op: BinaryOp,
        value: i64,
    },
    Decimal {
        op: BinaryOp,
        value: Decimal,
    },
    Date {
        op: BinaryOp,
        day: NaiveDate,
    },
    Text {
        op: BinaryOp,
        text: Arc<str>,
    },
    TextIn {
        set: Arc<[String]>,
        has_null: bool,
    },
    /// A true/false field: null when it is null.
    Bool,
}

impl Part {
    /// The test's answer on a row. A comparison is never null (a null equals only null).
    /// Generic, so that a filter run over rows of one known kind reads their cells without
    /// a call through a pointer.
    #[inline]
    pub(crate) fn run<R: Row>(&self, row: &R) -> Out<bool> {
        match self {
            Part::Field { slot, test } => Ok(test.on(row.cell(*slot))),
            Part::Code(Closure(f)) => f(row as &dyn Row),
        }
    }

    /// The test's answers on the rows `which` picks, given to `put(row, answer)` in its
    /// order: a field's test reads the field's column first, then decides every cell in one
    /// loop; `cells` is room for the column.
    pub(crate) fn run_column<'r, R: Row>(
        &self,
        rows: &'r [R],
        which: &[u32],
        cells: &mut Vec<Cell<'r>>,
        mut put: impl FnMut(u32, Out<bool>),
    ) {
        match self {
            Part::Field { slot, test } => {
                cells.clear();
                R::column(rows, *slot, which, cells);
                for (&r, cell) in which.iter().zip(cells.iter()) {
                    put(r, Ok(test.on(*cell)));
                }
            }
            Part::Code(Closure(f)) => {
                for &r in which {
                    put(r, f(&rows[r as usize] as &dyn Row));
                }
            }
        }
    }
}

/// The orderings a comparison accepts, as bits (less 1, equal 2, greater 4): a test over a
/// column compares each value and looks its ordering up, with no choice of operator per value.
#[derive(Clone, Copy)]
struct Accepts(u8);

impl Accepts {
    fn of(op: BinaryOp) -> Accepts {
        Accepts(match op {
            BinaryOp::Lt => 0b001,
            BinaryOp::Le => 0b011,
            BinaryOp::Eq => 0b010,
            BinaryOp::Ne => 0b101,
            BinaryOp::Gt => 0b100,
            BinaryOp::Ge => 0b110,
            _ => 0,
        })
    }

    /// What [`decide`] gives for two values.
    #[inline]
    fn holds<T: Ord>(self, a: T, b: T) -> bool {
        (self.0 >> (a.cmp(&b) as i8 + 1)) & 1 == 1
    }
}

/// The bits of `out` from one answer per cell, 64 cells a word; bits past the cells are 0.
#[inline]
fn bits<'a>(cells: &[Cell<'a>], out: &mut [u64], answer: impl Fn(Cell<'a>) -> bool) {
    for (word, chunk) in out.iter_mut().zip(cells.chunks(64)) {
        let mut w = 0u64;
        for (i, cell) in chunk.iter().enumerate() {
            w |= u64::from(answer(*cell)) << i;
        }
        *word = w;
    }
}

impl FieldTest {
    /// The test on a whole column, as bits: `truth` where the cell's answer is true, `null`
    /// where it is null, as [`FieldTest::on`] answers cell by cell. The common kinds compare
    /// their values in a loop of their own.
    pub(crate) fn on_column(&self, cells: &[Cell<'_>], truth: &mut [u64], null: &mut [u64]) {
        null.fill(0);
        match self {
            FieldTest::Money { op, raw, .. } => {
                let (accepts, raw) = (Accepts::of(*op), *raw);
                bits(cells, truth, |cell| match cell {
                    Cell::Money(m) => accepts.holds(m.raw(), raw),
                    other => self.on(other) == Some(true),
                });
            }
            FieldTest::Int { op, value } => {
                let (accepts, value) = (Accepts::of(*op), *value);
                bits(cells, truth, |cell| match cell {
                    Cell::Int(i) => accepts.holds(i, value),
                    other => self.on(other) == Some(true),
                });
            }
            FieldTest::Date { op, day } => {
                let (accepts, day) = (Accepts::of(*op), *day);
                bits(cells, truth, |cell| match cell {
                    Cell::Date(d) => accepts.holds(d, day),
                    other => self.on(other) == Some(true),
                });
            }
            FieldTest::Bool => {
                bits(cells, truth, |cell| cell == Cell::Bool(true));
                bits(cells, null, |cell| !matches!(cell, Cell::Bool(_)));
            }
            _ => bits(cells, truth, |cell| self.on(cell) == Some(true)),
        }
    }

    /// The test on the field's value.
    #[inline]
    fn on(&self, cell: Cell<'_>) -> Option<bool> {
        Some(match self {
            FieldTest::Money { op, raw, exact } => match cell {
                Cell::Money(m) => decide(*op, Some(m.raw()), Some(*raw)),
                // Hundredths are a hundred ten-thousandths.
                Cell::Rate(h) if let Some(r) = h.checked_mul(100) => {
                    decide(*op, Some(r), Some(*raw))
                }
                other => decide(*op, other.decimal(), Some(*exact)),
            },
            FieldTest::Int { op, value } => {
                let cell = match cell {
                    Cell::Int(i) => Some(i),
                    _ => None,
                };
                decide(*op, cell, Some(*value))
            }
            FieldTest::Decimal { op, value } => decide(*op, cell.decimal(), Some(*value)),
            FieldTest::Date { op, day } => {
                let cell = match cell {
                    Cell::Date(d) => Some(d),
                    _ => None,
                };
                decide(*op, cell, Some(*day))
            }
            FieldTest::Text { op, text } => {
                let cell = match cell {
                    Cell::Text(t) => Some(t),
                    _ => None,
                };
                decide(*op, cell, Some(&**text))
            }
            FieldTest::TextIn { set, has_null } => match cell {
                Cell::Text(t) => set.iter().any(|s| s == t),
                _ => *has_null,
            },
            FieldTest::Bool => {
                return match cell {
                    Cell::Bool(b) => Some(b),
                    _ => None,
                };
            }
        })
    }
}

/// A test compiled to a closure: the same test only as itself.
#[derive(Clone)]
pub(crate) struct Closure(Fun<bool>);

impl PartialEq for Closure {
    fn eq(&self, other: &Closure) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A row known only through the trait, for the closures.
struct Dyn<'a>(&'a dyn Row);

impl Row for Dyn<'_> {
    #[inline]
    fn cell(&self, slot: usize) -> Cell<'_> {
        self.0.cell(slot)
    }
}

/// A whole filter, compiled: its top chain of tests run in a loop of its own, or the one
/// test it is.
pub(crate) enum Top {
    Chain(BinaryOp, Vec<Part>),
    Test(Part),
}

impl Top {
    /// Whether the row matches; null counts as no.
    pub(crate) fn matches(&self, row: &dyn Row) -> Result<bool, EvalError> {
        self.matches_row(&Dyn(row))
    }

    /// The same over a row of a known kind.
    #[inline]
    pub(crate) fn matches_row<R: Row>(&self, row: &R) -> Result<bool, EvalError> {
        match self {
            Top::Test(part) => Ok(part.run(row)? == Some(true)),
            Top::Chain(op, parts) => {
                let decides = *op == BinaryOp::Or;
                let mut null = false;
                for part in parts {
                    match part.run(row)? {
                        Some(v) if v == decides => return Ok(decides),
                        Some(_) => {}
                        None => null = true,
                    }
                }
                Ok(!decides && !null)
            }
        }
    }
}

/// Compiles a whole filter, which must be true or false.
pub(crate) fn compile_filter(expr: &Expr, catalog: &Catalog) -> Result<Top, FilterError> {
    match compile(expr, catalog)? {
        Compiled {
            chain: Some((op, parts)),
            ..
        } => Ok(Top::Chain(op, parts)),
        Compiled {
            test: Some(part), ..
        } => Ok(Top::Test(part)),
        Compiled {
            code: Code::Bool(f),
            ..
        } => Ok(Top::Test(Part::Code(Closure(f)))),
        other => Err(FilterError::new(
            expr.column,
            format!(
                "a filter must be true or false; this one gives a {}",
                other.code.type_name()
            ),
        )),
    }
}

fn compile(expr: &Expr, catalog: &Catalog) -> Result<Compiled, FilterError> {
    let column = expr.column;
    match &expr.kind {
        ExprKind::Literal(literal) => Ok(constant(literal.clone())),
        ExprKind::Field(path) => field(&path.join("."), column, catalog),
        ExprKind::List(_) => Err(FilterError::new(column, "a list can only follow \"in\"")),
        ExprKind::Unary(op, operand) => unary(*op, compile(operand, catalog)?, operand.column),
        ExprKind::Binary(BinaryOp::In, left, right) => {
            let ExprKind::List(items) = &right.kind else {
                return Err(FilterError::new(
                    right.column,
                    "\"in\" needs a list such as [\"A\", \"B\"]",
                ));
            };
            membership(compile(left, catalog)?, items, catalog)
        }
        ExprKind::Binary(op, left, right) => {
            let (l, r) = (compile(left, catalog)?, compile(right, catalog)?);
            match op {
                BinaryOp::And | BinaryOp::Or => logic(*op, l, r, left.column, right.column),
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                    arithmetic(*op, l, r, right.column)
                }
                _ => compare(*op, l, r, right.column),
            }
        }
        ExprKind::Call(function, receiver, argument) => {
            let (Code::Text(recv), Code::Text(arg)) = (
                compile(receiver, catalog)?.code,
                compile(argument, catalog)?.code,
            ) else {
                return Err(FilterError::new(
                    column,
                    format!("{} works on text, with a text", function.name()),
                ));
            };
            let test: fn(&str, &str) -> bool = match function {
                Function::StartsWith => |s, p| s.starts_with(p),
                Function::EndsWith => |s, p| s.ends_with(p),
                Function::Contains => |s, p| s.contains(p),
            };
            Ok(Compiled::code(Code::Bool(Arc::new(move |row| {
                let Some(s) = recv(row)? else { return Ok(None) };
                let Some(p) = arg(row)? else { return Ok(None) };
                Ok(Some(test(&s, &p)))
            }))))
        }
    }
}

fn constant(literal: Literal) -> Compiled {
    let code = match literal.clone() {
        Literal::Null => Code::Null,
        Literal::Bool(b) => Code::Bool(Arc::new(move |_| Ok(Some(b)))),
        Literal::Int(i) => Code::Int(Arc::new(move |_| Ok(Some(i)))),
        Literal::Decimal(d) => Code::Decimal(Arc::new(move |_| Ok(Some(d)))),
        Literal::Text(t) => Code::Text(Arc::new(move |_| Ok(Some(Cow::Owned(t.clone()))))),
    };
    Compiled {
        code,
        constant: Some(literal),
        field: None,
        test: None,
        chain: None,
    }
}

fn field(name: &str, column: Column, catalog: &Catalog) -> Result<Compiled, FilterError> {
    let Some(slot) = catalog.slot(name) else {
        let hint = catalog
            .nearest(name)
            .map(|n| format!(", did you mean {n:?}?"))
            .unwrap_or_default();
        return Err(FilterError::new(
            column,
            format!("unknown field {name:?}{hint}"),
        ));
    };
    let ty = catalog.field_type(slot);
    let code = match ty {
        Type::Bool => Code::Bool(Arc::new(move |row| {
            Ok(match row.cell(slot) {
                Cell::Bool(b) => Some(b),
                _ => None,
            })
        })),
        Type::Int => Code::Int(Arc::new(move |row| {
            Ok(match row.cell(slot) {
                Cell::Int(i) => Some(i),
                _ => None,
            })
        })),
        Type::Decimal => Code::Decimal(Arc::new(move |row| Ok(row.cell(slot).decimal()))),
        Type::Date => Code::Date(Arc::new(move |row| {
            Ok(match row.cell(slot) {
                Cell::Date(d) => Some(d),
                _ => None,
            })
        })),
        Type::Text => Code::Text(Arc::new(move |row| {
            Ok(match row.cell(slot) {
                Cell::Text(t) => Some(Cow::Borrowed(t)),
                _ => None,
            })
        })),
    };
    Ok(Compiled {
        code,
        constant: None,
        field: Some((slot, ty)),
        test: (ty == Type::Bool).then_some(Part::Field {
            slot,
            test: FieldTest::Bool,
        }),
        chain: None,
    })
}

fn unary(op: UnaryOp, operand: Compiled, column: Column) -> Result<Compiled, FilterError> {
    match (op, operand.code) {
        (UnaryOp::Not, Code::Bool(f)) => Ok(Compiled::code(Code::Bool(Arc::new(move |row| {
            Ok(f(row)?.map(|b| !b))
        })))),
        (UnaryOp::Neg, Code::Int(f)) => {
            if let Some(Literal::Int(i)) = operand.constant {
                return Ok(constant(Literal::Int(
                    i.checked_neg()
                        .ok_or_else(|| FilterError::new(column, "number too large"))?,
                )));
            }
            Ok(Compiled::code(Code::Int(Arc::new(move |row| {
                f(row)?
                    .map(|i| i.checked_neg().ok_or_else(|| overflow(column)))
                    .transpose()
            }))))
        }
        (UnaryOp::Neg, Code::Decimal(f)) => {
            if let Some(Literal::Decimal(d)) = operand.constant {
                return Ok(constant(Literal::Decimal(-d)));
            }
            Ok(Compiled::code(Code::Decimal(Arc::new(move |row| {
                Ok(f(row)?.map(|d| -d))
            }))))
        }
        (UnaryOp::Not, other) => Err(FilterError::new(
            column,
            format!("\"!\" needs true or false, not a {}", other.type_name()),
        )),
        (UnaryOp::Neg, other) => Err(FilterError::new(
            column,
            format!("\"-\" needs a number, not a {}", other.type_name()),
        )),
    }
}

fn logic(
    op: BinaryOp,
    l: Compiled,
    r: Compiled,
    left_column: Column,
    right_column: Column,
) -> Result<Compiled, FilterError> {
    let symbol = op.symbol();
    let mut parts = Vec::new();
    for (side, column) in [(l, left_column), (r, right_column)] {
        match side {
            Compiled {
                chain: Some((o, chain)),
                ..
            } if o == op => parts.extend(chain),
            Compiled {
                test: Some(part), ..
            } => parts.push(part),
            Compiled {
                code: Code::Bool(f),
                ..
            } => parts.push(Part::Code(Closure(f))),
            other => {
                return Err(FilterError::new(
                    column,
                    format!(
                        "{symbol:?} joins true/false values, not a {}",
                        other.code.type_name()
                    ),
                ));
            }
        }
    }
    // Three-valued: one deciding value decides; else a null makes null. The tests run in
    // order and stop at the first deciding one, as nested `&&` and `||` would.
    let decides = op == BinaryOp::Or;
    let run = parts.clone();
    let code = Code::Bool(Arc::new(move |row| {
        let mut null = false;
        for part in run.iter() {
            match part.run(&Dyn(row))? {
                Some(v) if v == decides => return Ok(Some(decides)),
                Some(_) => {}
                None => null = true,
            }
        }
        Ok(if null { None } else { Some(!decides) })
    }));
    Ok(Compiled {
        chain: Some((op, parts)),
        ..Compiled::code(code)
    })
}

pub(crate) fn overflow(column: Column) -> EvalError {
    EvalError {
        column,
        message: "number too large".into(),
    }
}

fn as_decimal(code: Code) -> Option<Fun<Decimal>> {
    match code {
        Code::Int(f) => Some(Arc::new(move |row| Ok(f(row)?.map(Decimal::from)))),
        Code::Decimal(f) => Some(f),
        _ => None,
    }
}

fn arithmetic(
    op: BinaryOp,
    l: Compiled,
    r: Compiled,
    column: Column,
) -> Result<Compiled, FilterError> {
    let mismatch = |l: &Code, r: &Code| {
        FilterError::new(
            column,
            format!(
                "cannot {} a {} and a {}",
                match op {
                    BinaryOp::Add => "add",
                    BinaryOp::Sub => "subtract",
                    BinaryOp::Mul => "multiply",
                    _ => "divide",
                },
                l.type_name(),
                r.type_name()
            ),
        )
    };
    let code = match (l.code, r.code) {
        (Code::Int(a), Code::Int(b)) if op != BinaryOp::Div => {
            let f: fn(i64, i64) -> Option<i64> = match op {
                BinaryOp::Add => i64::checked_add,
                BinaryOp::Sub => i64::checked_sub,
                _ => i64::checked_mul,
            };
            Code::Int(Arc::new(move |row| {
                let (Some(x), Some(y)) = (a(row)?, b(row)?) else {
                    return Ok(None);
                };
                f(x, y).map(Some).ok_or_else(|| overflow(column))
            }))
        }
        (lc @ (Code::Int(_) | Code::Decimal(_)), rc @ (Code::Int(_) | Code::Decimal(_))) => {
            let (Some(a), Some(b)) = (as_decimal(lc), as_decimal(rc)) else {
                return Err(FilterError::new(column, "numbers expected"));
            };
            Code::Decimal(Arc::new(move |row| {
                let (Some(x), Some(y)) = (a(row)?, b(row)?) else {
                    return Ok(None);
                };
                decimal_op(op, x, y, column).map(Some)
            }))
        }
        (Code::Date(a), Code::Date(b)) if op == BinaryOp::Sub => Code::Int(Arc::new(move |row| {
            let (Some(x), Some(y)) = (a(row)?, b(row)?) else {
                return Ok(None);
            };
            Ok(Some((x - y).num_days()))
        })),
        (Code::Date(a), Code::Int(b)) if matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
            let sign = if op == BinaryOp::Add { 1 } else { -1 };
            Code::Date(Arc::new(move |row| {
                let (Some(x), Some(y)) = (a(row)?, b(row)?) else {
                    return Ok(None);
                };
                shift(x, y, sign, column).map(Some)
            }))
        }
        (Code::Int(a), Code::Date(b)) if op == BinaryOp::Add => Code::Date(Arc::new(move |row| {
            let (Some(x), Some(y)) = (a(row)?, b(row)?) else {
                return Ok(None);
            };
            shift(y, x, 1, column).map(Some)
        })),
        (Code::Text(a), Code::Text(b)) if op == BinaryOp::Add => Code::Text(Arc::new(move |row| {
            let (Some(x), Some(y)) = (a(row)?, b(row)?) else {
                return Ok(None);
            };
            Ok(Some(Cow::Owned(format!("{x}{y}"))))
        })),
        (l, r) => return Err(mismatch(&l, &r)),
    };
    Ok(Compiled::code(code))
}

/// `x op y` on exact decimals: an error for a division by zero or an overflow.
pub(crate) fn decimal_op(
    op: BinaryOp,
    x: Decimal,
    y: Decimal,
    column: Column,
) -> Result<Decimal, EvalError> {
    if op == BinaryOp::Div && y.is_zero() {
        return Err(EvalError {
            column,
            message: "division by zero".into(),
        });
    }
    match op {
        BinaryOp::Add => x.checked_add(y),
        BinaryOp::Sub => x.checked_sub(y),
        BinaryOp::Mul => x.checked_mul(y),
        _ => x.checked_div(y),
    }
    .ok_or_else(|| overflow(column))
}

/// A date moved by `days` × `sign`.
pub(crate) fn shift(
    date: NaiveDate,
    days: i64,
    sign: i64,
    column: Column,
) -> Result<NaiveDate, EvalError> {
    days.checked_mul(sign)
        .and_then(chrono::TimeDelta::try_days)
        .and_then(|d| date.checked_add_signed(d))
        .ok_or_else(|| EvalError {
            column,
            message: "date out of range".into(),
        })
}

/// The answer of a comparison; a null equals only null and orders with nothing.
pub(crate) fn decide<T: PartialOrd>(op: BinaryOp, a: Option<T>, b: Option<T>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => match op {
            BinaryOp::Eq => a == b,
            BinaryOp::Ne => a != b,
            BinaryOp::Lt => a < b,
            BinaryOp::Le => a <= b,
            BinaryOp::Gt => a > b,
            BinaryOp::Ge => a >= b,
            _ => false,
        },
        (None, None) => op == BinaryOp::Eq,
        _ => op == BinaryOp::Ne,
    }
}

/// `a op b` read as `b op' a`.
fn flipped(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

/// A date written as text in a filter (`due_date < "2015-03-01"`).
fn date_literal(literal: &Option<Literal>, column: Column) -> Result<NaiveDate, FilterError> {
    match literal {
        Some(Literal::Text(t)) => crate::parse_date(t).map_err(|why| FilterError::new(column, why)),
        _ => Err(FilterError::new(
            column,
            "cannot compare a date with a text; write a date as \"YYYY-MM-DD\"",
        )),
    }
}

/// Whether a value is null, for `== null` and `!= null`.
fn nullness(code: Code) -> Test {
    match code {
        Code::Null => Arc::new(|_| Ok(true)),
        Code::Bool(f) => Arc::new(move |row| Ok(f(row)?.is_none())),
        Code::Int(f) => Arc::new(move |row| Ok(f(row)?.is_none())),
        Code::Decimal(f) => Arc::new(move |row| Ok(f(row)?.is_none())),
        Code::Date(f) => Arc::new(move |row| Ok(f(row)?.is_none())),
        Code::Text(f) => Arc::new(move |row| Ok(f(row)?.is_none())),
    }
}

fn compare(
    op: BinaryOp,
    l: Compiled,
    r: Compiled,
    column: Column,
) -> Result<Compiled, FilterError> {
    if let Some(part) = field_test(op, &l, &r, column)?
        .or_else(|| field_test(flipped(op), &r, &l, column).ok().flatten())
    {
        return Ok(Compiled::test(part));
    }
    let bool_of = |f: Test| Compiled::code(Code::Bool(Arc::new(move |row| Ok(Some(f(row)?)))));
    let (l_constant, r_constant) = (l.constant.clone(), r.constant.clone());
    Ok(match (l.code, r.code) {
        (Code::Null, other) | (other, Code::Null) => {
            if !matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
                return Err(FilterError::new(
                    column,
                    "null can only be compared with == or !=",
                ));
            }
            let is_null = nullness(other);
            let wanted = op == BinaryOp::Eq;
            bool_of(Arc::new(move |row| Ok(is_null(row)? == wanted)))
        }
        (Code::Int(a), Code::Int(b)) => {
            bool_of(Arc::new(move |row| Ok(decide(op, a(row)?, b(row)?))))
        }
        (lc @ (Code::Int(_) | Code::Decimal(_)), rc @ (Code::Int(_) | Code::Decimal(_))) => {
            let (Some(a), Some(b)) = (as_decimal(lc), as_decimal(rc)) else {
                return Err(FilterError::new(column, "numbers expected"));
            };
            bool_of(Arc::new(move |row| Ok(decide(op, a(row)?, b(row)?))))
        }
        (Code::Text(a), Code::Text(b)) => {
            bool_of(Arc::new(move |row| Ok(decide(op, a(row)?, b(row)?))))
        }
        (Code::Date(a), Code::Date(b)) => {
            bool_of(Arc::new(move |row| Ok(decide(op, a(row)?, b(row)?))))
        }
        (Code::Date(a), Code::Text(_)) => {
            let day = date_literal(&r_constant, column)?;
            bool_of(Arc::new(move |row| Ok(decide(op, a(row)?, Some(day)))))
        }
        (Code::Text(_), Code::Date(b)) => {
            let day = date_literal(&l_constant, column)?;
            bool_of(Arc::new(move |row| Ok(decide(op, Some(day), b(row)?))))
        }
        (Code::Bool(a), Code::Bool(b)) => {
            if !matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
                return Err(FilterError::new(
                    column,
                    format!(
                        "true/false values have no order; {:?} needs numbers, dates or texts",
                        op.symbol()
                    ),
                ));
            }
            bool_of(Arc::new(move |row| Ok(decide(op, a(row)?, b(row)?))))
        }
        (a, b) => {
            return Err(FilterError::new(
                column,
                format!(
                    "cannot compare a {} with a {}",
                    a.type_name(),
                    b.type_name()
                ),
            ));
        }
    })
}

/// `field op constant` as a plain test, when the two are of kinds that compare: a money field
/// with a whole number of ten-thousandths reads no decimal (`total_past_due > 500`).
fn field_test(
    op: BinaryOp,
    field: &Compiled,
    value: &Compiled,
    column: Column,
) -> Result<Option<Part>, FilterError> {
    let (Some((slot, ty)), Some(constant)) = (field.field, value.constant.as_ref()) else {
        return Ok(None);
    };
    let test = match (ty, constant) {
        (Type::Decimal, Literal::Int(_) | Literal::Decimal(_)) => {
            let exact = match constant {
                Literal::Int(i) => Decimal::from(*i),
                Literal::Decimal(d) => *d,
                _ => return Ok(None),
            };
            let whole = exact
                .checked_mul(Decimal::from(SCALE))
                .filter(|scaled| scaled.fract().is_zero())
                .and_then(|scaled| i64::try_from(scaled).ok());
            match whole {
                Some(raw) => FieldTest::Money { op, raw, exact },
                None => FieldTest::Decimal { op, value: exact },
            }
        }
        (Type::Int, Literal::Int(i)) => FieldTest::Int { op, value: *i },
        (Type::Int, Literal::Decimal(d)) => FieldTest::Decimal { op, value: *d },
        (Type::Date, Literal::Text(_)) => FieldTest::Date {
            op,
            day: date_literal(&Some(constant.clone()), column)?,
        },
        (Type::Text, Literal::Text(t)) => FieldTest::Text {
            op,
            text: Arc::from(t.as_str()),
        },
        _ => return Ok(None),
    };
    Ok(Some(Part::Field { slot, test }))
}

/// `x in [a, b, …]`: the list holds literals of `x`'s type (or null).
fn membership(left: Compiled, items: &[Expr], catalog: &Catalog) -> Result<Compiled, FilterError> {
    let mut constants = Vec::with_capacity(items.len());
    for item in items {
        let compiled = compile(item, catalog)?;
        match compiled.constant {
            Some(c) => constants.push((item.column, c)),
            None => {
                return Err(FilterError::new(
                    item.column,
                    "a list after \"in\" holds literal values",
                ));
            }
        }
    }
    let has_null = constants.iter().any(|(_, c)| *c == Literal::Null);
    let wrong = |column: Column, what: &str| {
        FilterError::new(column, format!("this list holds {what} values only"))
    };
    let code = match left.code {
        Code::Int(_) | Code::Decimal(_) => {
            let mut set = Vec::new();
            for (column, c) in constants {
                match c {
                    Literal::Int(i) => set.push(Decimal::from(i)),
                    Literal::Decimal(d) => set.push(d),
                    Literal::Null => {}
                    _ => return Err(wrong(column, "number")),
                }
            }
            let Some(f) = as_decimal(left.code) else {
                return Err(FilterError::new(
                    items.first().map_or(1, |i| i.column),
                    "numbers expected",
                ));
            };
            member(f, set, has_null)
        }
        Code::Text(f) => {
            let mut set = Vec::new();
            for (column, c) in constants {
                match c {
                    Literal::Text(t) => set.push(t),
                    Literal::Null => {}
                    _ => return Err(wrong(column, "text")),
                }
            }
            if let Some((slot, Type::Text)) = left.field {
                return Ok(Compiled::test(Part::Field {
                    slot,
                    test: FieldTest::TextIn {
                        set: set.into(),
                        has_null,
                    },
                }));
            }
            Code::Bool(Arc::new(move |row| {
                Ok(Some(match f(row)? {
                    Some(v) => set.iter().any(|s| *s == *v),
                    None => has_null,
                }))
            }))
        }
        Code::Date(f) => {
            let mut set = Vec::new();
            for (column, c) in constants {
                match c {
                    Literal::Null => {}
                    text => set.push(date_literal(&Some(text), column)?),
                }
            }
            member(f, set, has_null)
        }
        Code::Bool(f) => {
            let mut set = Vec::new();
            for (column, c) in constants {
                match c {
                    Literal::Bool(b) => set.push(b),
                    Literal::Null => {}
                    _ => return Err(wrong(column, "true/false")),
                }
            }
            member(f, set, has_null)
        }
        Code::Null => Code::Bool(Arc::new(move |_| Ok(Some(has_null)))),
    };
    Ok(Compiled::code(code))
}

fn member<T: PartialEq + Send + Sync + 'static>(f: Fun<T>, set: Vec<T>, has_null: bool) -> Code {
    Code::Bool(Arc::new(move |row| {
        Ok(Some(match f(row)? {
            Some(v) => set.contains(&v),
            None => has_null,
        }))
    }))
}

impl Cell<'_> {
    /// A number cell as an exact decimal.
    pub fn decimal(&self) -> Option<Decimal> {
        match *self {
            Cell::Money(m) => Some(m.to_decimal()),
            Cell::Decimal(d) => Some(d),
            Cell::Rate(h) => Some(Decimal::new(h, 2)),
            Cell::Int(i) => Some(Decimal::from(i)),
            _ => None,
        }
    }
}

impl From<Money> for Cell<'_> {
    fn from(m: Money) -> Self {
        Cell::Money(m)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::{BinaryOp, Cell, FieldTest};
    use crate::Money;

    /// A field's test made over a whole column (more than two words of 64 cells, of every
    /// kind and null) answers each cell as it answers that cell alone.
    #[test]
    fn a_test_over_a_column_answers_each_cell_as_alone() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2015, 1, d).unwrap();
        let cells: Vec<Cell<'_>> = (0..150i64)
            .map(|i| match i % 7 {
                0 => Cell::Null,
                1 => Cell::Money(Money::from_raw((i - 75) * 10_000)),
                2 => Cell::Rate(i - 75),
                3 => Cell::Int(i % 20 - 10),
                4 => Cell::Date(day(i as u32 % 28 + 1)),
                5 => Cell::Bool(i % 2 == 0),
                _ => Cell::Text(["IN", "CM", "FC"][i as usize % 3]),
            })
            .collect();
        let mut tests = vec![
            FieldTest::Bool,
            FieldTest::TextIn {
                set: Arc::from(["CM".to_owned(), "FC".to_owned()]),
                has_null: true,
            },
        ];
        for op in BinaryOp::COMPARISONS {
            tests.extend([
                FieldTest::Money {
                    op,
                    raw: 0,
                    exact: Decimal::ZERO,
                },
                FieldTest::Int { op, value: 0 },
                FieldTest::Decimal {
                    op,
                    value: Decimal::new(5, 1),
                },
                FieldTest::Date { op, day: day(14) },
                FieldTest::Text {
                    op,
                    text: Arc::from("CM"),
                },
            ]);
        }
        let bit = |words: &[u64], i: usize| (words[i / 64] >> (i % 64)) & 1 == 1;
        for (n, test) in tests.iter().enumerate() {
            let (mut truth, mut null) = (vec![!0; 3], vec![!0; 3]);
            test.on_column(&cells, &mut truth, &mut null);
            for (i, cell) in cells.iter().enumerate() {
                let column = if bit(&null, i) {
                    None
                } else {
                    Some(bit(&truth, i))
                };
                assert_eq!(column, test.on(*cell), "test {n}, cell {i}: {cell:?}");
            }
        }
    }
}

//! The text of a filter: tokens, the expression tree, and printing it back.
//!
//! The grammar is the part of Common Expression Language that section 4 of the contract
//! keeps, lowest precedence first:
//!
//! ```text
//! or      = and { "||" and }
//! and     = rel { "&&" rel }
//! rel     = add [ ("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") add ]
//! add     = mul { ("+" | "-") mul }
//! mul     = unary { ("*" | "/") unary }
//! unary   = ("!" | "-") unary | member
//! member  = primary { "." NAME [ "(" or ")" ] }
//! primary = INT | DECIMAL | STRING | true | false | null | NAME
//!         | "[" [ or { "," or } ] "]" | "(" or ")"
//! ```

use std::fmt;

use rust_decimal::Decimal;

/// Where in the filter text something is: the 1-based column of its first character.
pub type Column = u32;

/// A problem with a filter, at a column of its text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct FilterError {
    pub column: Column,
    pub message: String,
}

impl FilterError {
    pub(crate) fn new(column: Column, message: impl Into<String>) -> FilterError {
        FilterError {
            column,
            message: message.into(),
        }
    }
}

/// A literal value written in the filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    Int(i64),
    Decimal(Decimal),
    Text(String),
    Bool(bool),
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    /// Binding strength: `||` binds least.
    fn level(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Mul | BinaryOp::Div => 5,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.level() == 3 && self != BinaryOp::In
    }

    /// The six comparisons.
    pub const COMPARISONS: [BinaryOp; 6] = [
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
    ];
}

/// The string functions a filter may call on a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    StartsWith,
    EndsWith,
    Contains,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Function::StartsWith => "startsWith",
            Function::EndsWith => "endsWith",
            Function::Contains => "contains",
        }
    }

    fn named(name: &str) -> Option<Function> {
        [Function::StartsWith, Function::EndsWith, Function::Contains]
            .into_iter()
            .find(|f| f.name() == name)
    }
}

/// One node of a parsed filter, with the column it starts at.
#[derive(Clone, Debug)]
pub struct Expr {
    pub column: Column,
    pub kind: ExprKind,
}

/// Two filters are equal when they say the same thing, wherever it was written.
impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.kind == other.kind
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A field name; `customer.name` is `["customer", "name"]`.
    Field(Vec<String>),
    List(Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Function, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// The fields the expression names, as paths (`customer.name` is `["customer", "name"]`),
    /// in the order they are written.
    pub fn fields(&self) -> Vec<&[String]> {
        fn walk<'e>(e: &'e Expr, out: &mut Vec<&'e [String]>) {
            match &e.kind {
                ExprKind::Field(path) => out.push(path),
                ExprKind::Literal(_) => {}
                ExprKind::List(items) => items.iter().for_each(|x| walk(x, out)),
                ExprKind::Unary(_, x) => walk(x, out),
                ExprKind::Binary(_, l, r) | ExprKind::Call(_, l, r) => {
                    walk(l, out);
                    walk(r, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

impl ExprKind {
    /// Binding strength of the node as printed: operands binding less need parentheses.
    fn level(&self) -> u8 {
        match self {
            ExprKind::Binary(op, ..) => op.level(),
            ExprKind::Unary(..) => 6,
            _ => 7,
        }
    }
}

/// Parses the text of a filter into its tree.
pub fn parse(text: &str) -> Result<Expr, FilterError> {
    let tokens = lex(text)?;
    let mut parser = Parser { tokens, at: 0 };
    let expr = parser.or()?;
    match parser.peek() {
        Token::End => Ok(expr),
        other => Err(FilterError::new(
            parser.column(),
            format!("unexpected {}", other.describe()),
        )),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Int(i64),
    Decimal(Decimal),
    Text(String),
    Name(String),
    Symbol(&'static str),
    End,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Int(i) => format!("number {i}"),
            Token::Decimal(d) => format!("number {d}"),
            Token::Text(t) => format!("text {t:?}"),
            Token::Name(n) => format!("{n:?}"),
            Token::Symbol(s) => format!("{s:?}"),
            Token::End => "end of the filter".into(),
        }
    }
}

const SYMBOLS: [&str; 19] = [
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "(", ")", "[", "]", ",",
    ".",
];

fn lex(text: &str) -> Result<Vec<(Column, Token)>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let column = |i: usize| Column::try_from(i + 1).unwrap_or(Column::MAX);
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let token = if c.is_ascii_digit() {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let decimal = i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit();
            if decimal {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i < chars.len() && (chars[i].is_alphabetic() || chars[i] == '_') {
                return Err(FilterError::new(column(start), "a number runs into a name"));
            }
            let digits: String = chars[start..i].iter().collect();
            if decimal {
                Token::Decimal(Decimal::from_str_exact(&digits).map_err(|_| {
                    FilterError::new(column(start), format!("number {digits} is too long"))
                })?)
            } else {
                Token::Int(digits.parse().map_err(|_| {
                    FilterError::new(column(start), format!("number {digits} is too large"))
                })?)
            }
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            Token::Name(chars[start..i].iter().collect())
        } else if c == '"' || c == '\'' {
            i += 1;
            let mut value = String::new();
            loop {
                let Some(&next) = chars.get(i) else {
                    return Err(FilterError::new(column(start), "text is never closed"));
                };
                i += 1;
                match next {
                    q if q == c => break,
                    '\\' => {
                        let escaped = match chars.get(i) {
                            Some('n') => '\n',
                            Some('t') => '\t',
                            Some('r') => '\r',
                            Some(e @ ('\\' | '"' | '\'')) => *e,
                            _ => {
                                return Err(FilterError::new(
                                    column(i - 1),
                                    "unknown escape, expected \\\\, \\\", \\', \\n, \\t or \\r",
                                ));
                            }
                        };
                        value.push(escaped);
                        i += 1;
                    }
                    other => value.push(other),
                }
            }
            Token::Text(value)
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(symbol) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) else {
                let hint = match c {
                    '=' => ", did you mean \"==\"?",
                    '&' => ", did you mean \"&&\"?",
                    '|' => ", did you mean \"||\"?",
                    _ => "",
                };
                return Err(FilterError::new(
                    column(start),
                    format!("unexpected character {c:?}{hint}"),
                ));
            };
            i += symbol.chars().count();
            Token::Symbol(symbol)
        };
        out.push((column(start), token));
    }
    out.push((column(chars.len()), Token::End));
    Ok(out)
}

struct Parser {
    tokens: Vec<(Column, Token)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at.min(self.tokens.len() - 1)].1
    }

    fn column(&self) -> Column {
        self.tokens[self.at.min(self.tokens.len() - 1)].0
    }

    fn next(&mut self) -> (Column, Token) {
        let token = self.tokens[self.at.min(self.tokens.len() - 1)].clone();
        self.at += 1;
        token
    }

    fn eat(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Token::Symbol(s) if *s == symbol) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: &str) -> Result<(), FilterError> {
        if self.eat(symbol) {
            Ok(())
        } else {
            Err(FilterError::new(
                self.column(),
                format!("expected {symbol:?}, found {}", self.peek().describe()),
            ))
        }
    }

    fn binary(&mut self, left: Expr, op: BinaryOp, right: Expr) -> Expr {
        Expr {
            column: left.column,
            kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        while self.eat("||") {
            let right = self.and()?;
            left = self.binary(left, BinaryOp::Or, right);
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.rel()?;
        while self.eat("&&") {
            let right = self.rel()?;
            left = self.binary(left, BinaryOp::And, right);
        }
        Ok(left)
    }

    fn rel(&mut self) -> Result<Expr, FilterError> {
        let left = self.add()?;
        let op = match self.peek() {
            Token::Symbol("==") => BinaryOp::Eq,
            Token::Symbol("!=") => BinaryOp::Ne,
            Token::Symbol("<") => BinaryOp::Lt,
            Token::Symbol("<=") => BinaryOp::Le,
            Token::Symbol(">") => BinaryOp::Gt,
            Token::Symbol(">=") => BinaryOp::Ge,
            Token::Name(n) if n == "in" => BinaryOp::In,
            _ => return Ok(left),
        };
        self.at += 1;
        let right = self.add()?;
        if let Token::Symbol(s @ ("==" | "!=" | "<" | "<=" | ">" | ">=")) = self.peek() {
            return Err(FilterError::new(
                self.column(),
                format!(
                    "comparisons do not chain: put one side of {s:?} in parentheses or join them with &&"
                ),
            ));
        }
        Ok(self.binary(left, op, right))
    }

    fn add(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.mul()?;
        loop {
            let op = if self.eat("+") {
                BinaryOp::Add
            } else if self.eat("-") {
                BinaryOp::Sub
            } else {
                return Ok(left);
            };
            let right = self.mul()?;
            left = self.binary(left, op, right);
        }
    }

    fn mul(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat("*") {
                BinaryOp::Mul
            } else if self.eat("/") {
                BinaryOp::Div
            } else {
                return Ok(left);
            };
            let right = self.unary()?;
            left = self.binary(left, op, right);
        }
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        let column = self.column();
        let op = if self.eat("!") {
            UnaryOp::Not
        } else if self.eat("-") {
            UnaryOp::Neg
        } else {
            return self.member();
        };
        let operand = self.unary()?;
        Ok(Expr {
            column,
            kind: ExprKind::Unary(op, Box::new(operand)),
        })
    }

    fn member(&mut self) -> Result<Expr, FilterError> {
        let mut expr = self.primary()?;
        while self.eat(".") {
            let (column, token) = self.next();
            let Token::Name(name) = token else {
                return Err(FilterError::new(
                    column,
                    format!("expected a name after \".\", found {}", token.describe()),
                ));
            };
            if self.eat("(") {
                let function = Function::named(&name).ok_or_else(|| {
                    FilterError::new(
                        column,
                        format!(
                            "unknown function {name:?}, expected startsWith, endsWith or contains"
                        ),
                    )
                })?;
                let argument = self.or()?;
                self.expect(")")?;
                expr = Expr {
                    column: expr.column,
                    kind: ExprKind::Call(function, Box::new(expr), Box::new(argument)),
                };
            } else if let ExprKind::Field(path) = &mut expr.kind {
                path.push(name);
            } else {
                return Err(FilterError::new(
                    column,
                    format!("{name:?}: only a field has fields"),
                ));
            }
        }
        Ok(expr)
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let (column, token) = self.next();
        let kind = match token {
            Token::Int(i) => ExprKind::Literal(Literal::Int(i)),
            Token::Decimal(d) => ExprKind::Literal(Literal::Decimal(d)),
            Token::Text(t) => ExprKind::Literal(Literal::Text(t)),
            Token::Name(n) => match n.as_str() {
                "true" => ExprKind::Literal(Literal::Bool(true)),
                "false" => ExprKind::Literal(Literal::Bool(false)),
                "null" => ExprKind::Literal(Literal::Null),
                "in" => return Err(FilterError::new(column, "\"in\" needs a value before it")),
                _ => ExprKind::Field(vec![n]),
            },
            Token::Symbol("(") => {
                let inner = self.or()?;
                self.expect(")")?;
                return Ok(Expr { column, ..inner });
            }
            Token::Symbol("[") => {
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.or()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                ExprKind::List(items)
            }
            Token::End => {
                return Err(FilterError::new(
                    column,
                    "the filter ends where a value is expected",
                ));
            }
            other => {
                return Err(FilterError::new(
                    column,
                    format!("expected a value, found {}", other.describe()),
                ));
            }
        };
        Ok(Expr { column, kind })
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Decimal(d) => write!(f, "{d}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
            Literal::Text(t) => {
                f.write_str("\"")?;
                for c in t.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\t' => f.write_str("\\t")?,
                        '\r' => f.write_str("\\r")?,
                        other => write!(f, "{other}")?,
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

/// Prints the filter in its plainest form, with the parentheses its meaning needs.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operand = |f: &mut fmt::Formatter<'_>, e: &Expr, parens: bool| {
            if parens {
                write!(f, "({e})")
            } else {
                write!(f, "{e}")
            }
        };
        match &self.kind {
            ExprKind::Literal(l) => write!(f, "{l}"),
            ExprKind::Field(path) => f.write_str(&path.join(".")),
            ExprKind::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            ExprKind::Unary(op, e) => {
                f.write_str(match op {
                    UnaryOp::Not => "!",
                    UnaryOp::Neg => "-",
                })?;
                // `- -1` keeps its space apart; the lexer has no `--` but a reader would stumble.
                let nested_neg =
                    *op == UnaryOp::Neg && matches!(e.kind, ExprKind::Unary(UnaryOp::Neg, _));
                if nested_neg {
                    f.write_str(" ")?;
                }
                operand(f, e, e.kind.level() < 6)
            }
            ExprKind::Binary(op, left, right) => {
                let level = op.level();
                operand(
                    f,
                    left,
                    left.kind.level() < level || (level == 3 && left.kind.level() == 3),
                )?;
                write!(f, " {} ", op.symbol())?;
                operand(f, right, right.kind.level() <= level)
            }
            ExprKind::Call(function, receiver, argument) => {
                operand(f, receiver, receiver.kind.level() < 7)?;
                write!(f, ".{}({argument})", function.name())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(text: &str) -> String {
        parse(text).unwrap().to_string()
    }

    #[test]
    fn contract_examples_parse_and_print_back() {
        for text in [
            "total_past_due > 500 && over_60 > 0 && !credit_hold",
            "tran_type == \"IN\" && balance > 0 && due_date_days == -3",
            "due_date_days >= 15 && customer.customer_class in [\"RETAIL\", \"DEALER\"]",
        ] {
            assert_eq!(printed(text), text);
        }
    }

    #[test]
    fn precedence_follows_common_expression_language() {
        let e = parse("a || b && c == 1 + 2 * 3").unwrap();
        assert_eq!(e.to_string(), "a || b && c == 1 + 2 * 3");
        let ExprKind::Binary(BinaryOp::Or, _, right) = e.kind else {
            panic!("|| binds least")
        };
        assert!(matches!(right.kind, ExprKind::Binary(BinaryOp::And, ..)));
        assert_eq!(printed("(a || b) && c"), "(a || b) && c");
        assert_eq!(printed("a - (b - c)"), "a - (b - c)");
        assert_eq!(printed("(a - b) - c"), "a - b - c");
        assert_eq!(printed("!(a && b)"), "!(a && b)");
        assert_eq!(printed("- -1"), "- -1");
        assert_eq!(printed("(a + b).contains('x')"), "(a + b).contains(\"x\")");
    }

    #[test]
    fn texts_keep_quotes_and_escapes() {
        assert_eq!(
            printed(r#"name == 'O\'Brien "Jr"\n'"#),
            r#"name == "O'Brien \"Jr\"\n""#
        );
    }

    #[test]
    fn errors_point_at_the_column() {
        let cases = [
            (
                "total_past_due = 500",
                16,
                "unexpected character '=', did you mean \"==\"?",
            ),
            ("a > 1 > 2", 7, "comparisons do not chain"),
            ("a > ", 5, "the filter ends where a value is expected"),
            ("name.upper(\"x\")", 6, "unknown function \"upper\""),
            ("(a > 1", 7, "expected \")\", found end of the filter"),
            ("name == \"open", 9, "text is never closed"),
            ("a b", 3, "unexpected \"b\""),
            ("99999999999999999999 > a", 1, "too large"),
        ];
        for (text, column, message) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.column, column, "{text}: {e}");
            assert!(e.message.contains(message), "{text}: {e}");
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = parse("name == \"é\" &&").unwrap_err();
        assert_eq!(e.column, 15);
    }
}

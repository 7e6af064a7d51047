//! Several filters of one view run together over the same rows: a test that more than one
//! of them makes (`balance > 0` in every rung of a collections ladder) is worked out once
//! per row and its answer reused by the others.

use super::compile::{Part, Top};
use super::syntax::BinaryOp;
use super::{EvalError, Filter, Row, View};

/// One filter of the set: its top chain as positions in the set's distinct tests.
enum Plan {
    Chain(BinaryOp, Vec<usize>),
    Test(usize),
}

/// Filters of one view, compiled together.
pub struct FilterSet {
    view: View,
    tests: Vec<Part>,
    plans: Vec<Plan>,
}

/// What a set's filters gave over a batch of rows ([`FilterSet::run`]): for each filter
/// and row, whether it matched, or the error it met. Kept from batch to batch, so that its
/// buffers are not freed and grown again.
#[derive(Default)]
pub struct Verdicts {
    rows: usize,
    /// Each test's answer on each row, test by test (`tests × rows`).
    answers: Vec<Answer>,
    /// Each filter's verdict on each row, filter by filter (`filters × rows`).
    verdicts: Vec<Verdict>,
    errors: Vec<EvalError>,
    /// The rows a chain has not decided yet, those of them a test has not answered yet, and
    /// whether a test gave null on each.
    live: Vec<u32>,
    todo: Vec<u32>,
    null: Vec<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Unknown,
    False,
    True,
    Null,
    /// The n-th error of the batch.
    Failed(u32),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    No,
    Yes,
    Failed(u32),
}

impl Verdicts {
    /// How many rows the last batch held.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Whether the `filter`-th filter matched the `row`-th row of the last batch (null counts
    /// as no), or the error it met there.
    #[inline]
    pub fn get(&self, filter: usize, row: usize) -> Result<bool, &EvalError> {
        match self.verdicts[filter * self.rows + row] {
            Verdict::No => Ok(false),
            Verdict::Yes => Ok(true),
            Verdict::Failed(e) => Err(&self.errors[e as usize]),
        }
    }
}

impl FilterSet {
    /// The set of `filters`, all of `view`; the n-th filter is run by its position n.
    pub fn new<'a>(view: View, filters: impl IntoIterator<Item = &'a Filter>) -> FilterSet {
        let mut tests: Vec<Part> = Vec::new();
        let mut place = |part: &Part| match tests.iter().position(|t| t == part) {
            Some(p) => p,
            None => {
                tests.push(part.clone());
                tests.len() - 1
            }
        };
        let plans = filters
            .into_iter()
            .map(|f| {
                debug_assert_eq!(f.view, view, "a filter set holds filters of one view");
                match &f.code {
                    Top::Test(part) => Plan::Test(place(part)),
                    Top::Chain(op, parts) => {
                        Plan::Chain(*op, parts.iter().map(&mut place).collect())
                    }
                }
            })
            .collect();
        FilterSet { view, tests, plans }
    }

    pub fn view(&self) -> View {
        self.view
    }

    /// How many filters the set holds.
    pub fn len(&self) -> usize {
        self.plans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.plans.is_empty()
    }

    /// How many distinct tests its filters make.
    pub fn tests(&self) -> usize {
        self.tests.len()
    }

    /// Runs every filter of the set over `rows` into `out`: what [`Filter::matches_row`]
    /// gives for each filter and row. Filter by filter, each test over the rows still
    /// undecided: a test runs over many rows in a row (the same field and comparison each
    /// time), at most once per row, and a chain stops for a row at its first deciding test,
    /// as it does row by row (a division in a later test never runs where an earlier test
    /// decided).
    pub fn run<R: Row>(&self, rows: &[R], out: &mut Verdicts) {
        let n = rows.len();
        out.rows = n;
        out.answers.clear();
        out.answers.resize(self.tests.len() * n, Answer::Unknown);
        out.verdicts.clear();
        out.verdicts.resize(self.plans.len() * n, Verdict::No);
        out.errors.clear();
        let Verdicts {
            answers,
            verdicts,
            errors,
            live,
            todo,
            null,
            ..
        } = out;
        let mut cells = Vec::with_capacity(n);
        // Test `t`'s answers on the rows of `live` that have none yet: the field's column read
        // at once, then one comparison over it.
        let mut make = |t: usize, live: &[u32], answers: &mut [Answer]| {
            let answers = &mut answers[t * n..(t + 1) * n];
            todo.clear();
            todo.extend(
                live.iter()
                    .copied()
                    .filter(|&r| answers[r as usize] == Answer::Unknown),
            );
            self.tests[t].run_column(rows, todo, &mut cells, |r, out| {
                answers[r as usize] = match out {
                    Ok(Some(true)) => Answer::True,
                    Ok(Some(false)) => Answer::False,
                    Ok(None) => Answer::Null,
                    Err(e) => {
                        errors.push(e);
                        Answer::Failed(errors.len() as u32 - 1)
                    }
                };
            });
        };
        null.clear();
        null.resize(n, false);
        for (f, plan) in self.plans.iter().enumerate() {
            let verdicts = &mut verdicts[f * n..(f + 1) * n];
            live.clear();
            live.extend(0..n as u32);
            match plan {
                Plan::Test(t) => {
                    make(*t, live, answers);
                    for (verdict, answer) in verdicts.iter_mut().zip(&answers[t * n..]) {
                        *verdict = match answer {
                            Answer::True => Verdict::Yes,
                            Answer::Failed(e) => Verdict::Failed(*e),
                            _ => Verdict::No,
                        };
                    }
                }
                Plan::Chain(op, tests) => {
                    let decides = if *op == BinaryOp::Or {
                        Answer::True
                    } else {
                        Answer::False
                    };
                    let decided = if decides == Answer::True {
                        Verdict::Yes
                    } else {
                        Verdict::No
                    };
                    null.fill(false);
                    for &t in tests {
                        make(t, live, answers);
                        let answers = &answers[t * n..(t + 1) * n];
                        live.retain(|&r| {
                            let r = r as usize;
                            match answers[r] {
                                Answer::Failed(e) => verdicts[r] = Verdict::Failed(e),
                                a if a == decides => verdicts[r] = decided,
                                Answer::Null => {
                                    null[r] = true;
                                    return true;
                                }
                                _ => return true,
                            }
                            false
                        });
                        if live.is_empty() {
                            break;
                        }
                    }
                    // What no test decided: an `&&` of trues is true unless one was null; an
                    // `||` of falses is false.
                    for &r in live.iter() {
                        let r = r as usize;
                        verdicts[r] = if decides == Answer::False && !null[r] {
                            Verdict::Yes
                        } else {
                            Verdict::No
                        };
                    }
                }
            }
        }
    }
}

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

/// What a set's tests gave on the row at hand; cleared by [`FilterSet::next_row`].
#[derive(Default)]
pub struct Answers(Vec<Answer>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Unknown,
    False,
    True,
    Null,
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

    /// Makes `answers` ready for a new row of this set: the answers of the row before, of
    /// this set or another, are forgotten.
    #[inline]
    pub fn next_row(&self, answers: &mut Answers) {
        answers.0.clear();
        answers.0.resize(self.tests.len(), Answer::Unknown);
    }

    /// Whether the `n`-th filter matches the row; null counts as no. Gives what
    /// [`Filter::matches_row`] gives, reusing the answers of tests already made on the row.
    #[inline]
    pub fn matches_row<R: Row>(
        &self,
        n: usize,
        row: &R,
        answers: &mut Answers,
    ) -> Result<bool, EvalError> {
        match &self.plans[n] {
            Plan::Test(t) => Ok(self.answer(*t, row, answers)? == Answer::True),
            Plan::Chain(op, tests) => {
                let decides = if *op == BinaryOp::Or {
                    Answer::True
                } else {
                    Answer::False
                };
                let mut null = false;
                for t in tests {
                    match self.answer(*t, row, answers)? {
                        a if a == decides => return Ok(decides == Answer::True),
                        Answer::Null => null = true,
                        _ => {}
                    }
                }
                Ok(decides == Answer::False && !null)
            }
        }
    }

    #[inline]
    fn answer<R: Row>(
        &self,
        t: usize,
        row: &R,
        answers: &mut Answers,
    ) -> Result<Answer, EvalError> {
        let known = answers.0[t];
        if known != Answer::Unknown {
            return Ok(known);
        }
        let answer = match self.tests[t].run(row)? {
            Some(true) => Answer::True,
            Some(false) => Answer::False,
            None => Answer::Null,
        };
        answers.0[t] = answer;
        Ok(answer)
    }
}

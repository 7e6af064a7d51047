//! Several filters of one view run together over the same rows: a test that more than one
//! of them makes (`balance > 0` in every rung of a collections ladder) is worked out once
//! per row and its answer reused by the others.

use std::collections::HashMap;

use super::compile::{Part, Top};
use super::syntax::BinaryOp;
use super::{Cell, EvalError, Filter, Row, View};

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
/// and row, whether it matched, or the error it met. Held as bits, 64 rows a word, and kept
/// from batch to batch, so that its buffers are not freed and grown again.
#[derive(Default)]
pub struct Verdicts {
    rows: usize,
    /// Words a row of bits takes: `rows` bits, rounded up to whole words.
    words: usize,
    /// Each test's answers (`tests × words` each): the rows it answered, and of those where
    /// it was true, null, or failed.
    made: Vec<u64>,
    truth: Vec<u64>,
    null: Vec<u64>,
    failed: Vec<u64>,
    /// Each filter's verdicts (`filters × words` each): the rows it matched, and those where
    /// it failed.
    yes: Vec<u64>,
    broke: Vec<u64>,
    /// The errors met, and which of them each failed test and filter met on a row.
    errors: Vec<EvalError>,
    test_errors: HashMap<(u32, u32), u32>,
    filter_errors: HashMap<(u32, u32), u32>,
    /// A chain's rows not decided yet, those a test gave null on, and a test's rows to make.
    live: Vec<u64>,
    nulls: Vec<u64>,
    which: Vec<u32>,
    every: Vec<u32>,
}

/// Whether bit `row` of a row of words is set.
#[inline]
fn bit(words: &[u64], row: usize) -> bool {
    (words[row / 64] >> (row % 64)) & 1 == 1
}

/// The rows of the set bits of word `w` of a row of words, in order.
fn ones(w: usize, mut word: u64) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        (word != 0).then(|| {
            let b = word.trailing_zeros();
            word &= word - 1;
            w as u32 * 64 + b
        })
    })
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
        let words = &self.yes[filter * self.words..];
        if bit(words, row) {
            return Ok(true);
        }
        if !bit(&self.broke[filter * self.words..], row) {
            return Ok(false);
        }
        match self.filter_errors.get(&(filter as u32, row as u32)) {
            Some(&e) => Err(&self.errors[e as usize]),
            None => Ok(false),
        }
    }

    /// Room for a batch of `rows` rows, `tests` tests and `filters` filters, all unanswered.
    fn start(&mut self, rows: usize, tests: usize, filters: usize) {
        self.rows = rows;
        self.words = rows.div_ceil(64);
        for (bits, n) in [
            (&mut self.made, tests),
            (&mut self.truth, tests),
            (&mut self.null, tests),
            (&mut self.failed, tests),
            (&mut self.yes, filters),
            (&mut self.broke, filters),
        ] {
            bits.clear();
            bits.resize(n * self.words, 0);
        }
        self.errors.clear();
        self.test_errors.clear();
        self.filter_errors.clear();
        self.every.clear();
        self.every.extend(0..rows as u32);
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
    /// gives for each filter and row. Filter by filter, each test of its chain over the rows
    /// still undecided, 64 rows a word: a test is made at most once per row, over a whole
    /// column at a time where a third of the rows need it; and a chain stops for a row at
    /// its first deciding test, as it does row by row (a division in a later test never runs
    /// where an earlier test decided).
    pub fn run<R: Row>(&self, rows: &[R], out: &mut Verdicts) {
        out.start(rows.len(), self.tests.len(), self.plans.len());
        let words = out.words;
        let mut cells = Vec::new();
        for (f, plan) in self.plans.iter().enumerate() {
            let (op, tests) = match plan {
                Plan::Test(t) => (BinaryOp::And, std::slice::from_ref(t)),
                Plan::Chain(op, tests) => (*op, tests.as_slice()),
            };
            let Verdicts { live, nulls, .. } = out;
            live.clear();
            live.resize(words, !0);
            if let Some(last) = live.last_mut() {
                *last >>= words * 64 - rows.len();
            }
            nulls.clear();
            nulls.resize(words, 0);
            let or = op == BinaryOp::Or;
            for &t in tests {
                self.make(t, rows, out, &mut cells);
                let Verdicts {
                    truth,
                    null,
                    failed,
                    yes,
                    broke,
                    live,
                    nulls,
                    test_errors,
                    filter_errors,
                    ..
                } = &mut *out;
                let at = |bits: &[u64], w: usize| bits[t * words + w];
                let mut any = 0;
                for w in 0..words {
                    let (l, truth, null, failed) =
                        (live[w], at(truth, w), at(null, w), at(failed, w));
                    let fail = l & failed;
                    // `||` is decided by a true, `&&` by a false (neither null nor failed).
                    let decided = if or {
                        l & truth
                    } else {
                        l & !truth & !null & !failed
                    };
                    if or {
                        yes[f * words + w] |= decided;
                    }
                    nulls[w] |= l & null;
                    live[w] = l & !fail & !decided;
                    any |= live[w];
                    if fail != 0 {
                        broke[f * words + w] |= fail;
                        for row in ones(w, fail) {
                            if let Some(&e) = test_errors.get(&(t as u32, row)) {
                                filter_errors.insert((f as u32, row), e);
                            }
                        }
                    }
                }
                if any == 0 {
                    break;
                }
            }
            // What no test decided: an `&&` of trues is true unless one was null; an `||` of
            // falses is false.
            if !or {
                let Verdicts {
                    yes, live, nulls, ..
                } = &mut *out;
                for w in 0..words {
                    yes[f * words + w] = live[w] & !nulls[w];
                }
            }
        }
    }

    /// Makes test `t` on the live rows it has not answered yet: over the whole column when
    /// it is a field's test and a third of the rows need it, else row by row over those
    /// rows.
    fn make<'r, R: Row>(
        &self,
        t: usize,
        rows: &'r [R],
        out: &mut Verdicts,
        cells: &mut Vec<Cell<'r>>,
    ) {
        let words = out.words;
        let range = t * words..(t + 1) * words;
        let Verdicts {
            made,
            truth,
            null,
            failed,
            errors,
            test_errors,
            live,
            which,
            every,
            ..
        } = out;
        let made = &mut made[range.clone()];
        let wanted: usize = live
            .iter()
            .zip(made.iter())
            .map(|(l, m)| (l & !m).count_ones() as usize)
            .sum();
        if wanted == 0 {
            return;
        }
        let (truth, null, failed) = (
            &mut truth[range.clone()],
            &mut null[range.clone()],
            &mut failed[range],
        );
        if let Part::Field { slot, test } = &self.tests[t]
            && wanted * DENSE >= rows.len()
        {
            cells.clear();
            R::column(rows, *slot, every, cells);
            test.on_column(cells, truth, null);
            made.fill(!0);
            return;
        }
        which.clear();
        for (w, (l, m)) in live.iter().zip(made.iter_mut()).enumerate() {
            which.extend(ones(w, l & !*m));
            *m |= l;
        }
        self.tests[t].run_column(rows, which, cells, |r, answer| {
            let (w, b) = (r as usize / 64, 1u64 << (r % 64));
            match answer {
                Ok(Some(true)) => truth[w] |= b,
                Ok(Some(false)) => {}
                Ok(None) => null[w] |= b,
                Err(e) => {
                    failed[w] |= b;
                    test_errors.insert((t as u32, r), errors.len() as u32);
                    errors.push(e);
                }
            }
        });
    }
}

/// A field's test is made over its whole column when at least one row in this many needs it:
/// reading every cell in one loop costs less than picking out a few.
const DENSE: usize = 3;

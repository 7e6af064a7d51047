//! Plausible names for a synthetic book.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

const FIRST: [&str; 24] = [
    "Acme",
    "Blue",
    "Cedar",
    "Delta",
    "Eagle",
    "Frontier",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Maple",
    "Northern",
    "Oak",
    "Pioneer",
    "Quarry",
    "Redwood",
    "Summit",
    "Tri-County",
    "Union",
    "Valley",
    "Westfield",
    "Yellowstone",
];
const SECOND: [&str; 20] = [
    "Hardware",
    "Builders",
    "Electric",
    "Plumbing",
    "Foods",
    "Logistics",
    "Medical",
    "Auto Parts",
    "Roofing",
    "Industrial",
    "Office",
    "Farm",
    "Marine",
    "Paper",
    "Tools",
    "Lumber",
    "Textiles",
    "Pharmacy",
    "Dental",
    "Fitness",
];
const SUFFIX: [&str; 6] = ["Inc.", "LLC", "Co.", "Ltd.", "Group", "& Sons"];
const CITIES: [&str; 12] = [
    "Springfield",
    "Riverton",
    "Fairview",
    "Georgetown",
    "Salem",
    "Madison",
    "Clinton",
    "Franklin",
    "Greenville",
    "Bristol",
    "Dover",
    "Ashland",
];
const STREETS: [&str; 8] = [
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Lake", "Hill",
];
const GIVEN: [&str; 12] = [
    "Ana", "Ben", "Chloe", "Dev", "Emma", "Femi", "Grace", "Hugo", "Ines", "Jon", "Kara", "Luis",
];
const FAMILY: [&str; 12] = [
    "Adams", "Baker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kowalski", "Lopez",
];

fn pick<'a>(rng: &mut ChaCha8Rng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

pub fn company_name(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{} {} {}",
        pick(rng, &FIRST),
        pick(rng, &SECOND),
        pick(rng, &SUFFIX)
    )
}

pub fn city(rng: &mut ChaCha8Rng) -> &'static str {
    pick(rng, &CITIES)
}

pub fn street(rng: &mut ChaCha8Rng) -> &'static str {
    pick(rng, &STREETS)
}

pub fn person(rng: &mut ChaCha8Rng) -> String {
    format!("{} {}", pick(rng, &GIVEN), pick(rng, &FAMILY))
}

/// Lower-case letters and digits only, for e-mail addresses.
pub fn slug(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

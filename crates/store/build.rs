//! Rebuilds the store when a migration is added: `sqlx::migrate!` embeds the folders.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

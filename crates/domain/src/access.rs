//! Who may see and do what: the four roles of `users.csv`.

use std::fmt;
use std::str::FromStr;

/// A user's role (section 4 of the contract).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including setup, syncs and generating actions.
    Admin,
    /// Their team's customers and each member's dashboard.
    Manager,
    /// Their own customers, their team's and the unassigned pool.
    Collector,
    /// Their own customers, read-only except account notes.
    Inquiry,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Collector, Role::Inquiry];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Collector => "collector",
            Role::Inquiry => "inquiry",
        }
    }

    /// Whether the role changes setup, runs syncs and generates actions.
    pub fn administers(self) -> bool {
        self == Role::Admin
    }

    /// Whether the role works the customers it sees (logs calls, closes issues).
    pub fn works_accounts(self) -> bool {
        self != Role::Inquiry
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A role name that is none of the four.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}, expected admin, manager, collector or inquiry")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Role, UnknownRole> {
        let lower = text.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == lower)
            .ok_or_else(|| UnknownRole(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_parse_whatever_their_case_and_print_back() {
        for role in Role::ALL {
            assert_eq!(role.as_str().to_uppercase().parse::<Role>(), Ok(role));
            assert_eq!(role.to_string().parse::<Role>(), Ok(role));
        }
        let err = "clerk".parse::<Role>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown role \"clerk\", expected admin, manager, collector or inquiry"
        );
    }

    #[test]
    fn only_admins_administer_and_inquiry_only_looks() {
        assert!(Role::Admin.administers());
        assert!(!Role::Manager.administers());
        assert!(Role::Collector.works_accounts());
        assert!(!Role::Inquiry.works_accounts());
    }
}

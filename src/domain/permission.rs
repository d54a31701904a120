use std::fmt;
use std::str::FromStr;

/// Omnidesk's permission names; an API key holds a set of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    ApiChat,
    TicketRead,
    TicketCreate,
    TicketUpdate,
    TicketDelete,
    SetStatus,
    MessageCreate,
    CustomerRead,
    CustomerCud,
    ViewRead,
    ViewCud,
    UserRead,
    UserCud,
    SettingsCrud,
    ApiEmail,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::ApiChat,
        Permission::TicketRead,
        Permission::TicketCreate,
        Permission::TicketUpdate,
        Permission::TicketDelete,
        Permission::SetStatus,
        Permission::MessageCreate,
        Permission::CustomerRead,
        Permission::CustomerCud,
        Permission::ViewRead,
        Permission::ViewCud,
        Permission::UserRead,
        Permission::UserCud,
        Permission::SettingsCrud,
        Permission::ApiEmail,
    ];

    /// An everyday agent's: tickets, replies, customers and views to read, agents to read
    /// (what an agent holds unless given more; the migration gives existing agents the same).
    pub const AGENT: [Permission; 8] = [
        Permission::TicketRead,
        Permission::TicketCreate,
        Permission::TicketUpdate,
        Permission::SetStatus,
        Permission::MessageCreate,
        Permission::CustomerRead,
        Permission::ViewRead,
        Permission::UserRead,
    ];

    /// The permissions of `wanted` that `held` lacks: whoever holds `held` may hand out
    /// (to a key, an agent they create, an agent whose sign-in they change) only what they
    /// hold, so that no permission leads to more.
    pub fn lacking(held: &[Permission], wanted: &[Permission]) -> Vec<Permission> {
        wanted
            .iter()
            .filter(|p| !held.contains(p))
            .copied()
            .collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            Permission::ApiChat => "API_CHAT",
            Permission::TicketRead => "TICKET_READ",
            Permission::TicketCreate => "TICKET_CREATE",
            Permission::TicketUpdate => "TICKET_UPDATE",
            Permission::TicketDelete => "TICKET_DELETE",
            Permission::SetStatus => "SET_STATUS",
            Permission::MessageCreate => "MESSAGE_CREATE",
            Permission::CustomerRead => "CUSTOMER_READ",
            Permission::CustomerCud => "CUSTOMER_CUD",
            Permission::ViewRead => "VIEW_READ",
            Permission::ViewCud => "VIEW_CUD",
            Permission::UserRead => "USER_READ",
            Permission::UserCud => "USER_CUD",
            Permission::SettingsCrud => "SETTINGS_CRUD",
            Permission::ApiEmail => "API_EMAIL",
        }
    }

    /// Parses the stored comma-separated form; unknown names are skipped (a newer binary may
    /// have written them).
    pub fn parse_list(list: &str) -> Vec<Permission> {
        list.split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect()
    }

    pub fn join(perms: &[Permission]) -> String {
        perms.iter().map(|p| p.name()).collect::<Vec<_>>().join(",")
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Permission {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Permission::ALL.iter().map(|p| p.name()).collect();
                format!("unknown permission {s:?}; known: {}", names.join(", "))
            })
    }
}

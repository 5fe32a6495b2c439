//! What the visitor's page is given: its settings, and its tokens.

use crate::visitor::auth::AuthSettings;
use crate::visitor::page::PageSettings;
use crate::vonage::user::UserName;

use super::application::Application;
use super::company::Company;
use super::read::{self, Read, Reader};
use super::var::{self, number};

pub fn page(company: &Company) -> Read<PageSettings> {
    Ok(PageSettings {
        company_name: company.name.clone()?,
        embed_origins: company.origins.clone()?,
        hours: company.hours.clone()?,
    })
}

fn user(raw: &str) -> Result<UserName, String> {
    UserName::parse(raw).ok_or_else(|| format!("expected {}", UserName::FORM))
}

fn users(raw: &str) -> Result<Vec<UserName>, String> {
    read::list(
        raw,
        UserName::parse,
        &format!("user names, each {}", UserName::FORM),
    )
}

pub fn auth(r: &mut Reader, app: &Application, company: &Company) -> Read<AuthSettings> {
    let default_user = r.optional(var::CLIENT_USER, user).map(|u| {
        u.unwrap_or_else(|| {
            UserName::parse(var::default::CLIENT_USER).expect("the default user name is valid")
        })
    });
    let allowed_users = r.optional(var::CLIENT_USERS, users);
    let ttl = r.number(&number::TOKEN_TTL);
    let default_user = default_user?;
    let allowed_users = allowed_users?.unwrap_or_else(|| vec![default_user.clone()]);
    Ok(AuthSettings {
        application_id: app.id.clone()?,
        private_key: app.key.clone()?,
        default_user,
        allowed_users,
        ttl_seconds: u64::from(ttl?),
        allowed_origins: company.origins.clone()?,
        ticket_key: app.ticket_key.clone()?,
    })
}

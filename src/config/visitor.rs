//! What the visitor's page is given: its settings, and its tokens.

use crate::call::guard::CallLimits;
use crate::visitor::auth::{AuthSettings, Users};
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
        pre_call_form: company.pre_call_form.clone()?,
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

pub fn auth(
    r: &mut Reader,
    app: &Application,
    company: &Company,
    limits: &Read<CallLimits>,
) -> Read<AuthSettings> {
    let shared = r.optional(var::CLIENT_USER, user);
    let named_users = r.optional(var::CLIENT_USERS, users);
    let ttl = r.number(&number::TOKEN_TTL);
    let users = match shared? {
        Some(user) => Users::Shared(user),
        None => Users::PerCall {
            api: app.api.clone()?,
        },
    };
    Ok(AuthSettings {
        application_id: app.id.clone()?,
        private_key: app.key.clone()?,
        users,
        named_users: named_users?.unwrap_or_default(),
        ttl_seconds: u64::from(ttl?),
        limits: limits.clone()?,
        allowed_origins: company.origins.clone()?,
        ticket_key: app.ticket_key.clone()?,
        pre_call_form: company.pre_call_form.clone()?,
    })
}

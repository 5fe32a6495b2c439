//! What Vonage would check: the token `/auth` mints, the NCCO the answer
//! webhook returns.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use edge_click_to_call::config::var;
use edge_click_to_call::key::PrivateKey;
use edge_click_to_call::ncco::{Action, Endpoint, TALK_TEXT_MAX_CHARS};
use edge_click_to_call::phone::PhoneNumber;
use edge_click_to_call::token::{ACL_PATHS, TokenResponse};
use jwt_compact::alg::Rsa;
use jwt_compact::{AlgorithmExt, UntrustedToken};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::Value;

use crate::Report;
use crate::client::Client;
use crate::settings::Settings;

/// Fetches `/auth` and checks the token as Vonage's Client SDK would need it.
pub fn token(client: &Client, settings: &Settings, report: &mut Report) -> Result<(), String> {
    println!("── /auth");
    let res = client.get("/auth", &[])?;
    if res.status != 200 {
        report.deviation(&format!("/auth answered {}: {}", res.status, res.body));
        return Ok(());
    }
    let token: TokenResponse =
        serde_json::from_str(&res.body).map_err(|e| format!("/auth body: {e}"))?;
    let Some(pem) = settings.var(var::PRIVATE_KEY) else {
        report.deviation(
            "VONAGE_PRIVATE_KEY is not set here, so the token's signature cannot be checked",
        );
        return Ok(());
    };
    if !signature_verifies(&token.token, pem)? {
        report.deviation(
            "the token's RS256 signature does not verify with the public key of VONAGE_PRIVATE_KEY",
        );
        return Ok(());
    }
    report.ok(&format!(
        "RS256 token for {:?} verifies with the public key of VONAGE_PRIVATE_KEY",
        token.user
    ));
    let claims = claims_as_sent(&token.token);
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap_or(0),
        claims["exp"].as_u64().unwrap_or(0),
    );
    let paths = acl_paths(&claims);
    println!(
        "    claims: application_id={} sub={} iat={iat} exp={exp} (+{} s) jti={} acl={} paths",
        claims["application_id"],
        claims["sub"],
        exp.saturating_sub(iat),
        claims["jti"],
        paths.len()
    );
    let problems = claim_problems(&claims, &token, settings);
    report.check("claims are the ones Vonage's Client SDK expects", &problems);
    Ok(())
}

fn signature_verifies(token: &str, pem: &str) -> Result<bool, String> {
    let pkcs8 = PrivateKey::from_pem(pem).map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?;
    let private = RsaPrivateKey::from_pkcs8_der(pkcs8.pkcs8_der())
        .map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?;
    let untrusted =
        UntrustedToken::new(token).map_err(|e| format!("the token is not a JWT: {e}"))?;
    Ok(Rsa::rs256()
        .validator::<Value>(&private.to_public_key())
        .validate(&untrusted)
        .is_ok())
}

/// The claims as sent (jwt-compact lifts iat/exp out of its model).
fn claims_as_sent(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD.decode(payload).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_default()
}

fn acl_paths(claims: &Value) -> Vec<&str> {
    let mut paths: Vec<&str> = claims["acl"]["paths"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    paths.sort_unstable();
    paths
}

fn claim_problems(claims: &Value, token: &TokenResponse, settings: &Settings) -> Vec<String> {
    let mut problems = Vec::new();
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap_or(0),
        claims["exp"].as_u64().unwrap_or(0),
    );
    if let Some(app) = settings.var(var::APPLICATION_ID)
        && claims["application_id"] != app
    {
        problems.push("claims: application_id is not VONAGE_APPLICATION_ID".to_owned());
    }
    if claims["sub"] != token.user.as_str() {
        problems.push("claims: sub is not the user /auth named".into());
    }
    if !(30..=86_400).contains(&exp.saturating_sub(iat)) || exp != token.expires_at {
        problems.push("claims: exp must be 30 s to 24 h after iat and equal expires_at".into());
    }
    if claims["jti"].as_str().is_none_or(str::is_empty) {
        problems.push("claims: no jti".into());
    }
    let mut expected: Vec<&str> = ACL_PATHS.to_vec();
    expected.sort_unstable();
    if acl_paths(claims) != expected {
        problems.push("claims: the acl paths are not the Client SDK's".into());
    }
    problems
}

/// An NCCO that speaks and dials no one: the apology, or the "lines are
/// busy" words (`expected` names which).
pub fn no_connect(body: &str, expected: &str) -> Result<String, Vec<String>> {
    let ncco: Vec<Action> = serde_json::from_str(body).map_err(|e| {
        vec![format!(
            "the answer is not an NCCO this service defines: {e}: {body}"
        )]
    })?;
    let words = match expected {
        "lines_busy" => edge_click_to_call::ncco::LINES_BUSY,
        _ => edge_click_to_call::ncco::APOLOGY,
    };
    match ncco.as_slice() {
        [Action::Talk { text }] if text == words => {
            Ok(format!("NCCO: talk {text:?}, nothing dialled"))
        }
        _ => Err(vec![format!(
            "NCCO: expected only the {expected} words, got {body}"
        )]),
    }
}

/// Vonage's rules for the NCCO we answer with, and that it connects the
/// configured numbers. `Ok` carries a one-line description.
pub fn ncco(body: &str, settings: &Settings) -> Result<String, Vec<String>> {
    let ncco: Vec<Action> = serde_json::from_str(body).map_err(|e| {
        vec![format!(
            "the answer is not an NCCO this service defines: {e}: {body}"
        )]
    })?;
    let mut problems = Vec::new();
    let mut connects = Vec::new();
    for action in &ncco {
        match action {
            Action::Talk { text }
                if text.is_empty() || text.chars().count() > TALK_TEXT_MAX_CHARS =>
            {
                problems.push(format!(
                    "NCCO: talk text must be 1 to {TALK_TEXT_MAX_CHARS} characters"
                ));
            }
            Action::Talk { .. } => {}
            Action::Connect { from, endpoint } => connects.push((from, endpoint)),
        }
    }
    let [(from, endpoints)] = connects.as_slice() else {
        return Err(if connects.is_empty() {
            vec![format!(
                "the NCCO connects no one (an apology? check /healthz): {body}"
            )]
        } else {
            vec!["NCCO: more than one connect".into()]
        });
    };
    let [Endpoint::Phone { number }] = endpoints.as_slice() else {
        return Err(vec![
            "NCCO: connect must have exactly one phone endpoint".into(),
        ]);
    };
    for (what, n) in [("connect.from", *from), ("endpoint number", number)] {
        if PhoneNumber::parse(n)
            .map(|p| p.as_str() != n)
            .unwrap_or(true)
        {
            problems.push(format!("NCCO: {what} is not an E.164 number without '+'"));
        }
    }
    if settings
        .var(var::SUPPORT_NUMBER)
        .is_some_and(|s| s != from.as_str())
    {
        problems.push(format!("NCCO: connect.from is not {}", var::SUPPORT_NUMBER));
    }
    if settings
        .var(var::DESTINATION_NUMBER)
        .is_some_and(|d| d != number)
    {
        problems.push(format!(
            "NCCO: the endpoint is not {}",
            var::DESTINATION_NUMBER
        ));
    }
    let greeting = ncco.iter().find_map(|a| match a {
        Action::Talk { text } => Some(text.as_str()),
        _ => None,
    });
    if problems.is_empty() {
        Ok(format!(
            "NCCO: talk {:?}, then connect {from} → {number}",
            greeting.unwrap_or("(no greeting)")
        ))
    } else {
        Err(problems)
    }
}

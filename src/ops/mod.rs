//! What ops read: the call log, voicemail, callback requests and dead
//! letters, behind `OPS_TOKEN`.

pub mod calls;
pub mod recording;

use crate::error::AppError;
use crate::shared::bearer::{self, Bearer};
use crate::shared::secret::Secret;

/// The ops API; `token: None` means it is switched off.
#[derive(Debug, Clone)]
pub struct OpsSettings {
    pub token: Option<Secret>,
}

/// `Authorization: Bearer <OPS_TOKEN>`. Without a configured token the API
/// does not exist (404); a wrong or missing token is 401.
pub fn authorize(settings: &OpsSettings, authorization: Option<&str>) -> Result<(), AppError> {
    let Some(expected) = &settings.token else {
        return Err(AppError::NotFound);
    };
    match bearer::parse(authorization) {
        Bearer::Token(presented) if expected.matches(presented) => Ok(()),
        _ => Err(AppError::Unauthorized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_is_absent_without_a_token_and_closed_without_the_right_one() {
        let off = OpsSettings { token: None };
        assert_eq!(
            authorize(&off, Some("Bearer anything")),
            Err(AppError::NotFound)
        );
        let on = OpsSettings {
            token: Some(Secret::new("0123456789abcdef0123")),
        };
        assert_eq!(authorize(&on, None), Err(AppError::Unauthorized));
        assert_eq!(
            authorize(&on, Some("Bearer 0123456789abcdef012")),
            Err(AppError::Unauthorized)
        );
        assert_eq!(
            authorize(&on, Some("Basic 0123456789abcdef0123")),
            Err(AppError::Unauthorized)
        );
        assert_eq!(authorize(&on, Some("Bearer 0123456789abcdef0123")), Ok(()));
    }
}

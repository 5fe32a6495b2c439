//! Playing voicemail: which recording of a call the worker may fetch from
//! Vonage for ops, and from where.
//!
//! The URL comes from the call's own log (a verified recording event),
//! never from the request, and only Vonage's media hosts are fetched
//! (`vonage::media::fetchable`): the application token goes nowhere else.

use crate::calllog::LogEntry;
use crate::error::AppError;
use crate::shared::origin::Origin;
use crate::vonage::event::RECORD_STATUS;
use crate::vonage::media::{self, UrlParts};
use crate::vonage::private_key::PrivateKey;

/// Playing voicemail: fetching a recording from Vonage for ops.
#[derive(Debug, Clone)]
pub struct RecordingSettings {
    pub application_id: String,
    pub private_key: PrivateKey,
    /// `VONAGE_API_URL`: where the worker reaches Vonage's APIs. When it is
    /// not one of Vonage's own hosts (a local simulator, in development),
    /// recordings may be fetched from it too.
    pub api: Origin,
}

/// The `recording_url` of the call's record event for `recording_id`; 404
/// when the call has no such recording.
pub fn url_of(entries: &[LogEntry], recording_id: &str) -> Result<String, AppError> {
    entries
        .iter()
        .filter(|e| e.status == RECORD_STATUS)
        .filter(|e| e.raw_text("recording_uuid").as_deref() == Some(recording_id))
        .find_map(|e| e.raw_text("recording_url"))
        .ok_or(AppError::NotFound)
}

/// Whether that URL, as the runtime parsed it (`None`: it could not), may
/// be fetched with the application's token.
pub fn may_fetch(url: Option<&UrlParts>, settings: &RecordingSettings) -> Result<(), AppError> {
    let url =
        url.ok_or_else(|| AppError::RecordingUnavailable("its URL could not be parsed".into()))?;
    if media::fetchable(url, Some(&settings.api)) {
        Ok(())
    } else {
        Err(AppError::RecordingUnavailable(
            "its URL is not on Vonage's API hosts".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calllog::LogRecord;

    const CONV: &str = "CON-f972836a-550f-45fa-956c-12a2ab5b7d22";
    const REC: &str = "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab";

    fn entry(body: &str) -> LogEntry {
        LogRecord::of_event(body.as_bytes(), 0).unwrap().entry
    }

    fn settings() -> RecordingSettings {
        RecordingSettings {
            application_id: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee".into(),
            private_key: crate::vonage::private_key::PrivateKey::from_pem(
                &crate::vonage::private_key::tests::test_key_pem(),
            )
            .unwrap(),
            api: Origin::parse("https://api.nexmo.com").unwrap(),
        }
    }

    #[test]
    fn the_url_comes_from_the_calls_own_record_event() {
        let entries = vec![
            entry(&format!(
                r#"{{"conversation_uuid":"{CONV}","uuid":"{REC}","status":"answered","recording_url":"https://evil.example/x"}}"#
            )),
            entry(&format!(
                r#"{{"conversation_uuid":"{CONV}","recording_uuid":"{REC}","recording_url":"https://api.nexmo.com/v1/files/{REC}","start_time":"2026-01-01T00:00:00Z"}}"#
            )),
        ];
        assert_eq!(entries[1].status, RECORD_STATUS);
        assert_eq!(
            url_of(&entries, REC).unwrap(),
            format!("https://api.nexmo.com/v1/files/{REC}")
        );
        assert_eq!(
            url_of(&entries, "bbbbbbbb-bbbb-4ccc-8ddd-0123456789ab"),
            Err(AppError::NotFound),
            "another recording"
        );
        assert_eq!(url_of(&entries[..1], REC), Err(AppError::NotFound));
    }

    #[test]
    fn only_vonage_media_urls_are_fetched() {
        let ok = UrlParts {
            protocol: "https:".into(),
            hostname: "api.nexmo.com".into(),
            port: String::new(),
            pathname: "/v1/files/x".into(),
            username: String::new(),
            password: String::new(),
        };
        assert_eq!(may_fetch(Some(&ok), &settings()), Ok(()));
        let evil = UrlParts {
            hostname: "evil.example".into(),
            ..ok.clone()
        };
        assert!(matches!(
            may_fetch(Some(&evil), &settings()),
            Err(AppError::RecordingUnavailable(why)) if why.contains("Vonage's API hosts")
        ));
        assert!(matches!(
            may_fetch(None, &settings()),
            Err(AppError::RecordingUnavailable(_))
        ));
    }
}

//! A call's legs and their statuses, as Vonage's Voice API reports them.
//!
//! A click-to-call has two legs in one conversation: the visitor's (the app
//! leg, `direction: "inbound"`) and the one the NCCO's `connect` created
//! (`direction: "outbound"`). Events that name no direction (RTC events,
//! error events, the answer webhook's own entry) belong to neither as far as
//! we can tell.

/// Statuses after which a leg is over (Vonage Voice API webhook reference,
/// event webhook: busy, cancelled, unanswered, disconnected, rejected,
/// failed, timeout, completed).
pub const FINAL_STATUSES: [&str; 8] = [
    "completed",
    "busy",
    "cancelled",
    "unanswered",
    "rejected",
    "failed",
    "timeout",
    "disconnected",
];

pub fn is_final(status: &str) -> bool {
    FINAL_STATUSES.contains(&status)
}

/// The statuses after which a ringing number is given up on (Voice API
/// webhook reference: unanswered, busy, timeout, rejected, failed).
pub fn rang_out(status: &str) -> bool {
    matches!(
        status,
        "unanswered" | "busy" | "timeout" | "rejected" | "failed"
    )
}

/// The status of the event Vonage sends when machine detection finds an
/// answering machine on a leg (Voice API webhook reference, human/machine;
/// only sent for a `connect` with `machineDetection`).
pub const MACHINE: &str = "machine";

/// Which leg an event is about, from its `direction`: the one definition
/// every rule about legs starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// The visitor's in-app leg (`inbound`): it holds the call's line.
    Visitor,
    /// The leg the NCCO's `connect` created (`outbound`): the support phone.
    Connected,
    /// No direction given.
    Unknown,
}

impl Leg {
    pub fn of(direction: Option<&str>) -> Self {
        match direction {
            Some("inbound") => Leg::Visitor,
            Some("outbound") => Leg::Connected,
            _ => Leg::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leg_is_named_by_its_direction() {
        assert_eq!(Leg::of(Some("inbound")), Leg::Visitor);
        assert_eq!(Leg::of(Some("outbound")), Leg::Connected);
        assert_eq!(Leg::of(None), Leg::Unknown);
        assert_eq!(Leg::of(Some("sideways")), Leg::Unknown);
    }

    #[test]
    fn ringing_out_is_final_but_not_every_final_status_rang_out() {
        for status in ["unanswered", "busy", "timeout", "rejected", "failed"] {
            assert!(rang_out(status) && is_final(status), "{status}");
        }
        for status in ["completed", "cancelled", "disconnected"] {
            assert!(is_final(status) && !rang_out(status), "{status}");
        }
        assert!(!is_final("answered") && !rang_out("ringing"));
    }
}

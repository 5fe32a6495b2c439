//! Phone numbers in the form Vonage wants them: E.164 digits, no `+`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// The form, in words, for errors that must not echo the value.
    pub const FORM: &'static str = "an E.164 number as digits only, country code first, \
                                    no leading 00 or 0 (e.g. 447700900000)";

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// E.164 allows at most 15 digits; the shortest real numbers have 7.
    /// A leading `+` is accepted and dropped; `00` or `0` prefixes are national
    /// dialling habits that Vonage would misroute, so they are refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("expected {}", Self::FORM));
        }
        if digits.starts_with('0') {
            return Err(format!("expected {}; it starts with 0", Self::FORM));
        }
        if !(7..=15).contains(&digits.len()) {
            return Err(format!(
                "expected {}; it has {} digits, not 7 to 15",
                Self::FORM,
                digits.len()
            ));
        }
        Ok(Self(digits.to_owned()))
    }

    /// `447…456`: enough for ops to tell numbers apart, without spelling
    /// out a customer's number on every screen.
    pub fn abbreviated(number: &str) -> String {
        let chars: Vec<char> = number.chars().collect();
        if chars.len() <= 7 {
            return number.to_owned();
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 3..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_must_be_e164_digits() {
        assert_eq!(
            PhoneNumber::parse("447700900000").unwrap().as_str(),
            "447700900000"
        );
        assert_eq!(
            PhoneNumber::parse("+447700900000").unwrap().as_str(),
            "447700900000"
        );
        for bad in [
            "07700900000",
            "00447700900000",
            "4477 0090 0000",
            "12345",
            "1234567890123456",
            "abc",
            "+",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} should be refused");
        }
        let msg = PhoneNumber::parse("07700900000").unwrap_err();
        assert!(msg.starts_with("expected an E.164 number"), "{msg}");
        assert!(
            msg.contains("starts with 0") && !msg.contains("07700900000"),
            "{msg}"
        );
    }

    #[test]
    fn abbreviations_keep_the_ends() {
        assert_eq!(PhoneNumber::abbreviated("447700900456"), "447…456");
        assert_eq!(PhoneNumber::abbreviated("1234567"), "1234567");
    }
}

//! The application's RSA private key: from the PEM a person pastes into a
//! secret to the PKCS#8 DER that a signer imports.
//!
//! Errors describe the form of what was given (its PEM label, its encoding),
//! never its content.

use std::fmt;

use pkcs8::der::asn1::AnyRef;
use pkcs8::der::{Decode, Encode, Tag, Tagged};
use pkcs8::{AlgorithmIdentifierRef, ObjectIdentifier, PrivateKeyInfo};

/// rsaEncryption (RFC 8017, appendix A.1).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// An RSA private key as PKCS#8 DER. `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey {
    pkcs8_der: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFormError {
    NotPem,
    Encrypted,
    UnexpectedLabel(String),
    NotDer,
    NotRsa,
}

impl fmt::Display for KeyFormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPem => f.write_str(
                "expected a PEM private key starting with -----BEGIN PRIVATE KEY----- \
                 (the private.key file Vonage gives you, line breaks included)",
            ),
            Self::Encrypted => f.write_str(
                "the key is encrypted with a passphrase; export it without one: \
                 openssl pkcs8 -topk8 -nocrypt -in private.key -out private-pkcs8.key",
            ),
            Self::UnexpectedLabel(label) => write!(
                f,
                "expected a PRIVATE KEY (PKCS#8) or RSA PRIVATE KEY (PKCS#1) PEM block, found a {label:?} block"
            ),
            Self::NotDer => f.write_str("the PEM block does not contain a well-formed private key"),
            Self::NotRsa => f.write_str(
                "expected an RSA key (Vonage keys are RSA); this PKCS#8 key is of another type",
            ),
        }
    }
}

impl PrivateKey {
    /// Accepts PKCS#8 (`BEGIN PRIVATE KEY`, what Vonage issues) and PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`, what older tools write), which is rewrapped as PKCS#8.
    ///
    /// Secrets pasted on one line often carry literal `\n`; those are turned
    /// back into line breaks.
    pub fn from_pem(pem: &str) -> Result<Self, KeyFormError> {
        let pem = if pem.contains('\n') {
            pem.trim().to_owned()
        } else {
            pem.trim().replace("\\n", "\n")
        };
        let (label, der) = pkcs8::der::pem::decode_vec(pem.as_bytes()).map_err(|_| {
            if pem.contains("ENCRYPTED PRIVATE KEY") {
                KeyFormError::Encrypted
            } else {
                KeyFormError::NotPem
            }
        })?;
        match label {
            "PRIVATE KEY" => {
                let info = PrivateKeyInfo::from_der(&der).map_err(|_| KeyFormError::NotDer)?;
                if info.algorithm.oid != RSA_ENCRYPTION {
                    return Err(KeyFormError::NotRsa);
                }
                Ok(Self { pkcs8_der: der })
            }
            "RSA PRIVATE KEY" => {
                let inner = AnyRef::from_der(&der).map_err(|_| KeyFormError::NotDer)?;
                if inner.tag() != Tag::Sequence {
                    return Err(KeyFormError::NotDer);
                }
                let algorithm = AlgorithmIdentifierRef {
                    oid: RSA_ENCRYPTION,
                    parameters: Some(AnyRef::NULL),
                };
                let pkcs8_der = PrivateKeyInfo::new(algorithm, &der)
                    .to_der()
                    .map_err(|_| KeyFormError::NotDer)?;
                Ok(Self { pkcs8_der })
            }
            "ENCRYPTED PRIVATE KEY" => Err(KeyFormError::Encrypted),
            other => Err(KeyFormError::UnexpectedLabel(other.to_owned())),
        }
    }

    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8_der
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(PKCS#8, {} bytes)", self.pkcs8_der.len())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};

    /// One test key for the whole suite: generating RSA keys is slow.
    pub(crate) fn test_key() -> &'static rsa::RsaPrivateKey {
        use std::sync::OnceLock;
        static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap())
    }

    pub(crate) fn test_key_pem() -> String {
        test_key().to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
    }

    #[test]
    fn a_pkcs8_pem_is_kept_as_is() {
        let key = PrivateKey::from_pem(&test_key_pem()).unwrap();
        assert_eq!(
            key.pkcs8_der(),
            test_key().to_pkcs8_der().unwrap().as_bytes()
        );
    }

    #[test]
    fn a_pkcs1_pem_is_rewrapped_as_pkcs8() {
        let pkcs1 = test_key().to_pkcs1_pem(LineEnding::LF).unwrap();
        let key = PrivateKey::from_pem(&pkcs1).unwrap();
        assert_eq!(
            key.pkcs8_der(),
            test_key().to_pkcs8_der().unwrap().as_bytes()
        );
    }

    #[test]
    fn escaped_newlines_from_a_one_line_secret_are_restored() {
        let one_line = test_key_pem().trim().replace('\n', "\\n");
        assert!(PrivateKey::from_pem(&one_line).is_ok());
    }

    #[test]
    fn malformed_keys_are_described_by_form_only() {
        let pem = test_key_pem();
        assert_eq!(PrivateKey::from_pem("not a key"), Err(KeyFormError::NotPem));
        let cert = pem.replace("PRIVATE KEY", "CERTIFICATE");
        assert_eq!(
            PrivateKey::from_pem(&cert),
            Err(KeyFormError::UnexpectedLabel("CERTIFICATE".into()))
        );
        let enc = pem.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
        assert_eq!(PrivateKey::from_pem(&enc), Err(KeyFormError::Encrypted));
        let truncated = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
        assert_eq!(PrivateKey::from_pem(truncated), Err(KeyFormError::NotDer));
        let message = KeyFormError::Encrypted.to_string();
        assert!(message.contains("openssl pkcs8 -topk8 -nocrypt"));
        let debug = format!("{:?}", PrivateKey::from_pem(&pem).unwrap());
        assert!(debug.starts_with("PrivateKey(PKCS#8, "), "{debug}");
    }
}

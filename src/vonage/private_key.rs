//! The application's RSA private key: from the PEM a person pastes into a
//! secret to the PKCS#8 DER that a signer imports.
//!
//! Errors describe the form of what was given (its PEM label, its encoding),
//! never its content.

use std::fmt;

use base64ct::{Base64, Encoding};

/// What follows a PKCS#8 RSA key's outer SEQUENCE header (RFC 5208,
/// PrivateKeyInfo): version 0, then the AlgorithmIdentifier rsaEncryption
/// (1.2.840.113549.1.1.1, RFC 8017 appendix A.1) with NULL parameters. Every
/// RSA key in PKCS#8 starts so, whoever wrote it; the runtime's WebCrypto
/// reads the rest when it imports the key. A fixed prefix spares the wasm a
/// general ASN.1 parser for one known shape.
const RSA_PKCS8_PREFIX: [u8; 18] = [
    0x02, 0x01, 0x00, // INTEGER 0
    0x30, 0x0d, // SEQUENCE (AlgorithmIdentifier)
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, // OID rsaEncryption
    0x05, 0x00, // NULL
];
const SEQUENCE: u8 = 0x30;
const OCTET_STRING: u8 = 0x04;

/// A DER element's tag and the bytes after its header, when its length
/// (short or long form, at most 3 length bytes) covers exactly the rest.
fn der_element(der: &[u8]) -> Option<(u8, &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, body) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if !(1..=3).contains(&n) || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0, |len, b| (len << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (body.len() == len).then_some((tag, body))
}

/// A DER header: the tag and the length in its shortest form.
fn der_header(tag: u8, len: usize, out: &mut Vec<u8>) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// A PKCS#1 RSAPrivateKey wrapped as PKCS#8 (PrivateKeyInfo with rsaEncryption).
fn wrap_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    let mut octets = Vec::with_capacity(pkcs1.len() + 4);
    der_header(OCTET_STRING, pkcs1.len(), &mut octets);
    octets.extend_from_slice(pkcs1);
    let mut der = Vec::with_capacity(octets.len() + RSA_PKCS8_PREFIX.len() + 4);
    der_header(SEQUENCE, RSA_PKCS8_PREFIX.len() + octets.len(), &mut der);
    der.extend_from_slice(&RSA_PKCS8_PREFIX);
    der.extend_from_slice(&octets);
    der
}

/// The label and DER of the first PEM block (RFC 7468), or `None` when
/// there is none or its body is not base64.
fn pem_block(pem: &str) -> Option<(&str, Vec<u8>)> {
    let start = pem.find("-----BEGIN ")?;
    let after = &pem[start + "-----BEGIN ".len()..];
    let label_end = after.find("-----")?;
    let label = &after[..label_end];
    let body = &after[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----"))?;
    let text: String = body[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    Some((label, Base64::decode_vec(&text).ok()?))
}

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
                "expected a PRIVATE KEY (PKCS#8) or RSA PRIVATE KEY (PKCS#1) PEM block, found a \"{label}\" block"
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
        let (label, der) = pem_block(&pem).ok_or_else(|| {
            if pem.contains("ENCRYPTED") {
                KeyFormError::Encrypted
            } else {
                KeyFormError::NotPem
            }
        })?;
        match label {
            "PRIVATE KEY" => match der_element(&der) {
                Some((SEQUENCE, body)) if body.starts_with(&RSA_PKCS8_PREFIX) => {
                    Ok(Self { pkcs8_der: der })
                }
                // Version 0, then another algorithm: a key, but not RSA.
                Some((SEQUENCE, body)) if body.starts_with(&RSA_PKCS8_PREFIX[..3]) => {
                    Err(KeyFormError::NotRsa)
                }
                _ => Err(KeyFormError::NotDer),
            },
            // RSAPrivateKey: a SEQUENCE starting with version 0.
            "RSA PRIVATE KEY" => match der_element(&der) {
                Some((SEQUENCE, body)) if body.starts_with(&RSA_PKCS8_PREFIX[..3]) => Ok(Self {
                    pkcs8_der: wrap_pkcs1(&der),
                }),
                _ => Err(KeyFormError::NotDer),
            },
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
        // An elliptic-curve key (id-ecPublicKey, prime256v1) in PKCS#8.
        let ec = "-----BEGIN PRIVATE KEY-----\nMEECAQAwEwYHKoZIzj0CAQYIKoZIzj0DAQcEJzAlAgEBBCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ==\n-----END PRIVATE KEY-----\n";
        assert_eq!(PrivateKey::from_pem(ec), Err(KeyFormError::NotRsa));
        let message = KeyFormError::Encrypted.to_string();
        assert!(message.contains("openssl pkcs8 -topk8 -nocrypt"));
        let debug = format!("{:?}", PrivateKey::from_pem(&pem).unwrap());
        assert!(debug.starts_with("PrivateKey(PKCS#8, "), "{debug}");
    }
}

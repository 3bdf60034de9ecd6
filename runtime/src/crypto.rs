//! RSA PKCS#1 v1.5 signing and verification behind one small, backend-neutral API.
//!
//! Two backends exist, chosen by cargo features:
//! * `openssl` (default): the system OpenSSL through the `openssl` crate.
//! * `rustcrypto`: the pure-Rust `rsa` crate; signing is always blinded (`sign_with_rng`).
//!
//! Both may be compiled in at once; [`Backend::default()`] then picks OpenSSL and
//! [`Backend::ALL`] lists both so tests can run every vector through each.

use std::fmt;

/// Digest algorithm of an RSA PKCS#1 v1.5 signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// MD5 ("MD5withRSA"), used by Ksher.
    Md5,
    /// SHA-256 ("SHA256withRSA", "RSA256"), used by Alipay+.
    Sha256,
}

/// A compiled-in RSA implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// System OpenSSL via the `openssl` crate.
    #[cfg(feature = "openssl")]
    OpenSsl,
    /// Pure-Rust RustCrypto `rsa` (blinded signing).
    #[cfg(feature = "rustcrypto")]
    RustCrypto,
}

#[cfg(not(any(feature = "openssl", feature = "rustcrypto")))]
compile_error!(
    "payspec-runtime needs at least one RSA backend: enable feature `openssl` or `rustcrypto`"
);

impl Backend {
    /// Every backend compiled into this build.
    pub const ALL: &'static [Backend] = &[
        #[cfg(feature = "openssl")]
        Backend::OpenSsl,
        #[cfg(feature = "rustcrypto")]
        Backend::RustCrypto,
    ];

    /// Short name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "openssl")]
            Backend::OpenSsl => "openssl",
            #[cfg(feature = "rustcrypto")]
            Backend::RustCrypto => "rustcrypto",
        }
    }
}

impl Default for Backend {
    fn default() -> Self {
        Backend::ALL[0]
    }
}

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not a PEM RSA key of a supported form.
    #[error("not a supported RSA {kind} key PEM (expected {expected}): {detail}")]
    Pem {
        /// "private" or "public".
        kind: &'static str,
        /// The PEM labels accepted.
        expected: &'static str,
        /// Backend message (never key material).
        detail: String,
    },
    /// The key is not an RSA key.
    #[error("key is not an RSA key")]
    NotRsa,
}

/// Why a signature could not be produced.
#[derive(Debug, thiserror::Error)]
#[error("RSA signing failed: {0}")]
pub struct SignError(String);

impl SignError {
    /// A signing error with the given message (never key material).
    pub fn from_message(message: String) -> Self {
        SignError(message)
    }
}

/// An RSA private key. Its `Debug` output never shows key material.
#[derive(Clone)]
pub struct PrivateKey {
    inner: PrivateInner,
    modulus_bytes: usize,
}

#[derive(Clone)]
enum PrivateInner {
    #[cfg(feature = "openssl")]
    OpenSsl(openssl::pkey::PKey<openssl::pkey::Private>),
    #[cfg(feature = "rustcrypto")]
    RustCrypto(Box<RcPrivate>),
}

/// Prepared RustCrypto signing keys (built once at load, not per signature).
#[cfg(feature = "rustcrypto")]
#[derive(Clone)]
struct RcPrivate {
    md5: rsa::pkcs1v15::SigningKey<md5::Md5>,
    sha256: rsa::pkcs1v15::SigningKey<sha2::Sha256>,
    public: rsa::RsaPublicKey,
}

#[cfg(feature = "rustcrypto")]
#[derive(Clone)]
struct RcPublic {
    md5: rsa::pkcs1v15::VerifyingKey<md5::Md5>,
    sha256: rsa::pkcs1v15::VerifyingKey<sha2::Sha256>,
}

#[cfg(feature = "rustcrypto")]
impl RcPublic {
    fn new(key: rsa::RsaPublicKey) -> Self {
        RcPublic {
            md5: rsa::pkcs1v15::VerifyingKey::new(key.clone()),
            sha256: rsa::pkcs1v15::VerifyingKey::new(key),
        }
    }
}

/// An RSA public key.
#[derive(Clone)]
pub struct PublicKey {
    inner: PublicInner,
    modulus_bytes: usize,
}

#[derive(Clone)]
enum PublicInner {
    #[cfg(feature = "openssl")]
    OpenSsl(openssl::pkey::PKey<openssl::pkey::Public>),
    #[cfg(feature = "rustcrypto")]
    RustCrypto(Box<RcPublic>),
}

const PRIVATE_LABELS: &str = "BEGIN RSA PRIVATE KEY (PKCS#1) or BEGIN PRIVATE KEY (PKCS#8)";
const PUBLIC_LABELS: &str = "BEGIN PUBLIC KEY (SPKI) or BEGIN RSA PUBLIC KEY (PKCS#1)";

fn pem_error(kind: &'static str, expected: &'static str, detail: impl fmt::Display) -> KeyError {
    KeyError::Pem {
        kind,
        expected,
        detail: detail.to_string(),
    }
}

impl PrivateKey {
    /// Loads a PKCS#1 or PKCS#8 PEM private key with the default backend.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        Self::from_pem_with(Backend::default(), pem)
    }

    /// Loads a PKCS#1 or PKCS#8 PEM private key with the given backend.
    pub fn from_pem_with(backend: Backend, pem: &str) -> Result<Self, KeyError> {
        match backend {
            #[cfg(feature = "openssl")]
            Backend::OpenSsl => {
                let pkey = openssl::pkey::PKey::private_key_from_pem(pem.as_bytes())
                    .map_err(|e| pem_error("private", PRIVATE_LABELS, first_openssl_reason(&e)))?;
                let rsa = pkey.rsa().map_err(|_| KeyError::NotRsa)?;
                let modulus_bytes = rsa.size() as usize;
                Ok(PrivateKey {
                    inner: PrivateInner::OpenSsl(pkey),
                    modulus_bytes,
                })
            }
            #[cfg(feature = "rustcrypto")]
            Backend::RustCrypto => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                use rsa::pkcs8::DecodePrivateKey;
                let key = if pem.contains("BEGIN RSA PRIVATE KEY") {
                    rsa::RsaPrivateKey::from_pkcs1_pem(pem)
                        .map_err(|e| pem_error("private", PRIVATE_LABELS, e))?
                } else {
                    rsa::RsaPrivateKey::from_pkcs8_pem(pem)
                        .map_err(|e| pem_error("private", PRIVATE_LABELS, e))?
                };
                Ok(PrivateKey::from_rustcrypto(key))
            }
        }
    }

    /// A fresh random key of `bits` bits (e = 65537), for tests, mock gateways and key rotation
    /// drills. Real merchant keys come from the gateway's portal.
    pub fn generate(backend: Backend, bits: u32) -> Result<Self, KeyError> {
        let failed = |e: String| KeyError::Pem {
            kind: "private",
            expected: "a key size the backend supports",
            detail: e,
        };
        match backend {
            #[cfg(feature = "openssl")]
            Backend::OpenSsl => {
                let rsa = openssl::rsa::Rsa::generate(bits)
                    .map_err(|e| failed(first_openssl_reason(&e)))?;
                let pkey = openssl::pkey::PKey::from_rsa(rsa)
                    .map_err(|e| failed(first_openssl_reason(&e)))?;
                Ok(PrivateKey {
                    modulus_bytes: bits.div_ceil(8) as usize,
                    inner: PrivateInner::OpenSsl(pkey),
                })
            }
            #[cfg(feature = "rustcrypto")]
            Backend::RustCrypto => {
                let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), bits as usize)
                    .map_err(|e| failed(e.to_string()))?;
                Ok(PrivateKey::from_rustcrypto(key))
            }
        }
    }

    /// Prepares the signing keys of a RustCrypto key once.
    #[cfg(feature = "rustcrypto")]
    fn from_rustcrypto(key: rsa::RsaPrivateKey) -> Self {
        use rsa::traits::PublicKeyParts;
        let modulus_bytes = key.size();
        let prepared = RcPrivate {
            public: key.to_public_key(),
            md5: rsa::pkcs1v15::SigningKey::new(key.clone()),
            sha256: rsa::pkcs1v15::SigningKey::new(key),
        };
        PrivateKey {
            inner: PrivateInner::RustCrypto(Box::new(prepared)),
            modulus_bytes,
        }
    }

    /// The backend that holds this key.
    pub fn backend(&self) -> Backend {
        match self.inner {
            #[cfg(feature = "openssl")]
            PrivateInner::OpenSsl(_) => Backend::OpenSsl,
            #[cfg(feature = "rustcrypto")]
            PrivateInner::RustCrypto(_) => Backend::RustCrypto,
        }
    }

    /// Modulus length in bytes (= signature length).
    pub fn modulus_bytes(&self) -> usize {
        self.modulus_bytes
    }

    /// RSASSA-PKCS1-v1_5 signature of `message` hashed with `digest`.
    pub fn sign(&self, digest: DigestAlgorithm, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.inner {
            #[cfg(feature = "openssl")]
            PrivateInner::OpenSsl(pkey) => {
                let md = openssl_md(digest);
                let mut signer = openssl::sign::Signer::new(md, pkey)
                    .map_err(|e| SignError(first_openssl_reason(&e)))?;
                signer
                    .update(message)
                    .map_err(|e| SignError(first_openssl_reason(&e)))?;
                signer
                    .sign_to_vec()
                    .map_err(|e| SignError(first_openssl_reason(&e)))
            }
            #[cfg(feature = "rustcrypto")]
            PrivateInner::RustCrypto(key) => {
                use rsa::signature::{RandomizedSigner, SignatureEncoding};
                let mut rng = rand::thread_rng();
                let sig = match digest {
                    DigestAlgorithm::Md5 => key
                        .md5
                        .try_sign_with_rng(&mut rng, message)
                        .map(|s| s.to_vec()),
                    DigestAlgorithm::Sha256 => key
                        .sha256
                        .try_sign_with_rng(&mut rng, message)
                        .map(|s| s.to_vec()),
                };
                sig.map_err(|e| SignError(e.to_string()))
            }
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match &self.inner {
            #[cfg(feature = "openssl")]
            PrivateInner::OpenSsl(pkey) => {
                // Round-trip through DER: infallible for a key we loaded ourselves.
                let der = pkey
                    .public_key_to_der()
                    .expect("public part of a loaded RSA key encodes");
                let public = openssl::pkey::PKey::public_key_from_der(&der)
                    .expect("DER produced by OpenSSL parses");
                PublicKey {
                    inner: PublicInner::OpenSsl(public),
                    modulus_bytes: self.modulus_bytes,
                }
            }
            #[cfg(feature = "rustcrypto")]
            PrivateInner::RustCrypto(key) => PublicKey {
                inner: PublicInner::RustCrypto(Box::new(RcPublic::new(key.public.clone()))),
                modulus_bytes: self.modulus_bytes,
            },
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("backend", &self.backend().name())
            .field("bits", &(self.modulus_bytes * 8))
            .finish_non_exhaustive()
    }
}

impl PublicKey {
    /// Loads an SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM key with the
    /// default backend.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        Self::from_pem_with(Backend::default(), pem)
    }

    /// Loads a public key PEM with the given backend.
    pub fn from_pem_with(backend: Backend, pem: &str) -> Result<Self, KeyError> {
        let pkcs1 = pem.contains("BEGIN RSA PUBLIC KEY");
        match backend {
            #[cfg(feature = "openssl")]
            Backend::OpenSsl => {
                let pkey = if pkcs1 {
                    let rsa = openssl::rsa::Rsa::public_key_from_pem_pkcs1(pem.as_bytes())
                        .map_err(|e| {
                            pem_error("public", PUBLIC_LABELS, first_openssl_reason(&e))
                        })?;
                    openssl::pkey::PKey::from_rsa(rsa)
                        .map_err(|e| pem_error("public", PUBLIC_LABELS, first_openssl_reason(&e)))?
                } else {
                    openssl::pkey::PKey::public_key_from_pem(pem.as_bytes())
                        .map_err(|e| pem_error("public", PUBLIC_LABELS, first_openssl_reason(&e)))?
                };
                let modulus_bytes = pkey.rsa().map_err(|_| KeyError::NotRsa)?.size() as usize;
                Ok(PublicKey {
                    inner: PublicInner::OpenSsl(pkey),
                    modulus_bytes,
                })
            }
            #[cfg(feature = "rustcrypto")]
            Backend::RustCrypto => {
                use rsa::pkcs1::DecodeRsaPublicKey;
                use rsa::pkcs8::DecodePublicKey;
                use rsa::traits::PublicKeyParts;
                let key = if pkcs1 {
                    rsa::RsaPublicKey::from_pkcs1_pem(pem)
                        .map_err(|e| pem_error("public", PUBLIC_LABELS, e))?
                } else {
                    rsa::RsaPublicKey::from_public_key_pem(pem)
                        .map_err(|e| pem_error("public", PUBLIC_LABELS, e))?
                };
                let modulus_bytes = key.size();
                Ok(PublicKey {
                    inner: PublicInner::RustCrypto(Box::new(RcPublic::new(key))),
                    modulus_bytes,
                })
            }
        }
    }

    /// Modulus length in bytes (= valid signature length).
    pub fn modulus_bytes(&self) -> usize {
        self.modulus_bytes
    }

    /// The backend that holds this key.
    pub fn backend(&self) -> Backend {
        match self.inner {
            #[cfg(feature = "openssl")]
            PublicInner::OpenSsl(_) => Backend::OpenSsl,
            #[cfg(feature = "rustcrypto")]
            PublicInner::RustCrypto(_) => Backend::RustCrypto,
        }
    }

    /// `true` only if `signature` is a valid RSASSA-PKCS1-v1_5 signature of `message`; a signature
    /// whose length differs from the modulus length is rejected without further work.
    pub fn verify(&self, digest: DigestAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        if signature.len() != self.modulus_bytes {
            return false;
        }
        match &self.inner {
            #[cfg(feature = "openssl")]
            PublicInner::OpenSsl(pkey) => {
                let Ok(mut verifier) = openssl::sign::Verifier::new(openssl_md(digest), pkey)
                else {
                    return false;
                };
                verifier.update(message).is_ok() && verifier.verify(signature).unwrap_or(false)
            }
            #[cfg(feature = "rustcrypto")]
            PublicInner::RustCrypto(key) => {
                use rsa::signature::Verifier;
                let Ok(sig) = rsa::pkcs1v15::Signature::try_from(signature) else {
                    return false;
                };
                match digest {
                    DigestAlgorithm::Md5 => key.md5.verify(message, &sig).is_ok(),
                    DigestAlgorithm::Sha256 => key.sha256.verify(message, &sig).is_ok(),
                }
            }
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("backend", &self.backend().name())
            .field("bits", &(self.modulus_bytes * 8))
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "openssl")]
fn openssl_md(digest: DigestAlgorithm) -> openssl::hash::MessageDigest {
    match digest {
        DigestAlgorithm::Md5 => openssl::hash::MessageDigest::md5(),
        DigestAlgorithm::Sha256 => openssl::hash::MessageDigest::sha256(),
    }
}

#[cfg(feature = "openssl")]
fn first_openssl_reason(e: &openssl::error::ErrorStack) -> String {
    e.errors()
        .first()
        .and_then(|err| err.reason().map(str::to_owned))
        .unwrap_or_else(|| "unrecognised key data".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../conformance/vectors/keys/ksher-merchant-1024.pkcs8.pem");

    #[test]
    fn debug_never_prints_key_material() {
        for backend in Backend::ALL {
            let key = PrivateKey::from_pem_with(*backend, KEY).expect("test key loads");
            let text = format!("{key:?} {:?}", key.public_key());
            assert!(text.contains("bits: 1024"), "{text}");
            // No base64 or hex run long enough to be key material.
            let longest = text
                .split(|c: char| !c.is_ascii_alphanumeric())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(longest < 16, "{text}");
        }
    }

    #[test]
    fn bad_pem_is_an_error_without_key_material() {
        for backend in Backend::ALL {
            let broken = KEY.replace("MII", "XXX");
            let err = PrivateKey::from_pem_with(*backend, &broken)
                .unwrap_err()
                .to_string();
            assert!(err.contains("PKCS#1") && !err.contains("XXX"), "{err}");
            assert!(PublicKey::from_pem_with(*backend, "not a key").is_err());
        }
    }
}

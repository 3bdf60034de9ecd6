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

impl DigestAlgorithm {
    /// The digest of `message` (diagnostics: `explain`; signing and verification hash inside
    /// the backend).
    pub fn hash(self, message: &[u8]) -> Vec<u8> {
        #[cfg(feature = "openssl")]
        {
            openssl::hash::hash(openssl_md(self), message)
                .map(|d| d.to_vec())
                .unwrap_or_default()
        }
        #[cfg(all(not(feature = "openssl"), feature = "rustcrypto"))]
        {
            use sha2::Digest as _;
            match self {
                DigestAlgorithm::Md5 => md5::Md5::digest(message).to_vec(),
                DigestAlgorithm::Sha256 => sha2::Sha256::digest(message).to_vec(),
            }
        }
    }
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
    /// The text holds no PEM block or more than one (a key file holds exactly one key).
    #[error("expected exactly one PEM block, found {found}")]
    PemBlocks {
        /// Number of `-----BEGIN` lines found.
        found: usize,
    },
    /// The key text is longer than [`MAX_PEM_BYTES`]; it was not parsed.
    #[error("key text is {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// Size of the text.
        size: usize,
        /// [`MAX_PEM_BYTES`].
        limit: usize,
    },
    /// The RSA parameters are unsafe or unusable; both backends refuse the same keys.
    #[error("unsafe RSA key: {0}")]
    Weak(WeakKey),
}

/// Why an RSA key was refused on load (the same rules in every backend).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeakKey {
    /// The modulus is outside [`MIN_MODULUS_BITS`]..=[`MAX_MODULUS_BITS`].
    #[error("modulus of {bits} bits (accepted: {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS})")]
    ModulusSize {
        /// Significant bits of the modulus.
        bits: usize,
    },
    /// The modulus is even (an RSA modulus is a product of two odd primes).
    #[error("even modulus")]
    EvenModulus,
    /// The public exponent is below 3, even, or above [`MAX_PUBLIC_EXPONENT`]. With `e = 1`
    /// any padded digest "verifies" as its own signature.
    #[error("public exponent must be odd, at least 3 and at most 2^33 - 1")]
    Exponent,
}

/// Smallest RSA modulus accepted, in bits (Ksher's own gateway key is 512 bits).
pub const MIN_MODULUS_BITS: usize = 512;
/// Largest RSA modulus accepted, in bits.
pub const MAX_MODULUS_BITS: usize = 4096;
/// Largest public exponent accepted (the RustCrypto `rsa` crate's bound).
/// 2^33 − 1.
pub const MAX_PUBLIC_EXPONENT: u64 = 0x1_FFFF_FFFF;
/// Largest key text accepted (a 4096-bit private key PEM is about 3.3 KB).
pub const MAX_PEM_BYTES: usize = 16 * 1024;

/// Cheap checks on the text, before any backend parses it: size and exactly one PEM block.
fn check_pem_text(pem: &str) -> Result<(), KeyError> {
    if pem.len() > MAX_PEM_BYTES {
        return Err(KeyError::TooLarge {
            size: pem.len(),
            limit: MAX_PEM_BYTES,
        });
    }
    let found = pem.matches("-----BEGIN").count();
    if found != 1 {
        return Err(KeyError::PemBlocks { found });
    }
    Ok(())
}

/// One DER element: (tag, contents, what follows it).
fn der_element(buf: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = buf.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, rest) = rest.split_at(count);
        (
            bytes
                .iter()
                .fold(0usize, |acc, b| acc * 256 + usize::from(*b)),
            rest,
        )
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((tag, contents, rest))
}

/// The contents of the element with `tag` at the start of `buf`, and what follows it.
fn der_expect(buf: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, contents, rest) = der_element(buf)?;
    (t == tag).then_some((contents, rest))
}

const DER_INTEGER: u8 = 0x02;
const DER_BIT_STRING: u8 = 0x03;
const DER_OCTET_STRING: u8 = 0x04;
const DER_SEQUENCE: u8 = 0x30;

/// `(n, e)` from an `RSAPublicKey` (`skip` = 0) or `RSAPrivateKey` (`skip` = 1: the version).
fn der_rsa_numbers(buf: &[u8], skip: usize) -> Option<(Vec<u8>, Vec<u8>)> {
    let (mut items, _) = der_expect(buf, DER_SEQUENCE)?;
    for _ in 0..skip {
        items = der_expect(items, DER_INTEGER)?.1;
    }
    let (n, rest) = der_expect(items, DER_INTEGER)?;
    let (e, _) = der_expect(rest, DER_INTEGER)?;
    Some((n.to_vec(), e.to_vec()))
}

/// The modulus and public exponent inside a PEM RSA key (SPKI, PKCS#1 public or private,
/// PKCS#8 private), read with a minimal DER walker, so that both backends judge the same numbers
/// by the same rules before either parses the key. `None` when the text is not one of these
/// forms; the backend then says why it cannot load it.
fn pem_rsa_numbers(pem: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    use base64::Engine as _;
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let label_end = start + pem.get(start..)?.find("-----")?;
    let label = pem.get(start..label_end)?;
    let body_start = label_end + "-----".len();
    let body_end = body_start + pem.get(body_start..)?.find("-----END ")?;
    let body: String = pem.get(body_start..body_end)?.split_whitespace().collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .ok()?;
    match label {
        "RSA PUBLIC KEY" => der_rsa_numbers(&der, 0),
        "RSA PRIVATE KEY" => der_rsa_numbers(&der, 1),
        "PUBLIC KEY" => {
            let (spki, _) = der_expect(&der, DER_SEQUENCE)?;
            let (_, key) = der_expect(spki, DER_SEQUENCE)?;
            let (bits, _) = der_expect(key, DER_BIT_STRING)?;
            let (&unused, key) = bits.split_first()?;
            (unused == 0).then_some(())?;
            der_rsa_numbers(key, 0)
        }
        "PRIVATE KEY" => {
            let (info, _) = der_expect(&der, DER_SEQUENCE)?;
            let (_, rest) = der_expect(info, DER_INTEGER)?;
            let (_, rest) = der_expect(rest, DER_SEQUENCE)?;
            let (key, _) = der_expect(rest, DER_OCTET_STRING)?;
            der_rsa_numbers(key, 1)
        }
        _ => None,
    }
}

/// The checks on the text that run before any backend parses it: size, exactly one PEM block,
/// and the RSA numbers, where the structure can be read.
fn check_key_text(pem: &str) -> Result<(), KeyError> {
    check_pem_text(pem)?;
    if let Some((n, e)) = pem_rsa_numbers(pem) {
        check_public_params(&n, &e).map_err(KeyError::Weak)?;
    }
    Ok(())
}

/// The rules every loaded key must meet, on its big-endian modulus and public exponent.
pub(crate) fn check_public_params(n: &[u8], e: &[u8]) -> Result<(), WeakKey> {
    fn significant(bytes: &[u8]) -> &[u8] {
        let zeros = bytes.iter().take_while(|b| **b == 0).count();
        bytes.get(zeros..).unwrap_or_default()
    }
    let n = significant(n);
    let bits = match n.first() {
        Some(first) => (n.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    };
    if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
        return Err(WeakKey::ModulusSize { bits });
    }
    if n.last().is_some_and(|b| b % 2 == 0) {
        return Err(WeakKey::EvenModulus);
    }
    let e = significant(e);
    // Big-endian bytes; more than fit a u64 is far above the maximum.
    let value = e
        .iter()
        .try_fold(0u64, |acc, b| Some(acc.checked_mul(256)? + u64::from(*b)));
    match value {
        Some(v) if (3..=MAX_PUBLIC_EXPONENT).contains(&v) && v % 2 == 1 => Ok(()),
        _ => Err(WeakKey::Exponent),
    }
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
    /// The RSA key itself (not an EVP `PKey`): signing uses the bare RSA operation.
    OpenSsl(openssl::rsa::Rsa<openssl::pkey::Private>),
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
    /// The RSA key itself (not an EVP `PKey`): verification uses the bare RSA operation.
    OpenSsl(openssl::rsa::Rsa<openssl::pkey::Public>),
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
        check_key_text(pem)?;
        match backend {
            #[cfg(feature = "openssl")]
            Backend::OpenSsl => {
                let pkey = openssl::pkey::PKey::private_key_from_pem(pem.as_bytes())
                    .map_err(|e| pem_error("private", PRIVATE_LABELS, first_openssl_reason(&e)))?;
                let rsa = pkey.rsa().map_err(|_| KeyError::NotRsa)?;
                check_public_params(&rsa.n().to_vec(), &rsa.e().to_vec())
                    .map_err(KeyError::Weak)?;
                let modulus_bytes = rsa.size() as usize;
                Ok(PrivateKey {
                    inner: PrivateInner::OpenSsl(rsa),
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
                {
                    use rsa::traits::PublicKeyParts;
                    check_public_params(&key.n().to_bytes_be(), &key.e().to_bytes_be())
                        .map_err(KeyError::Weak)?;
                }
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
                Ok(PrivateKey {
                    modulus_bytes: bits.div_ceil(8) as usize,
                    inner: PrivateInner::OpenSsl(rsa),
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
            PrivateInner::OpenSsl(rsa) => {
                // The DER DigestInfo of the message through the bare RSA private operation with
                // PKCS#1 type-1 padding (OpenSSL blinds it): what `RSA_sign` does, without the
                // per-call EVP context.
                let info = digest_info(digest, message)
                    .map_err(|e| SignError(first_openssl_reason(&e)))?;
                let mut signature = vec![0u8; self.modulus_bytes];
                let n = rsa
                    .private_encrypt(&info, &mut signature, openssl::rsa::Padding::PKCS1)
                    .map_err(|e| SignError(first_openssl_reason(&e)))?;
                signature.truncate(n);
                Ok(signature)
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
            PrivateInner::OpenSsl(rsa) => {
                // Round-trip through DER: infallible for a key we loaded ourselves.
                let der = rsa
                    .public_key_to_der()
                    .expect("public part of a loaded RSA key encodes");
                let public = openssl::rsa::Rsa::public_key_from_der(&der)
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
        check_key_text(pem)?;
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
                let rsa = pkey.rsa().map_err(|_| KeyError::NotRsa)?;
                check_public_params(&rsa.n().to_vec(), &rsa.e().to_vec())
                    .map_err(KeyError::Weak)?;
                let modulus_bytes = rsa.size() as usize;
                Ok(PublicKey {
                    inner: PublicInner::OpenSsl(rsa),
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
                check_public_params(&key.n().to_bytes_be(), &key.e().to_bytes_be())
                    .map_err(KeyError::Weak)?;
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
            PublicInner::OpenSsl(rsa) => {
                // The bare RSA public operation with PKCS#1 type-1 padding, then a
                // constant-time comparison with the one DER DigestInfo of the message: what
                // `RSA_verify` does, without the per-call EVP context.
                let mut opened = vec![0u8; signature.len()];
                let Ok(n) =
                    rsa.public_decrypt(signature, &mut opened, openssl::rsa::Padding::PKCS1)
                else {
                    return false;
                };
                let Ok(expected) = digest_info(digest, message) else {
                    return false;
                };
                n == expected.len() && openssl::memcmp::eq(&opened[..n], &expected)
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

impl PublicKey {
    /// What `signature` holds: the RSA public operation, then the PKCS#1 v1.5 type-1 padding
    /// removed, gives the DER `DigestInfo` the signer signed. `None` when the signature does not
    /// open with this key (another key signed it, or it is not a signature): a diagnostic for
    /// `explain`, never a verification.
    pub fn open_signature(&self, signature: &[u8]) -> Option<Vec<u8>> {
        if signature.len() != self.modulus_bytes {
            return None;
        }
        match &self.inner {
            #[cfg(feature = "openssl")]
            PublicInner::OpenSsl(rsa) => {
                let mut opened = vec![0u8; signature.len()];
                let n = rsa
                    .public_decrypt(signature, &mut opened, openssl::rsa::Padding::PKCS1)
                    .ok()?;
                opened.truncate(n);
                Some(opened)
            }
            #[cfg(feature = "rustcrypto")]
            PublicInner::RustCrypto(key) => {
                use rsa::traits::PublicKeyParts;
                let public: &rsa::RsaPublicKey = key.sha256.as_ref();
                let s = rsa::BigUint::from_bytes_be(signature);
                if &s >= public.n() {
                    return None;
                }
                let m = s.modpow(public.e(), public.n()).to_bytes_be();
                // EM = 0x00 0x01 0xFF.. 0x00 payload; the leading 0x00 is lost in the integer.
                let em = [vec![0u8; self.modulus_bytes.checked_sub(m.len())?], m].concat();
                let rest = em.strip_prefix(&[0x00, 0x01])?;
                let pad = rest.iter().take_while(|b| **b == 0xFF).count();
                let payload = rest.get(pad..)?.strip_prefix(&[0x00])?;
                (pad >= 8).then(|| payload.to_vec())
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

/// The DER `DigestInfo` of `message` (RFC 8017, section 9.2): the algorithm identifier with
/// NULL parameters, then the digest.
#[cfg(feature = "openssl")]
fn digest_info(
    digest: DigestAlgorithm,
    message: &[u8],
) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    const MD5: &[u8] = &[
        0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05,
        0x00, 0x04, 0x10,
    ];
    const SHA256: &[u8] = &[
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let prefix = match digest {
        DigestAlgorithm::Md5 => MD5,
        DigestAlgorithm::Sha256 => SHA256,
    };
    let hash = openssl::hash::hash(openssl_md(digest), message)?;
    let mut info = Vec::with_capacity(prefix.len() + hash.len());
    info.extend_from_slice(prefix);
    info.extend_from_slice(&hash);
    Ok(info)
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

    #[test]
    fn backends_have_their_names() {
        for backend in Backend::ALL {
            let expected = match backend {
                #[cfg(feature = "openssl")]
                Backend::OpenSsl => "openssl",
                #[cfg(feature = "rustcrypto")]
                Backend::RustCrypto => "rustcrypto",
            };
            assert_eq!(backend.name(), expected);
        }
    }

    #[test]
    fn keys_report_their_backend_and_size() {
        for backend in Backend::ALL {
            let key = PrivateKey::from_pem_with(*backend, KEY).expect("test key loads");
            assert_eq!(key.backend(), *backend);
            assert_eq!(key.modulus_bytes(), 128);
            let public = key.public_key();
            assert_eq!(public.backend(), *backend);
            assert_eq!(public.modulus_bytes(), 128);
        }
    }

    /// A key OpenSSL cannot read is refused with OpenSSL's own first reason, so the message
    /// says what is wrong with the text (here: its body is not base64).
    #[cfg(feature = "openssl")]
    #[test]
    fn openssl_load_errors_give_its_reason() {
        let bad = "-----BEGIN RSA PUBLIC KEY-----\n!!!!\n-----END RSA PUBLIC KEY-----\n";
        match PublicKey::from_pem_with(Backend::OpenSsl, bad) {
            Err(KeyError::Pem { kind, detail, .. }) => {
                assert_eq!((kind, detail.as_str()), ("public", "bad base64 decode"));
            }
            other => panic!("expected a PEM error, got {other:?}"),
        }
    }

    /// `Debug` names the backend and the size, and nothing of the key itself.
    #[test]
    fn debug_shows_backend_and_bits_only() {
        for backend in Backend::ALL {
            let key = PrivateKey::from_pem_with(*backend, KEY).expect("test key loads");
            let name = backend.name();
            assert_eq!(
                format!("{key:?}"),
                format!("PrivateKey {{ backend: {name:?}, bits: 1024, .. }}")
            );
            assert_eq!(
                format!("{:?}", key.public_key()),
                format!("PublicKey {{ backend: {name:?}, bits: 1024, .. }}")
            );
        }
    }

    #[test]
    fn key_text_is_bounded_before_parsing() {
        // Exactly the limit is not too large (it fails later, for its lack of a PEM block).
        let at_limit = "x".repeat(MAX_PEM_BYTES);
        assert!(matches!(
            check_pem_text(&at_limit),
            Err(KeyError::PemBlocks { found: 0 })
        ));
        let over = "x".repeat(MAX_PEM_BYTES + 1);
        assert!(matches!(
            check_pem_text(&over),
            Err(KeyError::TooLarge { size, limit }) if size == MAX_PEM_BYTES + 1 && limit == MAX_PEM_BYTES
        ));
    }

    /// The DER walker refuses every malformed length on its own: long form with no length
    /// bytes (`0x80`), more than four length bytes, and fewer length bytes than announced.
    #[test]
    fn der_lengths_are_checked() {
        let check = |buf: &[u8], expected: Option<(u8, &[u8], &[u8])>| {
            assert_eq!(der_element(buf), expected, "{buf:02x?}");
        };
        check(&[0x02, 0x01, 0x05, 0xff], Some((0x02, &[0x05], &[0xff])));
        check(&[0x02, 0x7f], None); // short form, contents missing
        check(
            &[0x04, 0x81, 0x02, 0xaa, 0xbb],
            Some((0x04, &[0xaa, 0xbb], &[])),
        );
        check(&[0x30, 0x80, 0x00, 0x00], None); // long form without length bytes
        let mut indefinite = vec![0x30, 0x80];
        indefinite.extend([0u8; 130]);
        check(&indefinite, None); // 0x80 is never a short-form length of 128
        check(&[0x30, 0x85, 0, 0, 0, 0, 1, 0xaa], None); // five length bytes
        check(&[0x30, 0x84, 0, 0], None); // four announced, two present
        check(&[0x30, 0x82, 0x00, 0x01, 0xaa], Some((0x30, &[0xaa], &[])));
        // Four length bytes are allowed; exactly as many length bytes as announced, too.
        check(&[0x30, 0x84, 0, 0, 0, 1, 0xaa], Some((0x30, &[0xaa], &[])));
        check(&[0x30, 0x81, 0x00], Some((0x30, &[], &[])));
        // Two length bytes: 0x0100 = 256.
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend([0xab; 257]);
        check(&long, Some((0x04, &[0xab; 256], &[0xab])));
        check(&[], None);
        check(&[0x30], None);
    }

    /// Modulus sizes count significant bits, at both bounds; an even modulus is refused.
    #[test]
    fn modulus_size_and_parity() {
        let e = 65_537u32.to_be_bytes();
        let modulus = |bytes: usize, first: u8| {
            let mut n = vec![0u8; bytes];
            n[0] = first;
            n[bytes - 1] |= 1;
            n
        };
        let bits = |n: &[u8]| match check_public_params(n, &e) {
            Ok(()) => None,
            Err(WeakKey::ModulusSize { bits }) => Some(bits),
            Err(other) => panic!("{other:?}"),
        };
        assert_eq!(bits(&modulus(64, 0x80)), None); // 512 bits
        assert_eq!(bits(&modulus(64, 0x40)), Some(511));
        // Leading zero bytes are not counted.
        assert_eq!(bits(&[&[0u8][..], &modulus(64, 0x01)].concat()), Some(505));
        assert_eq!(bits(&[&[0u8, 0][..], &modulus(64, 0x80)].concat()), None);
        assert_eq!(bits(&modulus(512, 0xff)), None); // 4096 bits
        assert_eq!(bits(&modulus(513, 0x01)), Some(4097));
        assert_eq!(bits(&[]), Some(0));
        assert_eq!(bits(&[0, 0]), Some(0));
        let mut even = modulus(128, 0xc5);
        even[127] = 0x02;
        assert!(matches!(
            check_public_params(&even, &e),
            Err(WeakKey::EvenModulus)
        ));
    }

    /// The public exponent bound is the RustCrypto crate's: 2^33 - 1 passes, 2^33 + 1 fails.
    #[test]
    fn public_exponent_bounds() {
        let n = {
            let mut n = vec![0xc5u8; 128];
            n[127] = 0x01;
            n
        };
        let e = |value: u64| value.to_be_bytes().to_vec();
        assert_eq!(MAX_PUBLIC_EXPONENT, (1 << 33) - 1);
        assert!(check_public_params(&n, &e((1 << 33) - 1)).is_ok());
        assert!(check_public_params(&n, &e(65_537)).is_ok());
        assert!(check_public_params(&n, &e(3)).is_ok());
        for bad in [(1u64 << 33) + 1, 1u64 << 33, 0, 1, 2, 65_536, u64::MAX] {
            assert!(
                matches!(check_public_params(&n, &e(bad)), Err(WeakKey::Exponent)),
                "{bad}"
            );
        }
        // Nine significant bytes never fold into a small value.
        let nine = [1u8, 0, 0, 0, 0, 0, 0, 0, 3];
        assert!(matches!(
            check_public_params(&n, &nine),
            Err(WeakKey::Exponent)
        ));
        // Leading zero bytes are not significant.
        assert!(check_public_params(&n, &[0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]).is_ok());
    }

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

//! Injectable time and nonce sources, so that signing is a pure function in tests.

use rand::distributions::Alphanumeric;
use rand::Rng;
use time::{OffsetDateTime, UtcOffset};

/// Source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant, in the offset the gateway expects.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock, reported in a fixed UTC offset (UTC by default).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock {
    offset: Option<UtcOffset>,
}

impl SystemClock {
    /// A system clock whose readings are expressed in `offset` (e.g. +07:00 for Bangkok).
    pub fn with_offset(offset: UtcOffset) -> Self {
        SystemClock {
            offset: Some(offset),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        match self.offset {
            Some(offset) => now.to_offset(offset),
            None => now,
        }
    }
}

/// A clock that always reads the same instant (tests, replays).
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// Source of request nonces.
pub trait NonceSource: Send + Sync {
    /// A fresh nonce.
    fn nonce(&self) -> String;
}

/// 32 random ASCII alphanumerics per call from a cryptographically secure, OS-seeded generator.
/// (The official Python SDK fixes its nonce at import time; this one is new on every call.)
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomNonce;

impl NonceSource for RandomNonce {
    fn nonce(&self) -> String {
        rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(32)
            .map(char::from)
            .collect()
    }
}

/// A nonce source that always returns the same value (tests, replays).
#[derive(Clone, Debug)]
pub struct FixedNonce(pub String);

impl NonceSource for FixedNonce {
    fn nonce(&self) -> String {
        self.0.clone()
    }
}

/// `yyyyMMddHHmmss` in the clock's offset, the Ksher `time_stamp` format.
pub fn compact_timestamp(t: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// ISO-8601 / RFC 3339 with the clock's offset and no fraction, e.g. `2024-01-01T12:00:00+08:00`.
pub fn iso8601_timestamp(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| compact_timestamp(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_render_in_the_clock_offset() {
        let t = datetime!(2024-01-02 03:04:05.678 +07:00);
        assert_eq!(compact_timestamp(t), "20240102030405");
        assert_eq!(iso8601_timestamp(t), "2024-01-02T03:04:05+07:00");
    }

    #[test]
    fn random_nonces_are_32_alphanumerics_and_differ() {
        let a = RandomNonce.nonce();
        let b = RandomNonce.nonce();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}

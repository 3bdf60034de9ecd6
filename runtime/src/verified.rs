use std::ops::Deref;

/// Gateway data whose signature has been checked.
///
/// Only this crate's verification functions create a `Verified` value, so business logic that
/// accepts `Verified<T>` cannot be handed unverified gateway data. Generated crates turn the
/// verified raw data into typed values with [`Verified::map`] / [`Verified::try_map`].
#[derive(Clone, Debug, PartialEq)]
pub struct Verified<T>(T);

impl<T> Verified<T> {
    pub(crate) fn new(value: T) -> Self {
        Verified(value)
    }

    /// The verified value.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// Derives another value from the verified one; the result stays marked as verified.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Verified<U> {
        Verified(f(self.0))
    }

    /// Like [`Verified::map`] for a fallible conversion (typed parsing of verified data).
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Verified<U>, E> {
        f(self.0).map(Verified)
    }
}

impl<T> Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

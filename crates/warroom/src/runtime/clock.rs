//! Time for the runtime's loop: the system's clock, or one that moves only when slept on.
//!
//! Nothing in a cycle reads the time by itself: the loop asks its clock and passes the instant
//! down. With a [`SteppedClock`] a test plays a whole 20-minute drill in milliseconds and gets
//! the same instants on every run.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// A future a clock returns; boxed so a clock can be shared as `dyn Clock`.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Where the runtime's loop gets the time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Waits until `at` (at once if it has passed).
    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep<'_>;
}

/// The system's clock: real time, real waiting.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep<'_> {
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that stands still until slept on, then jumps to the instant asked: a loop over it
/// runs as fast as the machine allows, at exactly the instants it would have seen in real time.
#[derive(Debug)]
pub struct SteppedClock {
    now: Mutex<DateTime<Utc>>,
}

impl SteppedClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> SteppedClock {
        SteppedClock { now: Mutex::new(start) }
    }

    /// Moves the clock forward to `at` (never back).
    pub fn advance_to(&self, at: DateTime<Utc>) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        if at > *now {
            *now = at;
        }
    }
}

impl Clock for SteppedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep<'_> {
        self.advance_to(at);
        // Let other tasks run, as a real wait would.
        Box::pin(tokio::task::yield_now())
    }
}

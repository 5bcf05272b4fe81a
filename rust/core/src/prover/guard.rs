//! Plonky3's verifier (and, for bad witnesses, its prover) may panic on malformed
//! input. Every entry point runs behind `catch_unwind` so a hostile proof becomes an
//! [`Error`], never a crash of the host process.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use crate::error::{Error, Result};

thread_local! {
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}
static HOOK: Once = Once::new();

/// Installs (once) a panic hook that stays quiet for panics caught by [`catch_panic`]
/// on the current thread (a rejected proof is an expected outcome, not a crash
/// report) and defers to the previous hook everywhere else.
fn install_quiet_hook() {
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(|g| g.get()) == 0 {
                prev(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `err(message)`.
pub fn catch_panic<T>(
    f: impl FnOnce() -> Result<T>,
    err: impl FnOnce(String) -> Error,
) -> Result<T> {
    install_quiet_hook();
    GUARDED.with(|g| g.set(g.get() + 1));
    let out = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get() - 1));
    match out {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(err(msg))
        }
    }
}

/// Runs a verifier closure; a panic inside it is a verification failure.
pub fn verify_guarded(f: impl FnOnce() -> Result<()>) -> Result<()> {
    catch_panic(f, |m| {
        Error::Verification(format!("verifier rejected malformed proof: {m}"))
    })
}

//! Every LogUp bus of the project, declared in one place. A bus is identified by its
//! name; all AIRs that use the same name share one multiset argument.

use p3_lookup::LookupBus;

/// 16-bit range table: a lookup of `[x]` proves `0 <= x < 2^16`.
pub const RANGE16: LookupBus<'static> = LookupBus::new("range16");

//! How the ops of one kind are spread over instances of their op chip.
//!
//! A chip's height is a power of two, so one instance for `c` ops wastes up to half its
//! rows on padding (AdamW sends 5 or 6 adds per element: 81,920 adds at 16,384
//! elements would fill 2^17 rows). Several instances of the same AIR, all receiving on
//! the one `FP_OP` bus, prove the ops instead: LogUp balances over every AIR of the
//! statement, so splitting changes no soundness argument. The heights are a pure
//! function of the count (hence of the public claim), so the verifier recomputes them.

use super::{MAX_OP_INSTANCES, MIN_LOG_ROWS};

/// Log2 heights of the instances proving `count` ops, largest first: the binary
/// decomposition of `count` (its largest powers of two, each at least 2^MIN_LOG_ROWS),
/// at most [`MAX_OP_INSTANCES`] instances, the remainder rounded up to the next power of
/// two (at least 2^MIN_LOG_ROWS). Zero ops take one all-padding instance.
///
/// The total height never exceeds that of a single instance (`next_power_of_two`):
/// after pieces `2^k1 >= 2^k2`, the rest is below `2^k2` and rounds up to at most it.
pub(crate) fn op_instance_log_heights(count: usize) -> Vec<usize> {
    let mut logs = Vec::with_capacity(MAX_OP_INSTANCES);
    let mut rest = count;
    while logs.len() + 1 < MAX_OP_INSTANCES && rest > 0 {
        let k = rest.ilog2() as usize;
        if k < MIN_LOG_ROWS {
            break;
        }
        logs.push(k);
        rest -= 1 << k;
    }
    if rest > 0 || logs.is_empty() {
        logs.push(log_height(rest));
    }
    logs
}

/// Log2 of the height of one instance for `n` rows (at least 2^MIN_LOG_ROWS).
pub(crate) fn log_height(n: usize) -> usize {
    (n.max(1).next_power_of_two().trailing_zeros() as usize).max(MIN_LOG_ROWS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(count: usize) -> Vec<usize> {
        let logs = op_instance_log_heights(count);
        assert!(
            !logs.is_empty() && logs.len() <= MAX_OP_INSTANCES,
            "{count}: {logs:?}"
        );
        assert!(logs.iter().all(|&k| k >= MIN_LOG_ROWS), "{count}: {logs:?}");
        assert!(
            logs.windows(2).all(|w| w[0] >= w[1]),
            "{count}: largest first"
        );
        let rows: usize = logs.iter().map(|&k| 1usize << k).sum();
        assert!(rows >= count, "{count}: {logs:?} holds {rows} rows");
        // never more rows than one padded instance
        assert!(rows <= 1 << log_height(count), "{count}: {logs:?}");
        // only the last instance has padding
        let full: usize = logs[..logs.len() - 1].iter().map(|&k| 1usize << k).sum();
        assert!(full <= count || count == 0, "{count}: {logs:?}");
        logs
    }

    #[test]
    fn decomposition_covers_the_count() {
        for count in 0..5000 {
            check(count);
        }
        for count in [1 << 20, (1 << 20) + 1, (1 << 22) - 1, 3 << 18, 7 << 17] {
            check(count);
        }
    }

    #[test]
    fn adamw_chunk_has_no_padding() {
        // 16,384 AdamW elements: 5 adds and 6 muls each
        assert_eq!(check(81_920), [16, 14]);
        assert_eq!(check(98_304), [16, 15]);
        assert_eq!(check(0), [MIN_LOG_ROWS]);
        assert_eq!(check(1), [MIN_LOG_ROWS]);
        assert_eq!(check(9), [MIN_LOG_ROWS, MIN_LOG_ROWS]);
        // three pieces at most: the rest rounds up
        assert_eq!(check(0b1011_0000), [7, 5, 4]);
        assert_eq!(check(0b1011_1000), [7, 5, 5]);
    }
}

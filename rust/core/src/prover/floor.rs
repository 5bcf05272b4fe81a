//! The proof system's floor: what one committed cell costs under zkattest's exact ZK
//! configuration, with no chip logic at all.
//!
//! [`prove_floor`] proves a trivial AIR ([`FloorAir`]: `width` main columns of random
//! values, one degree-2 constraint `c[width-1] = c[0] * c[1]`, no lookups, no periodic or
//! preprocessed columns) at `2^log_rows` rows and verifies it. A statement that commits
//! the same number of cells cannot be proved faster on the same machine, so
//! `prove_s / floor prove_s` says how far a chip layout is from the proof system's cost
//! (`zkattest bench step` reports it as `ratio_to_floor`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_batch_stark::StarkGenericConfig;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use super::config::{zk_config, Val};
use super::setup::setup;
use super::statement::Statement;
use crate::error::{Error, Result};

/// Statement kind (base) of floor proofs; the width is appended (`floor.v1;w=65`), so
/// the setup cache never mixes two widths.
pub const FLOOR_KIND: &str = "floor.v1";
/// Smallest floor width (the constraint reads columns 0, 1 and `width - 1`).
pub const FLOOR_MIN_WIDTH: usize = 3;
/// Floor heights (log2): at least 2^3 rows, at most 2^22 (the ZK-doubled trace stays
/// within BabyBear's two-adicity with blowup 4).
pub const FLOOR_LOG_ROWS: std::ops::RangeInclusive<usize> = 3..=22;
/// Largest floor trace, in cells (2^28 field elements = 1 GiB of trace).
pub const FLOOR_MAX_CELLS: u64 = 1 << 28;

/// `width` columns; the last is the product of the first two.
#[derive(Clone, Debug)]
pub struct FloorAir {
    /// Number of main columns.
    pub width: usize,
}

impl<F> BaseAir<F> for FloorAir {
    fn width(&self) -> usize {
        self.width
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: AirBuilder> Air<AB> for FloorAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let row = main.current_slice();
        let (x, y, z) = (row[0], row[1], row[self.width - 1]);
        // z = x * y
        builder.assert_eq(x.into() * y.into(), z);
    }
}

/// One floor measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloorRun {
    /// Wall-clock proving time (seconds; setup excluded, it is cached per statement).
    pub prove_s: f64,
    /// CPU time of the whole process while proving (user + system, all threads).
    pub prove_cpu_s: f64,
    /// Wall-clock verification time (seconds).
    pub verify_s: f64,
    /// Size of the proof (envelope included).
    pub proof_bytes: usize,
    /// Committed main cells (`width * 2^log_rows`).
    pub cells: u64,
}

/// CPU seconds (user + system, all threads) of this process so far, from
/// `/proc/self/stat` (0 where that is unavailable): wall time means little on a shared
/// machine.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// The floor statement's kind for a width (interned: one entry per width seen).
fn kind(width: usize) -> &'static str {
    static KINDS: OnceLock<Mutex<HashMap<usize, &'static str>>> = OnceLock::new();
    let mut m = KINDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    m.entry(width)
        .or_insert_with(|| Box::leak(format!("{FLOOR_KIND};w={width}").into_boxed_str()))
}

fn check(log_rows: usize, width: usize) -> Result<()> {
    if !FLOOR_LOG_ROWS.contains(&log_rows) {
        return Err(Error::InvalidInput(format!(
            "floor log_rows must be in {}..={}, got {log_rows}",
            FLOOR_LOG_ROWS.start(),
            FLOOR_LOG_ROWS.end()
        )));
    }
    if width < FLOOR_MIN_WIDTH {
        return Err(Error::InvalidInput(format!(
            "floor width must be at least {FLOOR_MIN_WIDTH}, got {width}"
        )));
    }
    let cells = (width as u64).saturating_mul(1 << log_rows);
    if cells > FLOOR_MAX_CELLS {
        return Err(Error::InvalidInput(format!(
            "a floor of {width} x 2^{log_rows} = {cells} cells exceeds {FLOOR_MAX_CELLS}"
        )));
    }
    Ok(())
}

/// The floor trace: random values below 2^30 (splitmix64 from `seed`), the last column
/// the product of the first two.
pub fn floor_trace(log_rows: usize, width: usize, seed: u64) -> Result<RowMajorMatrix<Val>> {
    check(log_rows, width)?;
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 34) as u32
    };
    let mut values: Vec<Val> = (0..width << log_rows)
        .map(|_| Val::from_u32(next()))
        .collect();
    for row in values.chunks_exact_mut(width) {
        row[width - 1] = row[0] * row[1];
    }
    Ok(RowMajorMatrix::new(values, width))
}

/// Proves and verifies the floor AIR of `width` columns at `2^log_rows` rows (random
/// trace from `seed`) and returns the timings. The setup (trivial here) is done before
/// the clock starts, as a statement's cached setup is in real proofs.
pub fn prove_floor(log_rows: usize, width: usize, seed: u64) -> Result<FloorRun> {
    let trace = floor_trace(log_rows, width, seed)?;
    let airs = [FloorAir { width }];
    let st = Statement {
        kind: kind(width),
        airs: &airs,
    };
    let public = [Vec::new()];
    let _ = setup(st.kind, &airs, &[log_rows + zk_config().is_zk()]);
    let (c0, t0) = (cpu_seconds(), Instant::now());
    let proof = st.prove(std::slice::from_ref(&trace), &public)?;
    let (prove_s, prove_cpu_s) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    let t1 = Instant::now();
    st.verify(&proof, &public, &[log_rows])?;
    let verify_s = t1.elapsed().as_secs_f64();
    Ok(FloorRun {
        prove_s,
        prove_cpu_s,
        verify_s,
        proof_bytes: proof.len(),
        cells: (width as u64) << log_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_floor_proves_and_verifies() {
        let run = prove_floor(4, 5, 1).unwrap();
        assert_eq!(run.cells, 5 << 4);
        assert!(run.proof_bytes > 0 && run.prove_s > 0.0);
    }

    #[test]
    fn bad_shapes_are_rejected() {
        for (log_rows, width) in [(2, 8), (23, 8), (4, 2), (22, 1 << 10)] {
            assert!(matches!(
                prove_floor(log_rows, width, 0),
                Err(Error::InvalidInput(_))
            ));
        }
    }
}

//! The proof system's floor: what one committed cell costs under zkattest's exact ZK
//! configuration, with no chip logic at all.
//!
//! Proves a trivial AIR (`W` main columns of random values, one degree-2 constraint
//! `c[W-1] = c[0] * c[1]`, no lookups, no periodic columns) at `2^LOG_ROWS` rows and
//! prints prove / verify time, proof size and cells per second (main cells only: the
//! floor has no auxiliary columns). Compare with `prove_arith`, same machine, same run.
//!
//! ```text
//! cargo run --release -p zkattest-core --example floor -- [LOG_ROWS] [W...] [--reps R]
//! cargo run --release -p zkattest-core --example floor -- 18 41 65
//! ```

use std::time::Instant;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use rand::{RngExt, SeedableRng};
use zkattest_core::prover::{Statement, Val};

/// `W` columns; the last is the product of the first two.
#[derive(Clone, Debug)]
struct FloorAir {
    width: usize,
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

/// CPU seconds (user + system, all threads) of this process so far: wall time means
/// little on a shared machine.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn trace(width: usize, log_rows: usize, seed: u64) -> RowMajorMatrix<Val> {
    let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(seed);
    let mut values: Vec<Val> = (0..width << log_rows)
        .map(|_| Val::from_u32(rng.random_range(0..1 << 30)))
        .collect();
    for row in values.chunks_exact_mut(width) {
        row[width - 1] = row[0] * row[1];
    }
    RowMajorMatrix::new(values, width)
}

fn main() {
    let mut log_rows = 18;
    let mut widths = Vec::new();
    let mut reps = 1;
    let mut args = std::env::args().skip(1);
    let mut first = true;
    while let Some(a) = args.next() {
        if a == "--reps" {
            reps = args.next().and_then(|r| r.parse().ok()).expect("--reps N");
        } else if first {
            log_rows = a.parse().expect("LOG_ROWS");
            first = false;
        } else {
            widths.push(a.parse::<usize>().expect("W"));
        }
    }
    if widths.is_empty() {
        widths = vec![41, 65];
    }
    for &w in &widths {
        assert!(w >= 3, "W must be at least 3");
        let airs = [FloorAir { width: w }];
        let st = Statement {
            kind: "floor.v1",
            airs: &airs,
        };
        let t = trace(w, log_rows, w as u64);
        let public = [Vec::new()];
        // Warm the setup cache (nothing to commit here, but keep the timing honest).
        let _ = zkattest_core::prover::setup::setup("floor.v1", &airs, &[log_rows + 1]);
        for _ in 0..reps {
            let (c0, t0) = (cpu_seconds(), Instant::now());
            let proof = st.prove(std::slice::from_ref(&t), &public).expect("prove");
            let (prove_s, prove_cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
            let t1 = Instant::now();
            st.verify(&proof, &public, &[log_rows]).expect("verify");
            let verify_s = t1.elapsed().as_secs_f64();
            let cells = (w << log_rows) as f64;
            println!(
                "floor W={w:3} rows=2^{log_rows}: prove {prove_s:7.3} s (cpu {prove_cpu:7.2} s)  \
                 verify {:6.1} ms  proof {:9} B  {:6.2} Mcells/s wall, {:6.2} Mcells per cpu-s",
                verify_s * 1e3,
                proof.len(),
                cells / prove_s / 1e6,
                cells / prove_cpu / 1e6
            );
        }
    }
}

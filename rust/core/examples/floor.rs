//! The proof system's floor: what one committed cell costs under zkattest's exact ZK
//! configuration, with no chip logic at all (a thin CLI over
//! [`zkattest_core::prover::floor::prove_floor`]).
//!
//! Proves a trivial AIR (`W` main columns of random values, one degree-2 constraint, no
//! lookups) at `2^LOG_ROWS` rows and prints prove / verify time, proof size and cells
//! per second. `zkattest bench step` runs the same measurement next to each step proof.
//!
//! ```text
//! cargo run --release -p zkattest-core --example floor -- [LOG_ROWS] [W...] [--reps R]
//! cargo run --release -p zkattest-core --example floor -- 18 41 65
//! ```

use zkattest_core::prover::floor::prove_floor;

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
        for _ in 0..reps {
            let run = match prove_floor(log_rows, w, w as u64) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("floor W={w} rows=2^{log_rows}: {e}");
                    std::process::exit(2);
                }
            };
            let cells = run.cells as f64;
            println!(
                "floor W={w:3} rows=2^{log_rows}: prove {:7.3} s (cpu {:7.2} s)  \
                 verify {:6.1} ms  proof {:9} B  {:6.2} Mcells/s wall, {:6.2} Mcells per cpu-s",
                run.prove_s,
                run.prove_cpu_s,
                run.verify_s * 1e3,
                run.proof_bytes,
                cells / run.prove_s / 1e6,
                cells / run.prove_cpu_s.max(1e-9) / 1e6
            );
        }
    }
}

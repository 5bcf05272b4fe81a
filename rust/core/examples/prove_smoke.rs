//! Times the smoke statement: `cargo run --release --example prove_smoke -- LOG_N`.
use std::time::Instant;

fn main() {
    let log_n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let n = 1usize << log_n;
    let a: Vec<u16> = (0..n).map(|i| (i * 7919) as u16).collect();
    let b: Vec<u16> = (0..n).map(|i| (i * 31 + 5) as u16).collect();
    let sum = zkattest_core::smoke::dot_mod_p(&a, &b);
    let t = Instant::now();
    let proof = zkattest_core::smoke::prove(&a, &b).unwrap();
    let prove_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    zkattest_core::smoke::verify(&proof, n, sum).unwrap();
    println!(
        "log_n={log_n} prove={prove_s:.3}s verify={:.1}ms proof={} bytes",
        t.elapsed().as_secs_f64() * 1e3,
        proof.len()
    );
}

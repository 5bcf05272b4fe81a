//! Proves and verifies `2^LOG_N` random ops of one kind through the `arith.ops.v1`
//! statement (the path `zkattest bench prove` measures), printing wall and CPU time.
//! CPU time (user + system, all threads) stays meaningful on a shared machine.
//!
//! ```text
//! cargo run --release -p zkattest-core --example prove_arith -- [OP] [LOG_N] [--reps R] [--verify-reps V]
//! cargo run --release -p zkattest-core --example prove_arith -- bf16_mac 18
//! ```

use std::time::Instant;

use zkattest_core::arith::{prove_ops, verify_ops, OpBatch};
use zkattest_core::prover::floor::cpu_seconds;

/// A small deterministic generator (the inputs only need to look like training values).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// An FP32 value with a moderate exponent (|x| in [2^-9, 2^9)), 2% zeros.
    fn fp32(&mut self) -> u32 {
        let r = self.next();
        if r % 50 == 0 {
            return 0;
        }
        let sign = ((r >> 8) & 1) as u32;
        let exp = 118 + ((r >> 9) % 18) as u32;
        let mant = ((r >> 32) as u32) & 0x7f_ffff;
        sign << 31 | exp << 23 | mant
    }
    fn bf16(&mut self) -> u16 {
        (self.fp32() >> 16) as u16
    }
}

fn main() {
    let mut op = "bf16_mac".to_string();
    let mut log_n = 16;
    let mut reps = 1;
    let mut verify_reps = 1;
    let mut args = std::env::args().skip(1);
    let mut pos = 0;
    while let Some(a) = args.next() {
        if a == "--reps" {
            reps = args.next().and_then(|r| r.parse().ok()).expect("--reps N");
        } else if a == "--verify-reps" {
            verify_reps = args
                .next()
                .and_then(|r| r.parse().ok())
                .expect("--verify-reps N");
        } else {
            match pos {
                0 => op = a,
                _ => log_n = a.parse().expect("LOG_N"),
            }
            pos += 1;
        }
    }
    let n = 1usize << log_n;
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let x: Vec<u32> = (0..n).map(|_| g.fp32()).collect();
    let y: Vec<u32> = (0..n).map(|_| g.fp32()).collect();
    let a: Vec<u16> = (0..n).map(|_| g.bf16()).collect();
    let b: Vec<u16> = (0..n).map(|_| g.bf16()).collect();
    let batch = match op.as_str() {
        "bf16_mac" => OpBatch::Bf16Mac {
            acc: &x,
            a: &a,
            b: &b,
        },
        "fp32_add" => OpBatch::Fp32Add { x: &x, y: &y },
        "fp32_mul" => OpBatch::Fp32Mul { x: &x, y: &y },
        "bf16_mul" => OpBatch::Bf16Mul { a: &a, b: &b },
        other => panic!("unsupported op {other:?} (bf16_mac, fp32_add, fp32_mul, bf16_mul)"),
    };
    let outputs = zkattest_core::arith::evaluate(&batch).expect("evaluate");
    // Warm the cached setup (the bench does the same through `layout`).
    let _ = zkattest_core::arith::layout(&batch).expect("layout");
    for _ in 0..reps {
        let (c0, t0) = (cpu_seconds(), Instant::now());
        let proof = prove_ops(&batch).expect("prove");
        let (prove_s, prove_cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
        // The fastest of `verify_reps` runs (verification is short: noise dominates).
        let (mut verify_s, mut verify_cpu) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..verify_reps {
            let (c1, t1) = (cpu_seconds(), Instant::now());
            verify_ops(&batch, &outputs, &proof).expect("verify");
            verify_s = verify_s.min(t1.elapsed().as_secs_f64());
            verify_cpu = verify_cpu.min(cpu_seconds() - c1);
        }
        println!(
            "{op} 2^{log_n}: prove {prove_s:7.3} s (cpu {prove_cpu:7.2} s, {:8.0} ops/s wall)  \
             verify {:6.1} ms (cpu {:6.1} ms)  proof {} B",
            n as f64 / prove_s,
            verify_s * 1e3,
            verify_cpu * 1e3,
            proof.len()
        );
    }
}

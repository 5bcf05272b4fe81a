//! Statement-level tests: full proofs (each ~1-3 s, so few of them; the chip tests
//! cover the constraint-level cases).

use super::statement::{prove_claim, prove_tampered};
use super::*;
use crate::chips::testing::Sm64;
use crate::error::Error;

fn is_rejected<T>(r: &crate::Result<T>) -> bool {
    matches!(
        r,
        Err(Error::Verification(_)) | Err(Error::Malformed { .. })
    )
}

struct MacBatch {
    acc: Vec<u32>,
    a: Vec<u16>,
    b: Vec<u16>,
}

impl MacBatch {
    fn sample(seed: u64, n: usize) -> Self {
        let mut rng = Sm64(seed);
        let (mut acc, mut a, mut b) = (vec![], vec![], vec![]);
        while acc.len() < n {
            let (x, p, q) = (rng.fp32(), rng.bf16(), rng.bf16());
            let op = crate::chips::bf16_mac::MacOp { acc: x, a: p, b: q };
            if crate::chips::bf16_mac::mac_provable(&op) {
                acc.push(x);
                a.push(p);
                b.push(q);
            }
        }
        Self { acc, a, b }
    }

    fn batch(&self) -> OpBatch<'_> {
        OpBatch::Bf16Mac {
            acc: &self.acc,
            a: &self.a,
            b: &self.b,
        }
    }
}

#[test]
fn mac_batch_proves_verifies_and_binds_results() {
    let m = MacBatch::sample(1, 45); // not a power of two: padded
    let batch = m.batch();
    let out = evaluate(&batch).unwrap();
    let proof = prove_ops(&batch).unwrap();
    verify_ops(&batch, &out, &proof).unwrap();
    // One result off by one ulp, or with a flipped sign: the proof does not show it.
    for (i, delta) in [(0, 1u32), (44, 0x8000_0000)] {
        let mut bad = out.clone();
        bad[i] ^= delta;
        assert!(is_rejected(&verify_ops(&batch, &bad, &proof)));
    }
    // A changed input, too.
    let mut acc = m.acc.clone();
    acc[3] ^= 1;
    let other = OpBatch::Bf16Mac {
        acc: &acc,
        a: &m.a,
        b: &m.b,
    };
    assert!(is_rejected(&verify_ops(&other, &out, &proof)));
    // Flipped proof bytes.
    for pos in [10, proof.len() / 3, proof.len() - 5] {
        let mut p = proof.clone();
        p[pos] ^= 0x20;
        assert!(verify_ops(&batch, &out, &p).is_err());
    }
}

#[test]
fn false_claim_cannot_be_proved() {
    // The prover's public columns claim a result one ulp off: proving fails or the
    // proof does not verify against the claim.
    let m = MacBatch::sample(2, 8);
    let batch = m.batch();
    let mut bad = evaluate(&batch).unwrap();
    bad[5] = bad[5].wrapping_add(1);
    match prove_claim(&batch, &bad) {
        Err(_) => {}
        Ok(proof) => assert!(is_rejected(&verify_ops(&batch, &bad, &proof))),
    }
}

#[test]
fn forged_witness_cannot_be_proved() {
    // A MAC row whose witness consistently proves a result one ulp off (the forged
    // rounding is caught by the ROUND lookup), with the public result claiming it.
    use crate::chips::bf16_mac::{fill_mac_row, MacOp};
    use crate::chips::fptables::FpTableCounter;
    let m = MacBatch::sample(4, 8);
    let batch = m.batch();
    let mut bad = evaluate(&batch).unwrap();
    let i = 3;
    bad[i] = bad[i].wrapping_add(1);
    let op = MacOp {
        acc: m.acc[i],
        a: m.a[i],
        b: m.b[i],
    };
    let result = prove_tampered(&batch, &bad, |traces| {
        let w = traces[0].width;
        let row = &mut traces[0].values[i * w..(i + 1) * w];
        fill_mac_row(
            row,
            &op,
            Some((op.acc, bad[i], false)),
            &mut FpTableCounter::default(),
        )
        .unwrap();
    });
    match result {
        Err(_) => {}
        Ok(proof) => assert!(is_rejected(&verify_ops(&batch, &bad, &proof))),
    }
}

#[test]
fn bad_inputs_are_invalid_input() {
    let inv = |r: crate::Result<Vec<u8>>| matches!(r, Err(Error::InvalidInput(_)));
    let mac = |acc: &[u32], a: &[u16], b: &[u16]| prove_ops(&OpBatch::Bf16Mac { acc, a, b });
    assert!(inv(mac(&[], &[], &[])));
    assert!(inv(mac(&[0, 0], &[0], &[0, 0])));
    assert!(inv(mac(&[0x7FC0_0000], &[0], &[0])));
    assert!(inv(mac(&[0], &[0x7F80], &[0])));
    let batch = OpBatch::Bf16Mac {
        acc: &[0],
        a: &[0],
        b: &[0],
    };
    assert!(matches!(
        verify_ops(&batch, &[0, 0], b"x"),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        verify_ops(&batch, &[0], b"x"),
        Err(Error::Malformed { .. })
    ));
    assert!(OpKind::from_name("fp32_nope").is_err());
    assert_eq!(OpKind::from_name("bf16_mac").unwrap(), OpKind::Bf16Mac);
}

#[test]
fn mac_layout_cells_per_op() {
    let m = MacBatch::sample(3, 8);
    let lay = layout(&m.batch()).unwrap();
    let mac = &lay.airs[0];
    assert_eq!(mac.name, "bf16_mac");
    let cells = mac.main_cols + mac.aux_cols;
    eprintln!("bf16_mac layout: {lay:?}; cells per op {cells}");
    assert!(cells <= 90, "{cells} cells per op");
}

/// Timing probe: `ZKA_LOG_N=16 cargo test --release -p zkattest-core -- --ignored
/// arith::tests::time_mac --nocapture`.
#[test]
#[ignore]
fn time_mac() {
    let log: usize = std::env::var("ZKA_LOG_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let m = MacBatch::sample(5, 1 << log);
    let batch = m.batch();
    let out = evaluate(&batch).unwrap();
    let _ = layout(&batch).unwrap(); // warm the setup cache
    let t = std::time::Instant::now();
    let plan = super::plan::Plan::new(&batch, &out).unwrap();
    let mut counter = crate::chips::fptables::FpTableCounter::default();
    let _ =
        crate::chips::bf16_mac::generate_mac_trace(&plan.mac, log.max(3), &mut counter).unwrap();
    eprintln!("trace gen {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let (sa, sb): (Vec<u16>, Vec<u16>) = (vec![1; 8], vec![2; 8]);
    let sp = crate::smoke::prove(&sa, &sb).unwrap();
    eprintln!(
        "smoke (2^16 range table) prove {:?} ({} bytes)",
        t.elapsed(),
        sp.len()
    );
    let t = std::time::Instant::now();
    let proof = prove_ops(&batch).unwrap();
    let tp = t.elapsed();
    let t = std::time::Instant::now();
    verify_ops(&batch, &out, &proof).unwrap();
    let tv = t.elapsed();
    eprintln!(
        "log_n {log}: prove {tp:?} ({:.0} ops/s), verify {tv:?}, proof {} bytes",
        (1 << log) as f64 / tp.as_secs_f64(),
        proof.len()
    );
}

#[test]
fn mac_with_rounded_or_overflowing_products_is_routed() {
    // Products FP32 rounds (below 2^-149 bits, subnormal) or overflows go through
    // Bf16Mul + Fp32Add; an infinite product is the result.
    let acc = [
        0x0000_0003,
        0x8000_0001,
        0x3F80_0000,
        0x0080_0000,
        0xC000_0000,
        0,
    ];
    let a = [0x0001, 0x0003, 0x7F00, 0x1F81, 0xFF00, 0x0101];
    let b = [0x0001, 0x8003, 0x7F00, 0x1F81, 0x7F00, 0x0101];
    let batch = OpBatch::Bf16Mac {
        acc: &acc,
        a: &a,
        b: &b,
    };
    let plan = super::plan::Plan::new(&batch, &evaluate(&batch).unwrap()).unwrap();
    assert_eq!((plan.mac.len(), plan.mul.len(), plan.add.len()), (1, 5, 3));
    let out = evaluate(&batch).unwrap();
    assert_eq!(out[2], 0x7F80_0000);
    assert_eq!(out[4], 0xFF80_0000);
    let proof = prove_ops(&batch).unwrap();
    verify_ops(&batch, &out, &proof).unwrap();
    for i in [0, 2] {
        let mut bad = out.clone();
        bad[i] ^= 1;
        assert!(verify_ops(&batch, &bad, &proof).is_err(), "{i}");
    }
    // bf16 products on their own
    let mul = OpBatch::Bf16Mul { a: &a, b: &b };
    let out = evaluate(&mul).unwrap();
    let proof = prove_ops(&mul).unwrap();
    verify_ops(&mul, &out, &proof).unwrap();
    let mut bad = out.clone();
    bad[0] ^= 1;
    assert!(is_rejected(&verify_ops(&mul, &bad, &proof)));
}

#[test]
fn add_and_sub_batches_prove_and_verify() {
    let mut rng = Sm64(17);
    let x: Vec<u32> = (0..20).map(|_| rng.fp32()).collect();
    let mut y: Vec<u32> = (0..20).map(|_| rng.fp32()).collect();
    y[0] = x[0] ^ 0x8000_0000; // exact cancellation
    y[1] = x[1] ^ 0x8000_0001; // deep cancellation (reverse mode)
    y[2] = 0x7F7F_FFFF; // overflow for a large x
    let add = OpBatch::Fp32Add { x: &x, y: &y };
    let sub = OpBatch::Fp32Sub { x: &x, y: &y };
    for batch in [add, sub] {
        let out = evaluate(&batch).unwrap();
        let proof = prove_ops(&batch).unwrap();
        verify_ops(&batch, &out, &proof).unwrap();
        let mut bad = out.clone();
        bad[1] = bad[1].wrapping_add(1);
        assert!(is_rejected(&verify_ops(&batch, &bad, &proof)));
    }
    // A proof of x + y is not a proof of x - y.
    let out = evaluate(&add).unwrap();
    let proof = prove_ops(&add).unwrap();
    assert!(verify_ops(&sub, &out, &proof).is_err());
}

#[test]
fn to_bf16_batch_proves_and_verifies() {
    let x = [
        0x3F80_8000,
        0x3F81_8000,
        0x7F7F_FFFF,
        0x0000_8001,
        0xBF80_7FFF,
        0,
    ];
    let batch = OpBatch::Fp32ToBf16 { x: &x };
    let out = evaluate(&batch).unwrap();
    assert_eq!(out, [0x3F80, 0x3F82, 0x7F80, 0x0001, 0xBF80, 0]);
    let proof = prove_ops(&batch).unwrap();
    verify_ops(&batch, &out, &proof).unwrap();
    let mut bad = out.clone();
    bad[0] += 1; // the tie rounded away from even
    assert!(is_rejected(&verify_ops(&batch, &bad, &proof)));
}

#[test]
fn fp32_mul_batch_proves_and_verifies() {
    let mut rng = Sm64(23);
    let mut x: Vec<u32> = (0..24).map(|_| rng.fp32()).collect();
    let mut y: Vec<u32> = (0..24).map(|_| rng.fp32()).collect();
    (x[0], y[0]) = (0x0000_0003, 0x3F00_0000); // tie on the subnormal grid
    (x[1], y[1]) = (0x7F7F_FFFF, 0x3F80_0001); // overflow by rounding
    (x[2], y[2]) = (0x0000_0001, 0x4B00_0000); // subnormal factor, normal result
    let batch = OpBatch::Fp32Mul { x: &x, y: &y };
    let out = evaluate(&batch).unwrap();
    assert_eq!(&out[..3], &[0x0000_0002, 0x7F80_0000, 0x0080_0000]);
    let proof = prove_ops(&batch).unwrap();
    verify_ops(&batch, &out, &proof).unwrap();
    for i in [0, 1, 2, 9] {
        let mut bad = out.clone();
        bad[i] ^= 1;
        assert!(is_rejected(&verify_ops(&batch, &bad, &proof)), "{i}");
    }
}

#[test]
fn unary_batches_prove_and_verify() {
    use crate::chips::fptables::unary::UnaryFn;
    let x: Vec<u16> = vec![
        0x0000, 0x3F80, 0xBF80, 0x4120, 0xC120, 0x42B2, 0x0001, 0x8001,
    ];
    for f in UnaryFn::ALL {
        let batch = OpBatch::Bf16Unary { f, x: &x };
        let out = evaluate(&batch).unwrap();
        let proof = prove_ops(&batch).unwrap();
        verify_ops(&batch, &out, &proof).unwrap();
        let mut bad = out.clone();
        bad[1] += 1;
        assert!(is_rejected(&verify_ops(&batch, &bad, &proof)));
        // a proof of gelu is no proof of exp
        let other = if f == UnaryFn::Gelu {
            UnaryFn::Exp
        } else {
            UnaryFn::Gelu
        };
        let ob = OpBatch::Bf16Unary { f: other, x: &x };
        assert!(verify_ops(&ob, &out, &proof).is_err());
    }
}

#[test]
fn fp32_div_and_sqrt_batches_prove_and_verify() {
    let mut rng = Sm64(31);
    let mut x: Vec<u32> = Vec::new();
    let mut y: Vec<u32> = Vec::new();
    while x.len() < 20 {
        let (p, q) = (rng.fp32(), rng.fp32());
        if crate::chips::fp32_div::fp32_div_provable(&crate::chips::fp32_div::DivOp { x: p, y: q })
        {
            x.push(p);
            y.push(q);
        }
    }
    (x[0], y[0]) = (0x0000_0003, 0x4000_0000); // tie on the subnormal grid: up to 2
    (x[1], y[1]) = (0x8000_0000, 0x4040_0000); // -0 / 3 = -0
    (x[2], y[2]) = (0x3F80_0000, 0x4040_0000); // 1 / 3
    let batch = OpBatch::Fp32Div { x: &x, y: &y };
    let out = evaluate(&batch).unwrap();
    assert_eq!(&out[..3], &[0x0000_0002, 0x8000_0000, 0x3EAA_AAAB]);
    let proof = prove_ops(&batch).unwrap();
    verify_ops(&batch, &out, &proof).unwrap();
    for (i, delta) in [(0, 1u32), (1, 0x8000_0000), (2, 1), (9, 0x0080_0000)] {
        let mut bad = out.clone();
        bad[i] ^= delta;
        assert!(is_rejected(&verify_ops(&batch, &bad, &proof)), "{i}");
    }
    // a proof of x / y is no proof of x * y
    let mul = OpBatch::Fp32Mul { x: &x, y: &y };
    assert!(verify_ops(&mul, &out, &proof).is_err());

    let xs: Vec<u32> = vec![
        0x4080_0000,
        0x4000_0000,
        0x8000_0000,
        0,
        0x0000_0001,
        0x7F7F_FFFF,
        0x3F7F_FFFF,
    ];
    let batch = OpBatch::Fp32Sqrt { x: &xs };
    let out = evaluate(&batch).unwrap();
    assert_eq!(&out[..3], &[0x4000_0000, 0x3FB5_04F3, 0x8000_0000]);
    let proof = prove_ops(&batch).unwrap();
    verify_ops(&batch, &out, &proof).unwrap();
    for (i, delta) in [(0, 1u32), (1, 1), (2, 0x8000_0000), (4, 1)] {
        let mut bad = out.clone();
        bad[i] ^= delta;
        assert!(is_rejected(&verify_ops(&batch, &bad, &proof)), "{i}");
    }
}

#[test]
fn fp32_div_and_sqrt_reject_non_finite_results() {
    let inv = |b: OpBatch<'_>| matches!(prove_ops(&b), Err(Error::InvalidInput(_)));
    let one = 0x3F80_0000u32;
    assert!(inv(OpBatch::Fp32Div { x: &[one], y: &[0] })); // 1 / 0
    assert!(inv(OpBatch::Fp32Div {
        x: &[0],
        y: &[0x8000_0000]
    })); // 0 / -0
    assert!(inv(OpBatch::Fp32Div {
        x: &[0x7F7F_FFFF],
        y: &[0x3F00_0000]
    })); // overflow
    assert!(inv(OpBatch::Fp32Div {
        x: &[0x7F80_0000],
        y: &[one]
    })); // inf input
    assert!(inv(OpBatch::Fp32Div {
        x: &[one, one],
        y: &[one]
    })); // lengths
    assert!(inv(OpBatch::Fp32Sqrt { x: &[0xBF80_0000] })); // sqrt(-1)
    assert!(inv(OpBatch::Fp32Sqrt { x: &[0x7FC0_0000] })); // NaN
                                                           // a prover claiming the (non-finite) result of an unprovable op has no batch to
                                                           // put it in; a finite stand-in is rejected
    let x = [0x7F7F_FFFFu32];
    let y = [0x3F7F_FFFFu32]; // rounds up to infinity
    let b = OpBatch::Fp32Div { x: &x, y: &y };
    assert!(evaluate(&b).is_err());
    assert_eq!(OpKind::from_name("fp32_div").unwrap(), OpKind::Fp32Div);
    assert_eq!(OpKind::from_name("fp32_sqrt").unwrap(), OpKind::Fp32Sqrt);
}

#[test]
fn fp32_div_forged_witness_cannot_be_proved() {
    // A division row whose witness proves a result one ulp off (MROUND catches it).
    use crate::chips::fp32_div::DivOp;
    let x = [0x3F80_0000u32, 0x40C0_0000, 0x4120_0000];
    let y = [0x4040_0000u32, 0x4040_0000, 0x40E0_0000];
    let batch = OpBatch::Fp32Div { x: &x, y: &y };
    let mut bad = evaluate(&batch).unwrap();
    let i = 2;
    bad[i] = bad[i].wrapping_add(1);
    let op = DivOp { x: x[i], y: y[i] };
    let result = prove_tampered(&batch, &bad, |traces| {
        let w = traces[6].width;
        let row = &mut traces[6].values[i * w..(i + 1) * w];
        crate::chips::fp32_div::fill_fp32_div_row_for_tests(row, &op, bad[i]);
    });
    match result {
        Err(_) => {}
        Ok(proof) => assert!(is_rejected(&verify_ops(&batch, &bad, &proof))),
    }
}

//! Hardware == Soft on every operation and on whole updates; the traced operation
//! sequences; the scalar recipe; bad input.

use super::*;
use proptest::prelude::*;

/// Signed zeros, subnormal and normal extremes, one, infinities, NaNs.
const SPECIALS: [u32; 16] = [
    0x0000_0000,
    0x8000_0000,
    0x0000_0001,
    0x8000_0001,
    0x007F_FFFF,
    0x0080_0000,
    0x3F80_0000,
    0xBF80_0000,
    0x3F7F_FFFF,
    0x7F7F_FFFF,
    0xFF7F_FFFF,
    0x7F80_0000,
    0xFF80_0000,
    0x7FC0_0000,
    0xFFC0_0001,
    0x7F80_0001,
];

/// FP32 bit patterns: uniform, special, subnormal, huge, tiny normal, near one.
fn fp32() -> impl Strategy<Value = u32> {
    let sign = any::<bool>().prop_map(|s| if s { 0x8000_0000u32 } else { 0 });
    prop_oneof![
        3 => any::<u32>(),
        1 => proptest::sample::select(&SPECIALS[..]),
        2 => (sign.clone(), 0u32..0x0080_0000).prop_map(|(s, f)| s | f),
        2 => (sign.clone(), 0x7E00_0000u32..0x7F80_0000).prop_map(|(s, f)| s | f),
        2 => (sign.clone(), 0x0080_0000u32..0x0200_0000).prop_map(|(s, f)| s | f),
        3 => (sign, 0x3A00_0000u32..0x4100_0000).prop_map(|(s, f)| s | f),
    ]
}

fn same(op: &str, x: u32, y: u32) -> core::result::Result<(), TestCaseError> {
    prop_assert_eq!(
        x,
        y,
        "{} disagrees: hardware {:#010x}, soft {:#010x}",
        op,
        x,
        y
    );
    Ok(())
}

fn adamw_scalars() -> impl Strategy<Value = AdamWScalars> {
    (
        (fp32(), fp32(), fp32(), fp32(), fp32()),
        (fp32(), fp32(), fp32(), fp32()),
        (any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |((decay, lw, lc, b2, omb2), (bc, eps, nss, _), (wd, small, max))| AdamWScalars {
                step: 1,
                lr_f64: 0,
                use_weight_decay: wd,
                decay,
                lerp_weight: lw,
                lerp_small: small,
                lerp_coeff: lc,
                beta2: b2,
                one_minus_beta2: omb2,
                bias_correction2_sqrt: bc,
                eps,
                neg_step_size: nss,
                maximize: max,
            },
        )
}

fn sgd_scalars() -> impl Strategy<Value = SgdScalars> {
    (
        (
            fp32(),
            fp32(),
            fp32(),
            prop_oneof![fp32(), Just(0x3F80_0000u32)],
        ),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(|((nlr, wd, mom, omd), (uwd, umom, nest, max))| SgdScalars {
            lr_f64: 0,
            neg_lr: nlr,
            use_weight_decay: uwd,
            weight_decay: wd,
            use_momentum: umom,
            momentum: mom,
            one_minus_dampening: omd,
            nesterov: nest,
            maximize: max,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn hardware_matches_soft_per_op(a in fp32(), b in fp32()) {
        prop_assert!(Hardware::environment_is_ieee());
        let (mut h, mut s) = (Hardware, Soft);
        same("add", h.add(a, b), s.add(a, b))?;
        same("sub", h.sub(a, b), s.sub(a, b))?;
        same("mul", h.mul(a, b), s.mul(a, b))?;
        same("div", h.div(a, b), s.div(a, b))?;
        same("sqrt", h.sqrt(a), s.sqrt(a))?;
    }

    #[test]
    fn adamw_hardware_matches_soft(
        sc in adamw_scalars(), p in fp32(), g in fp32(), m in fp32(), v in fp32()
    ) {
        let hw = adamw_element(&mut Hardware, &sc, p, g, m, v);
        let sw = adamw_element(&mut Soft, &sc, p, g, m, v);
        prop_assert_eq!(hw, sw);
    }

    #[test]
    fn sgd_hardware_matches_soft(
        sc in sgd_scalars(), p in fp32(), g in fp32(), b in fp32(), init in any::<bool>()
    ) {
        let hw = sgd_element(&mut Hardware, &sc, p, g, b, init);
        let sw = sgd_element(&mut Soft, &sc, p, g, b, init);
        prop_assert_eq!(hw, sw);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whole realistic steps from the recipe: parallel native == sequential reference.
    #[test]
    fn adamw_fast_matches_reference(
        seed in prop::collection::vec(fp32(), 4 * 64),
        n in prop_oneof![0usize..70, Just(PAR_CHUNK + 3), Just(3 * PAR_CHUNK - 1)],
        beta1 in 0.0f64..0.999, beta2 in 0.0f64..0.9999, wd in 0.0f64..0.5,
        lr in 0.0f64..1.0, step in 1u64..100_000, eps in prop_oneof![Just(1e-8), 0.0f64..1e-3],
        maximize in any::<bool>(),
    ) {
        let hyper = AdamWHyper { beta1, beta2, eps, weight_decay: wd, maximize };
        let sc = AdamWScalars::new(&hyper, lr, step).unwrap();
        let col = |k: usize| -> Vec<f32> {
            (0..n).map(|i| f32::from_bits(seed[(i * 7 + k * 64 + i / 64) % seed.len()])).collect()
        };
        let (g, mut p1, mut m1, mut v1) = (col(0), col(1), col(2), col(3));
        let (mut p2, mut m2, mut v2) = (p1.clone(), m1.clone(), v1.clone());
        adamw_update_fast(&sc, &mut p1, &g, &mut m1, &mut v1).unwrap();
        adamw_update(&mut Soft, &sc, &mut p2, &g, &mut m2, &mut v2).unwrap();
        let bits = |x: &[f32]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&p1), bits(&p2));
        prop_assert_eq!(bits(&m1), bits(&m2));
        prop_assert_eq!(bits(&v1), bits(&v2));
    }

    #[test]
    fn sgd_fast_matches_reference(
        seed in prop::collection::vec(fp32(), 3 * 64),
        n in prop_oneof![0usize..70, Just(PAR_CHUNK + 3), Just(3 * PAR_CHUNK - 1)],
        momentum in prop_oneof![Just(0.0f64), 0.0f64..1.0], dampening in prop_oneof![Just(0.0f64), -1.0f64..1.0],
        wd in prop_oneof![Just(0.0f64), 0.0f64..0.5], lr in 0.0f64..1.0,
        nesterov in any::<bool>(), maximize in any::<bool>(), init in any::<bool>(),
    ) {
        let nesterov = nesterov && momentum > 0.0;
        let dampening = if nesterov { 0.0 } else { dampening };
        let hyper = SgdHyper { momentum, dampening, weight_decay: wd, nesterov, maximize };
        let sc = SgdScalars::new(&hyper, lr).unwrap();
        let col = |k: usize| -> Vec<f32> {
            (0..n).map(|i| f32::from_bits(seed[(i * 5 + k * 64 + i / 64) % seed.len()])).collect()
        };
        let (g, mut p1, mut b1) = (col(0), col(1), col(2));
        let (mut p2, mut b2) = (p1.clone(), b1.clone());
        let (buf1, buf2) = if sc.use_momentum {
            (Some(&mut b1[..]), Some(&mut b2[..]))
        } else {
            (None, None)
        };
        sgd_update_fast(&sc, &mut p1, &g, buf1, init).unwrap();
        sgd_update(&mut Soft, &sc, &mut p2, &g, buf2, init).unwrap();
        let bits = |x: &[f32]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&p1), bits(&p2));
        prop_assert_eq!(bits(&b1), bits(&b2));
    }
}

fn f(x: f32) -> u32 {
    x.to_bits()
}

#[test]
fn adamw_trace_is_the_documented_sequence() {
    let hyper = AdamWHyper {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
        maximize: false,
    };
    let sc = AdamWScalars::new(&hyper, 1e-3, 1).unwrap();
    let mut t = Tracer::new(Soft);
    let out = adamw_element(&mut t, &sc, f(0.5), f(0.25), f(0.0), f(0.0));
    let kinds: Vec<_> = t.ops.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, ADAMW_OPS);
    // The last op writes the parameter; ops 4 and 8 write the moments.
    assert_eq!(t.ops[13].out, out.0);
    assert_eq!(t.ops[3].out, out.1);
    assert_eq!(t.ops[7].out, out.2);
    // Step 1 from zero moments moves the parameter by lr * g/|g| (up to eps): 0.5*(1-1e-5) - 1e-3.
    assert!((f32::from_bits(out.0) - (0.5 * (1.0 - 1e-5) - 1e-3)).abs() < 1e-6);

    let no_wd = AdamWHyper {
        weight_decay: 0.0,
        beta1: 0.3,
        ..hyper
    };
    let sc = AdamWScalars::new(&no_wd, 1e-3, 2).unwrap();
    assert!(!sc.lerp_small);
    let mut t = Tracer::new(Soft);
    adamw_element(&mut t, &sc, f(0.5), f(0.25), f(0.1), f(0.1));
    assert_eq!(t.ops.len(), 13);
    assert_eq!(t.ops[2].kind, OpKind::Sub);
}

#[test]
fn sgd_trace_counts() {
    let count = |hyper: SgdHyper, init: bool| {
        let sc = SgdScalars::new(&hyper, 0.1).unwrap();
        let mut t = Tracer::new(Soft);
        sgd_element(&mut t, &sc, f(1.0), f(0.5), f(0.25), init);
        t.ops.len()
    };
    let plain = SgdHyper {
        momentum: 0.0,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
        maximize: false,
    };
    assert_eq!(count(plain, false), 2);
    assert_eq!(
        count(
            SgdHyper {
                weight_decay: 0.1,
                ..plain
            },
            false
        ),
        4
    );
    let mom = SgdHyper {
        momentum: 0.9,
        ..plain
    };
    assert_eq!(count(mom, true), 2);
    assert_eq!(count(mom, false), 4);
    assert_eq!(
        count(
            SgdHyper {
                dampening: 0.5,
                ..mom
            },
            false
        ),
        5
    );
    let nest = SgdHyper {
        nesterov: true,
        ..mom
    };
    assert_eq!(count(nest, true), 4);
    assert_eq!(
        count(
            SgdHyper {
                weight_decay: 0.1,
                ..nest
            },
            false
        ),
        8
    );
}

#[test]
fn sgd_momentum_matches_hand_computation() {
    let hyper = SgdHyper {
        momentum: 0.5,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
        maximize: false,
    };
    let sc = SgdScalars::new(&hyper, 0.25).unwrap();
    let (mut p, mut b, g) = (vec![1.0f32], vec![7.0f32], vec![2.0f32]);
    sgd_update(&mut Soft, &sc, &mut p, &g, Some(&mut b), true).unwrap();
    assert_eq!((p[0], b[0]), (0.5, 2.0)); // b = g; p = 1 - 0.25 * 2
    sgd_update(&mut Soft, &sc, &mut p, &g, Some(&mut b), false).unwrap();
    assert_eq!((p[0], b[0]), (-0.25, 3.0)); // b = 0.5 * 2 + 2; p = 0.5 - 0.25 * 3
}

#[test]
fn powi_is_square_and_multiply() {
    assert_eq!(powi_f64(0.5, 0), 1.0);
    assert_eq!(powi_f64(0.5, 1), 0.5);
    assert_eq!(powi_f64(0.5, 10), 1.0 / 1024.0);
    assert_eq!(powi_f64(0.9, 3), 0.9 * 0.9 * 0.9); // (1*1*0.9)^2 * 0.9
    let mut r = 1.0;
    for _ in 0..13 {
        r *= 0.999;
    }
    assert!((powi_f64(0.999, 13) - r).abs() < 1e-15);
    assert_eq!(powi_f64(0.999, u64::MAX), 0.0);
}

#[test]
fn adamw_scalars_match_torch_formulas() {
    let hyper = AdamWHyper {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
        maximize: false,
    };
    let sc = AdamWScalars::new(&hyper, 1e-3, 1).unwrap();
    assert_eq!(sc.decay, f((1.0 - 1e-3 * 0.01) as f32));
    assert_eq!(sc.lerp_weight, f((1.0f64 - 0.9) as f32));
    assert!(sc.lerp_small);
    assert_eq!(sc.beta2, f(0.999));
    assert_eq!(sc.one_minus_beta2, f((1.0f64 - 0.999) as f32));
    assert_eq!(sc.bias_correction2_sqrt, f((1.0f64 - 0.999).sqrt() as f32));
    assert_eq!(sc.neg_step_size, f((-(1e-3 / (1.0f64 - 0.9))) as f32));
    assert_eq!(sc.eps, f(1e-8));
    assert_eq!(sc.lr_f64, 1e-3f64.to_bits());
}

#[test]
fn scalars_reject_bad_hyperparameters() {
    let ok = AdamWHyper {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
        maximize: false,
    };
    for (hyper, lr, step) in [
        (ok, -1e-3, 1),
        (ok, f64::NAN, 1),
        (ok, f64::INFINITY, 1),
        (ok, 1e-3, 0),
        (AdamWHyper { beta1: 1.0, ..ok }, 1e-3, 1),
        (AdamWHyper { beta2: -0.1, ..ok }, 1e-3, 1),
        (AdamWHyper { eps: -1.0, ..ok }, 1e-3, 1),
        (
            AdamWHyper {
                weight_decay: f64::NAN,
                ..ok
            },
            1e-3,
            1,
        ),
        (ok, 1e300, 1),
        (AdamWHyper { eps: 1e300, ..ok }, 1e-3, 1),
    ] {
        let err = AdamWScalars::new(&hyper, lr, step).unwrap_err();
        assert!(matches!(err, crate::Error::InvalidInput(_)), "{err}");
    }
    let ok = SgdHyper {
        momentum: 0.9,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: true,
        maximize: false,
    };
    for (hyper, lr) in [
        (ok, -0.1),
        (
            SgdHyper {
                momentum: -0.1,
                nesterov: false,
                ..ok
            },
            0.1,
        ),
        (
            SgdHyper {
                momentum: 0.0,
                ..ok
            },
            0.1,
        ),
        (
            SgdHyper {
                dampening: 0.1,
                ..ok
            },
            0.1,
        ),
        (
            SgdHyper {
                weight_decay: -1.0,
                ..ok
            },
            0.1,
        ),
        (
            SgdHyper {
                dampening: f64::NAN,
                nesterov: false,
                ..ok
            },
            0.1,
        ),
    ] {
        assert!(SgdScalars::new(&hyper, lr).is_err());
    }
}

#[test]
fn updates_reject_mismatched_lengths() {
    let hyper = AdamWHyper {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        maximize: false,
    };
    let sc = AdamWScalars::new(&hyper, 1e-3, 1).unwrap();
    let (mut p, g, mut m, mut v) = (
        vec![0.0f32; 4],
        vec![0.0f32; 3],
        vec![0.0f32; 4],
        vec![0.0f32; 4],
    );
    let err = adamw_update_fast(&sc, &mut p, &g, &mut m, &mut v).unwrap_err();
    assert!(err.to_string().contains("grad has 3 elements"), "{err}");
    let g = vec![0.0f32; 4];
    let mut short = vec![0.0f32; 5];
    assert!(adamw_update(&mut Soft, &sc, &mut p, &g, &mut m, &mut short).is_err());

    let mom = SgdHyper {
        momentum: 0.9,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
        maximize: false,
    };
    let sc = SgdScalars::new(&mom, 0.1).unwrap();
    assert!(sgd_update_fast(&sc, &mut p, &g, None, false).is_err());
    assert!(sgd_update_fast(&sc, &mut p, &g, Some(&mut short), false).is_err());
    let plain = SgdScalars::new(
        &SgdHyper {
            momentum: 0.0,
            ..mom
        },
        0.1,
    )
    .unwrap();
    assert!(sgd_update_fast(&plain, &mut p, &g, Some(&mut m), false).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// The integer conversion equals the hardware cast (NaN canonical).
    #[test]
    fn f64_to_f32_matches_cast(bits in prop_oneof![
        any::<u64>(),
        (0u64..1 << 52),                                     // binary64 subnormals
        (0x3690_0000_0000_0000u64..0x3810_0000_0000_0000),   // around FP32's subnormals
        (0x47E0_0000_0000_0000u64..0x4800_0000_0000_0000),   // around FP32's overflow
    ], neg in any::<bool>()) {
        let x = f64::from_bits(bits | if neg { 1 << 63 } else { 0 });
        let want = if x.is_nan() { zkattest_softfloat::CANONICAL_NAN } else { (x as f32).to_bits() };
        prop_assert_eq!(f64_to_f32_bits(x), want);
    }
}

#[test]
fn f64_to_f32_edges() {
    // Halfway between 1 and the next FP32: ties to even (down); just above: up.
    let half = 1.0 + f64::powi(2.0, -24);
    assert_eq!(f64_to_f32_bits(half), 0x3F80_0000);
    assert_eq!(f64_to_f32_bits(half + f64::powi(2.0, -50)), 0x3F80_0001);
    assert_eq!(f64_to_f32_bits(1e-40), (1e-40f64 as f32).to_bits());
    assert_eq!(f64_to_f32_bits(f64::MAX), 0x7F80_0000);
    assert_eq!(f64_to_f32_bits(-0.0), 0x8000_0000);
    assert_eq!(f64_to_f32_bits(f64::powi(2.0, -151)), 0); // below half the least subnormal
}

use zkattest_softfloat::{bf16_to_f32, unpack};

use super::content::*;
use super::trace::{small_table_rows, u16_table_rows};
use super::*;

fn f32_value(bits: u32) -> f64 {
    f32::from_bits(bits) as f64
}

#[test]
fn fp32_decode_matches_softfloat_fields() {
    for h in 0..1u32 << 16 {
        let d = fp32_hi(h);
        let (s, e, frac) = unpack(h << 16);
        assert_eq!(d.s, s as u32);
        assert_eq!(d.e, e.max(1));
        assert_eq!(d.mh, ((e != 0) as u32) << 7 | frac >> 16);
        assert_eq!(d.ovf, (e == 255) as u32);
        let expect_cz = match (e, frac >> 16) {
            (0, 0) => CZ_ZERO,
            (e, 0) if e >= 2 => CZ_POW2,
            _ => CZ_GENERIC,
        };
        assert_eq!(d.cz, expect_cz, "{h:#x}");
        if e != 255 {
            // value of (h, lo = 0) = mh * 2^16 * 2^(e_clamped - 150)
            let v = (d.mh as f64) * 2f64.powi(16 + d.e as i32 - 150);
            assert_eq!(v, f32_value(h << 16).abs(), "{h:#x}");
        }
    }
}

#[test]
fn bf16_decode_is_exact_and_normalized() {
    for h in 0..1u32 << 16 {
        let x = f32::from_bits(bf16_to_f32(h as u16));
        match bf16_norm(h) {
            None => assert!(!x.is_finite()),
            Some(b) => {
                assert_eq!(b.s, h >> 15);
                if x == 0.0 {
                    assert_eq!((b.sig, b.e), (0, BF16_ZERO_EXP));
                } else {
                    assert!((128..256).contains(&b.sig), "{h:#x}");
                    let v = b.sig as f64 * 2f64.powi(b.e - 134);
                    assert_eq!(v, (x as f64).abs(), "{h:#x}");
                }
            }
        }
    }
}

#[test]
fn variable_range_rows_round_trip() {
    for m in 0..VR_MAX_BITS {
        for v in [0, (1 << m) - 1, (1 << m) / 2] {
            assert_eq!(vr_small_entry(vr_small_row(m, v)), Some((m, v)));
        }
    }
    assert_eq!(vr_small_entry((1 << 16) - 1), None);
}

#[test]
fn shift_entries_split_one_limb() {
    for delta in SHIFT_MIN..=SHIFT_MAX {
        let e = shift_entry(delta).unwrap();
        let k = delta.abs() - GUARD_BITS;
        assert_eq!(e.w, (delta < 0) as u32);
        assert_eq!(e.pw, 1 << e.mr);
        if k <= 0 {
            assert_eq!((e.hi, e.mr, e.f2), (0, 0, 1 << -k));
        } else {
            assert_eq!(e.f2, 1);
            assert_eq!(e.mr as i32 + 16 * e.hi as i32, k.min(24));
        }
    }
    assert!(shift_entry(SHIFT_MIN - 1).is_none() && shift_entry(SHIFT_MAX + 1).is_none());
}

#[test]
fn macq_accepts_exactly_the_exact_products() {
    // A nonzero product ga * gb * 2^(q - 268) (16 significant bits) is exact in FP32
    // iff its last place is >= 2^-149, and finite iff the normalized value is < 2^128.
    for q in -700..600 {
        for f in 0..2u32 {
            let entry = macq_entry(q, f);
            let zero_region = (MACQ_ZERO_MIN..=MACQ_ZERO_MAX).contains(&q);
            let exact = q - 268 >= -149 && q - f as i32 - 126 <= 254 && q <= 508;
            match entry {
                Some(1) => assert!(zero_region && f == 0),
                Some(0) => assert!(exact && !zero_region),
                None => assert!(!(exact || zero_region && f == 0)),
                _ => unreachable!(),
            }
        }
    }
    // Zero-factor sums never overlap sums of two nonzero factors (>= -12).
    const { assert!(MACQ_ZERO_MAX < -12) };
}

#[test]
fn round_table_rules() {
    let generic = |err, pn, par| RoundKey {
        rev: 0,
        j: pn_to_j(pn),
        pn,
        err,
        cz: CZ_GENERIC,
        par,
        isz: 0,
        sz: 0,
        s1: 0,
        s2: 0,
    };
    fn pn_to_j(pn: u32) -> i32 {
        pn.trailing_zeros() as i32 - 3
    }
    // below half an ulp: ok; a tie only to even; above: never
    assert!(round_valid(&generic(3, 8, 1)));
    assert!(round_valid(&generic(-4, 8, 0)));
    assert!(!round_valid(&generic(4, 8, 1)));
    assert!(!round_valid(&generic(5, 8, 0)));
    // power of two: the lower half interval is half as wide
    let pow2 = |err| RoundKey {
        cz: CZ_POW2,
        isz: 1,
        ..generic(err, 16, 0)
    };
    assert!(round_valid(&pow2(8)) && round_valid(&pow2(-4)));
    assert!(!round_valid(&pow2(-5)) && !round_valid(&pow2(9)));
    // reverse mode: exact only
    assert!(round_valid(&RoundKey {
        rev: 1,
        ..generic(0, 4, 1)
    }));
    assert!(!round_valid(&RoundKey {
        rev: 1,
        ..generic(1, 4, 0)
    }));
    // zero: exact, -0 only for -0 + -0
    let zero = |sz, s1, s2| RoundKey {
        rev: 0,
        j: -40,
        pn: 0,
        err: 0,
        cz: CZ_ZERO,
        par: 0,
        isz: 1,
        sz,
        s1,
        s2,
    };
    assert!(round_valid(&zero(1, 1, 1)) && round_valid(&zero(0, 1, 0)));
    assert!(!round_valid(&zero(1, 1, 0)) && !round_valid(&zero(0, 1, 1)));
    assert!(!round_valid(&RoundKey {
        err: 1,
        ..zero(0, 0, 0)
    }));
    assert!(!round_valid(&RoundKey {
        rev: 1,
        ..zero(0, 0, 0)
    }));
}

/// BLAKE3 digests of every table's preprocessed content, checked in: a change of a table
/// (hence of every proof's setup) must be deliberate.
#[test]
fn table_digests_are_pinned() {
    let digest = |rows: &mut dyn Iterator<Item = i64>| {
        let mut h = blake3::Hasher::new();
        for x in rows {
            h.update(&x.to_le_bytes());
        }
        h.finalize().to_hex().to_string()
    };
    let mut got = vec![(
        "table.u16",
        digest(&mut u16_table_rows().iter().flatten().copied()),
    )];
    for t in SmallTable::ALL {
        got.push((
            t.name(),
            digest(&mut small_table_rows(t).iter().flatten().copied()),
        ));
    }
    let pinned = [
        (
            "table.u16",
            "411be2d2ae4722e9605064dfb56fc1014fe8b84fac030b99e105ee7bfb2d4ef3",
        ),
        (
            "table.shift",
            "89c4d758c4d214bf1deecf5b77bb958a4d64e288f6ef905f021e32393adfe93e",
        ),
        (
            "table.macq",
            "765f05efd787062eb4a93d1eb883e8f4a9460c7a59e231252d1cffe533eaabd2",
        ),
        (
            "table.round",
            "c6040a45f60fced3521edb3c2f699db4c6ed2880c7ad1f1f98655e7a6cbd7fb9",
        ),
        (
            "table.mulq",
            "60c3d0458d9c308f414159b9609f2aac84241c2cd3c029aacdb0059ce3cf6aa5",
        ),
        (
            "table.muls",
            "ab1bd85d2ecbf409631e4be4d77f67e84f6e443d98177435d34ebcb3cdf92ea8",
        ),
        (
            "table.mround",
            "aa847692449fa7b7bd79c7ce20cae5776555f27e1898e1d7fb1366b932348ff9",
        ),
    ];
    let got_ref: Vec<(&str, &str)> = got.iter().map(|(n, d)| (*n, d.as_str())).collect();
    assert_eq!(got_ref, pinned, "table content changed");
}

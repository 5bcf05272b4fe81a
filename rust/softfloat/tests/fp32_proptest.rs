//! Property tests of the FP32 operations against the host's IEEE arithmetic.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use zkattest_softfloat::{f32_add, f32_div, f32_mul, f32_sqrt, f32_sub};

/// Cases per operation; each op also gets a deterministic sweep elsewhere.
const CASES: u32 = 250_000;

fn check_binary(
    name: &str,
    op: fn(u32, u32) -> u32,
    hw: fn(f32, f32) -> f32,
    (a, b): (u32, u32),
) -> Result<(), TestCaseError> {
    let got = op(a, b);
    let want = hw(f32::from_bits(a), f32::from_bits(b));
    prop_assert!(
        agrees(got, want),
        "{name}({a:#010x}, {b:#010x}) = {got:#010x}, hardware {:#010x}",
        want.to_bits()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn add_matches_hardware(ab in prop_oneof![3 => binary_pair(), 1 => add_tie_pair()]) {
        check_binary("add", f32_add, |x, y| x + y, ab)?;
    }

    #[test]
    fn sub_matches_hardware(ab in prop_oneof![3 => binary_pair(), 1 => add_tie_pair()]) {
        check_binary("sub", f32_sub, |x, y| x - y, ab)?;
    }

    #[test]
    fn mul_matches_hardware(
        ab in prop_oneof![3 => binary_pair(), 1 => range_edge_pair(false), 1 => mul_tie_pair()]
    ) {
        check_binary("mul", f32_mul, |x, y| x * y, ab)?;
    }

    #[test]
    fn div_matches_hardware(
        ab in prop_oneof![3 => binary_pair(), 1 => range_edge_pair(true), 1 => div_tie_pair()]
    ) {
        check_binary("div", f32_div, |x, y| x / y, ab)?;
    }

    #[test]
    fn sqrt_matches_hardware(x in sqrt_input()) {
        let got = f32_sqrt(x);
        let want = f32::from_bits(x).sqrt();
        prop_assert!(agrees(got, want), "sqrt({x:#010x}) = {got:#010x}, hardware {:#010x}", want.to_bits());
    }
}

/// Whether the exact value `r` lies exactly halfway between two adjacent
/// finite binary32 values.
fn is_binary32_tie(r: f64) -> bool {
    let r = r.abs();
    let near = r as f32;
    if near.is_infinite() || near as f64 == r {
        return false;
    }
    let other = if (near as f64) < r {
        f32::from_bits(near.to_bits() + 1)
    } else {
        f32::from_bits(near.to_bits() - 1)
    };
    (r - near as f64).abs() == (other as f64 - r).abs()
}

/// Fraction of samples of `strategy` whose exact result (computed exactly in
/// f64 by `exact`) is a binary32 halfway case.
fn tie_fraction<S: Strategy<Value = (u32, u32)>>(strategy: S, exact: fn(f64, f64) -> f64) -> f64 {
    let mut runner = TestRunner::deterministic();
    let n = 20_000;
    let ties = (0..n)
        .filter(|_| {
            let (a, b) = strategy.new_tree(&mut runner).unwrap().current();
            is_binary32_tie(exact(f32::from_bits(a) as f64, f32::from_bits(b) as f64))
        })
        .count();
    ties as f64 / n as f64
}

/// The tie strategies must really produce halfway cases, or the RNE tie rule
/// would go untested. (f64 holds these sums, products and quotients exactly.)
#[test]
fn tie_strategies_produce_ties() {
    let add = tie_fraction(add_tie_pair(), |x, y| x + y);
    let mul = tie_fraction(mul_tie_pair(), |x, y| x * y);
    let div = tie_fraction(div_tie_pair(), |x, y| x / y);
    assert!(add > 0.4, "add ties: {add}");
    assert!(mul > 0.2, "mul ties: {mul}");
    assert!(div > 0.99, "div ties: {div}");
}

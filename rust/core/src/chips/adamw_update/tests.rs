//! The AdamW program equals `optim::adamw_element` bit for bit for every flag
//! combination; the chip's trace satisfies its constraints.

use p3_matrix::Matrix;

use super::*;
use crate::chips::testing::{check_chip, honest_update_trace, Sm64};
use crate::chips::update::UpdateAir;
use crate::optim::{AdamWHyper, OpKind, Soft, ADAMW_OPS};
use crate::prover::Val;
use p3_field::PrimeCharacteristicRing;

/// Scalars for every flag combination (weight decay, lerp branch, maximize).
pub(crate) fn adamw_cases() -> Vec<AdamWScalars> {
    let mut v = Vec::new();
    for wd in [0.0, 0.01] {
        for beta1 in [0.9, 0.3] {
            for maximize in [false, true] {
                let h = AdamWHyper {
                    beta1,
                    beta2: 0.999,
                    eps: 1e-8,
                    weight_decay: wd,
                    maximize,
                };
                v.push(AdamWScalars::new(&h, 1e-3, 3).unwrap());
            }
        }
    }
    v
}

fn small(rng: &mut Sm64, nonneg: bool) -> u32 {
    let x = match rng.below(8) {
        0 => 0,
        _ => (rng.next() as u32 & 0x807F_FFFF) | ((100 + rng.below(40) as u32) << 23),
    };
    if nonneg {
        x & 0x7FFF_FFFF
    } else {
        x
    }
}

#[test]
fn program_matches_adamw_element() {
    let mut rng = Sm64(3);
    for s in adamw_cases() {
        let prog = adamw_program(&s).unwrap();
        assert_eq!(prog.ops.len(), 13 + s.use_weight_decay as usize);
        let sc = adamw_scalar_values(&s);
        for _ in 0..200 {
            let ins = [
                small(&mut rng, false),
                small(&mut rng, false),
                small(&mut rng, false),
                small(&mut rng, true),
            ];
            let want = adamw_element(&mut Soft, &s, ins[0], ins[1], ins[2], ins[3]);
            let mut regs = vec![0; prog.n_regs()];
            prog.eval(&sc, &ins, &mut regs).unwrap();
            let out: Vec<u32> = prog
                .outputs
                .iter()
                .map(|&o| prog.value(o, &sc, &regs))
                .collect();
            assert_eq!(out, vec![want.0, want.1, want.2], "{s:?}");
        }
    }
    // The op kinds with weight decay and a small lerp weight are ADAMW_OPS (subtractions
    // are additions of a negated operand).
    let s = adamw_cases()[4];
    assert!(s.use_weight_decay && s.lerp_small);
    let kinds: Vec<OpKind> = ADAMW_OPS
        .iter()
        .map(|&k| if k == OpKind::Sub { OpKind::Add } else { k })
        .collect();
    let got: Vec<OpKind> = adamw_program(&s)
        .unwrap()
        .ops
        .iter()
        .map(|o| o.kind)
        .collect();
    assert_eq!(got, kinds);
}

#[test]
fn trace_satisfies_constraints_and_mutations_fail() {
    let mut rng = Sm64(5);
    for s in adamw_cases() {
        let prog = adamw_program(&s).unwrap();
        let air = UpdateAir::new(prog.clone(), 0);
        let ins: Vec<Vec<u32>> = (0..4)
            .map(|j| (0..6).map(|_| small(&mut rng, j == 3)).collect())
            .collect();
        let t = honest_update_trace(&air, &adamw_scalar_values(&s), &ins);
        let w = t.main.width();
        for k in 0..air.neg_regs().len() {
            let mut bad = t.main.clone();
            bad.values[w + air.sign_col(k)] += Val::ONE;
            assert!(
                !check_chip(&air, &bad).is_empty(),
                "sign bit {k} not constrained"
            );
        }
    }
}

//! The SGD program equals `optim::sgd_element` bit for bit for every flag combination;
//! the chip's trace satisfies its constraints and a changed cell breaks them.

use p3_matrix::Matrix;

use super::*;
use crate::chips::testing::{check_chip, honest_update_trace, Sm64};
use crate::chips::update::UpdateAir;
use crate::optim::{SgdHyper, Soft};
use crate::prover::Val;
use p3_field::PrimeCharacteristicRing;

/// Every (hyper, init_buf) combination the program distinguishes.
pub(crate) fn sgd_cases() -> Vec<(SgdScalars, bool)> {
    let mut v = Vec::new();
    for momentum in [0.0, 0.9] {
        for dampening in [0.0, 0.25] {
            for wd in [0.0, 0.01] {
                for nesterov in [false, true] {
                    for maximize in [false, true] {
                        if nesterov && (momentum == 0.0 || dampening != 0.0) {
                            continue;
                        }
                        let h = SgdHyper {
                            momentum,
                            dampening,
                            weight_decay: wd,
                            nesterov,
                            maximize,
                        };
                        let s = SgdScalars::new(&h, 0.05).unwrap();
                        v.push((s, false));
                        if momentum != 0.0 {
                            v.push((s, true));
                        }
                    }
                }
            }
        }
    }
    v
}

fn small(rng: &mut Sm64) -> u32 {
    // moderate magnitudes (updates stay finite), both signs, some zeros and subnormals
    match rng.below(8) {
        0 => 0,
        1 => rng.next() as u32 & 0x807F_FFFF,
        _ => (rng.next() as u32 & 0x807F_FFFF) | ((100 + rng.below(40) as u32) << 23),
    }
}

#[test]
fn program_matches_sgd_element() {
    let mut rng = Sm64(7);
    for (s, init) in sgd_cases() {
        let prog = sgd_program(&s, init).unwrap();
        let sc = sgd_scalar_values(&s);
        for _ in 0..200 {
            let (p, g, b) = (small(&mut rng), small(&mut rng), small(&mut rng));
            let (p2, b2) = sgd_element(&mut Soft, &s, p, g, b, init && s.use_momentum);
            let mut ins = vec![p, g];
            if sgd_reads_buffer(&s, init) {
                ins.push(b);
            }
            let mut regs = vec![0; prog.n_regs()];
            prog.eval(&sc, &ins, &mut regs).unwrap();
            let out: Vec<u32> = prog
                .outputs
                .iter()
                .map(|&o| prog.value(o, &sc, &regs))
                .collect();
            let want = if s.use_momentum {
                vec![p2, b2]
            } else {
                vec![p2]
            };
            assert_eq!(out, want, "{s:?} init={init}");
        }
    }
}

#[test]
fn trace_satisfies_constraints_and_mutations_fail() {
    let mut rng = Sm64(11);
    for (s, init) in sgd_cases() {
        let prog = sgd_program(&s, init).unwrap();
        let air = UpdateAir::new(prog.clone(), 0);
        let n = 5;
        let ins: Vec<Vec<u32>> = (0..prog.n_inputs)
            .map(|_| (0..n).map(|_| small(&mut rng)).collect())
            .collect();
        let t = honest_update_trace(&air, &sgd_scalar_values(&s), &ins);
        // The flag, and every sign bit, are constrained.
        let w = t.main.width();
        let mut cols = vec![0];
        cols.extend((0..air.neg_regs().len()).map(|k| air.sign_col(k)));
        for c in cols {
            let mut bad = t.main.clone();
            bad.values[w + c] += Val::ONE;
            assert!(
                !check_chip(&air, &bad).is_empty(),
                "column {c} not constrained"
            );
        }
    }
}

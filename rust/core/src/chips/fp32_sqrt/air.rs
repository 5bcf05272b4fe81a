use core::borrow::Borrow;

use p3_air::{Air, AirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use super::columns::{Fp32SqrtCols, NUM_FP32_SQRT_COLS};
use super::{EXP_OFFSET, H_BIAS, H_BITS, JB_OFFSET, SQRT_SHIFT, ZERO_H_SHIFT};
use crate::chips::fp32_div::eval_factor;
use crate::chips::fptables::content::{TAG_FP32_FULL, TAG_LO16, TAG_MROUND, TAG_VR};
use crate::chips::fptables::{lookup, OpCode};
use crate::chips::opio::{op_chip_base_air, OpIo};

/// `c = sqrt(x)` on FP32 words, one op per row (see the module docs).
#[derive(Clone, Debug)]
pub struct Fp32SqrtAir {
    /// Where the ops come from.
    pub io: OpIo,
}

/// Names of the constraints of [`Fp32SqrtAir`], in evaluation order (the op binding
/// follows).
#[cfg(test)]
pub(crate) const SQRT_CONSTRAINTS: [&str; 11] = [
    "x normalization",
    "zero radicand",
    "negative radicand",
    "exponent halving",
    "parity bit",
    "root digit 0",
    "root digit 1",
    "root top",
    "remainder bound",
    "sticky inverse",
    "sticky zero",
];

/// Names of the table lookups of [`Fp32SqrtAir`], in evaluation order.
#[cfg(test)]
pub(crate) const SQRT_LOOKUPS: [&str; 18] = [
    "x FP32_NRM",
    "x LOZ",
    "x n1 range",
    "x n0 range",
    "h range",
    "s0 range",
    "s1 range",
    "s2 range",
    "r0 range",
    "r1 range",
    "r2 range",
    "c0 range",
    "c1 range",
    "dl range",
    "dh range",
    "z FP32_FULL",
    "z LO16",
    "MROUND",
];

op_chip_base_air!(Fp32SqrtAir, NUM_FP32_SQRT_COLS);

impl<AB: InteractionBuilder> Air<AB> for Fp32SqrtAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Fp32SqrtCols<AB::Var> = main.current_slice().borrow();
        let c = *local;
        type E<AB> = <AB as AirBuilder>::Expr;
        let v = |x: AB::Var| -> E<AB> { x.into() };
        let k = |x: u32| E::<AB>::from_u32(x);
        let s = |x: i64| E::<AB>::from_i64(x);
        let one = E::<AB>::ONE;
        let b = k(1 << 12);

        let gx = eval_factor(builder, &c.x);
        // zx = 1 only for a zero radicand; a negative radicand must be zero
        builder.assert_zero(v(c.zx) * v(c.x.n1));
        builder.assert_zero(v(c.x.s) * (one.clone() - v(c.zx)));
        // gx - 150 (+ 283 for zero) = 2 h + o, o a bit, h + 137 in [0, 2^8)
        builder.assert_eq(
            v(c.h) * E::<AB>::TWO + v(c.o),
            gx - s(EXP_OFFSET) + v(c.zx) * s(ZERO_H_SHIFT),
        );
        builder.assert_bool(c.o);
        lookup(builder, TAG_VR, [k(H_BITS), v(c.h) + s(H_BIAS)]);

        // S^2 + R = Nx 2^(28 + o) in base B
        let (s2, s1, s0) = (v(c.s2), v(c.s1), v(c.s0));
        // digit 0: s0^2 + r0 = c0 B
        builder.assert_eq(s0.clone() * s0.clone() + v(c.r0), v(c.c0) * b.clone());
        // digit 1: 2 s0 s1 + r1 + c0 = c1 B
        builder.assert_eq(
            s0.clone() * s1.clone() * E::<AB>::TWO + v(c.r1) + v(c.c0),
            v(c.c1) * b.clone(),
        );
        // digits 2..: s1^2 + 2 s0 s2 + r2 + c1 + 2 s1 s2 B + s2^2 B^2 = (1 + o) 2^4 Nx
        let nx = v(c.x.n1) * b.clone() + v(c.x.n0);
        builder.assert_eq(
            s1.clone() * s1.clone()
                + s0.clone() * s2.clone() * E::<AB>::TWO
                + v(c.r2)
                + v(c.c1)
                + s1.clone() * s2.clone() * E::<AB>::TWO * b.clone()
                + s2.clone() * s2.clone() * b.clone() * b.clone(),
            (one.clone() + v(c.o)) * nx * k(1 << (SQRT_SHIFT - 24)),
        );
        for (bits, x) in [
            (12, c.s0),
            (12, c.s1),
            (3, c.s2),
            (12, c.r0),
            (12, c.r1),
            (4, c.r2),
            (12, c.c0),
            (14, c.c1),
        ] {
            lookup(builder, TAG_VR, [k(bits), v(x)]);
        }
        // R <= 2 S: 2 S - R = dh 2^16 + dl
        let root = s2 * b.clone() * b.clone() + s1 * b.clone() + s0;
        let r = v(c.r2) * b.clone() * b.clone() + v(c.r1) * b + v(c.r0);
        builder.assert_eq(
            v(c.dh) * k(1 << 16) + v(c.dl),
            root.clone() * E::<AB>::TWO - r.clone(),
        );
        lookup(builder, TAG_VR, [k(16), v(c.dl)]);
        lookup(builder, TAG_VR, [k(12), v(c.dh)]);
        // st = [R != 0]
        builder.assert_eq(r.clone() * v(c.inv), c.st);
        builder.assert_zero(r * (one - v(c.st)));
        // Z: sign sx (sqrt(-0) = -0), finite (ovf = 0)
        lookup(
            builder,
            TAG_FP32_FULL,
            [
                v(c.z_hi),
                v(c.x.s),
                v(c.ez),
                v(c.mhz),
                E::<AB>::ZERO,
                v(c.cz),
            ],
        );
        lookup(builder, TAG_LO16, [v(c.z_lo), v(c.par), v(c.isz)]);
        // [MROUND, jm, pn, err, cz, par, isz] with jb = h + 138, V = 2 S + st
        let mz = v(c.mhz) * k(1 << 16) + v(c.z_lo);
        let sum = root * E::<AB>::TWO + v(c.st);
        lookup(
            builder,
            TAG_MROUND,
            [
                v(c.ez) - v(c.h) - s(JB_OFFSET),
                v(c.pn),
                sum - mz * v(c.pn),
                v(c.cz),
                v(c.par),
                v(c.isz),
            ],
        );
        self.io.eval(
            builder,
            OpCode::Fp32Sqrt,
            [
                v(c.x.hi),
                v(c.x.lo),
                E::<AB>::ZERO,
                E::<AB>::ZERO,
                v(c.z_hi),
                v(c.z_lo),
            ],
        );
    }
}

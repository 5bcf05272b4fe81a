//! The primitive FP32 operations the optimizers are written in, behind one trait so
//! each update is written once and run three ways:
//!
//! - [`Soft`]: the integer-only reference (`zkattest-softfloat`), the definition the
//!   step-proof chips prove;
//! - [`Hardware`]: native `f32` (SSE/AVX on x86-64, NEON on aarch64), bit-identical
//!   to [`Soft`] because Rust never contracts `a * b + c` into an FMA and the basic
//!   IEEE operations are correctly rounded; only NaN results are rewritten to the
//!   canonical NaN. That identity also needs the thread's floating-point environment
//!   to be IEEE default (round-to-nearest-even, no flush-to-zero, no
//!   denormals-are-zero), which [`Hardware::environment_is_ieee`] checks at run time;
//! - [`Tracer`]: wraps either and records every operation with its operands, which
//!   is the witness a step-proof chip needs (one row per operation).

use zkattest_softfloat::{f32_add, f32_div, f32_mul, f32_sqrt, f32_sub, CANONICAL_NAN, SIGN_MASK};

/// FP32 add, sub, mul, div and sqrt on IEEE binary32 bit patterns: correctly rounded,
/// round-to-nearest-even, subnormals kept, every NaN result is [`CANONICAL_NAN`]
/// (DESIGN §4). Implementations must agree bit for bit.
pub trait Fp32Arith {
    /// `a + b`.
    fn add(&mut self, a: u32, b: u32) -> u32;
    /// `a - b`.
    fn sub(&mut self, a: u32, b: u32) -> u32;
    /// `a * b`.
    fn mul(&mut self, a: u32, b: u32) -> u32;
    /// `a / b`.
    fn div(&mut self, a: u32, b: u32) -> u32;
    /// `sqrt(a)`.
    fn sqrt(&mut self, a: u32) -> u32;
}

/// Sign flip: exact, not a rounded operation (the chips prove it as a bit relation).
#[inline(always)]
pub fn neg(a: u32) -> u32 {
    a ^ SIGN_MASK
}

/// The reference: `zkattest-softfloat`, integer arithmetic only.
#[derive(Clone, Copy, Debug, Default)]
pub struct Soft;

impl Fp32Arith for Soft {
    #[inline]
    fn add(&mut self, a: u32, b: u32) -> u32 {
        f32_add(a, b)
    }
    #[inline]
    fn sub(&mut self, a: u32, b: u32) -> u32 {
        f32_sub(a, b)
    }
    #[inline]
    fn mul(&mut self, a: u32, b: u32) -> u32 {
        f32_mul(a, b)
    }
    #[inline]
    fn div(&mut self, a: u32, b: u32) -> u32 {
        f32_div(a, b)
    }
    #[inline]
    fn sqrt(&mut self, a: u32) -> u32 {
        f32_sqrt(a)
    }
}

/// Native `f32` arithmetic with NaN results canonicalized. Use it only on a thread
/// whose floating-point environment passes [`Hardware::environment_is_ieee`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Hardware;

#[inline(always)]
fn canon(x: f32) -> u32 {
    if x.is_nan() {
        CANONICAL_NAN
    } else {
        x.to_bits()
    }
}

impl Hardware {
    /// Whether this thread's FP environment gives IEEE default results: round to
    /// nearest even, subnormal inputs read as themselves (no DAZ) and subnormal
    /// results kept (no FTZ). Another library in the process (e.g.
    /// `torch.set_flush_denormal(True)`, or code built with `-ffast-math`) can change
    /// the control register of a thread; callers fall back to [`Soft`] when this
    /// returns `false`. Costs a handful of operations.
    pub fn environment_is_ieee() -> bool {
        Self::rounding_is_nearest_even() && Self::subnormals_kept()
    }

    /// Whether this thread rounds to nearest, ties to even (the other IEEE modes are
    /// set only deliberately, e.g. with `fesetround`).
    pub fn rounding_is_nearest_even() -> bool {
        use core::hint::black_box;
        let one = black_box(1.0f32);
        // 1.5 * 2^-24 = 0.75 ulp(1): 1 + d rounds up under RNE and round-up, down
        // under round-down and toward-zero; -1 - d mirrors it, so only RNE passes both.
        let d = black_box(f32::from_bits(0x33C0_0000));
        let up = one + d == f32::from_bits(0x3F80_0001);
        let down = -one - d == f32::from_bits(0xBF80_0001);
        // An exact tie (2^-24 = half an ulp of 1) must go to even (1.0).
        let tie = one + black_box(f32::from_bits(0x3380_0000)) == one;
        up && down && tie
    }

    /// Whether this thread keeps subnormals: inputs read as themselves (no
    /// denormals-are-zero) and results are not flushed to zero.
    pub fn subnormals_kept() -> bool {
        use core::hint::black_box;
        let sub = black_box(f32::from_bits(1));
        let no_daz = (sub + sub).to_bits() == 2;
        let no_ftz = (black_box(f32::MIN_POSITIVE) * black_box(0.5f32)).to_bits() == 0x0040_0000;
        no_daz && no_ftz
    }
}

impl Fp32Arith for Hardware {
    #[inline(always)]
    fn add(&mut self, a: u32, b: u32) -> u32 {
        canon(f32::from_bits(a) + f32::from_bits(b))
    }
    #[inline(always)]
    fn sub(&mut self, a: u32, b: u32) -> u32 {
        canon(f32::from_bits(a) - f32::from_bits(b))
    }
    #[inline(always)]
    fn mul(&mut self, a: u32, b: u32) -> u32 {
        canon(f32::from_bits(a) * f32::from_bits(b))
    }
    #[inline(always)]
    fn div(&mut self, a: u32, b: u32) -> u32 {
        canon(f32::from_bits(a) / f32::from_bits(b))
    }
    #[inline(always)]
    fn sqrt(&mut self, a: u32) -> u32 {
        canon(f32::from_bits(a).sqrt())
    }
}

/// The kind of a primitive operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`.
    Div,
    /// `sqrt(a)` (`b` is recorded as 0).
    Sqrt,
}

/// One executed operation: the row a chip proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpRecord {
    /// Which operation.
    pub kind: OpKind,
    /// First operand (bits).
    pub a: u32,
    /// Second operand (bits; 0 for sqrt).
    pub b: u32,
    /// Result (bits).
    pub out: u32,
}

/// Runs the wrapped arithmetic and records every operation in order.
#[derive(Clone, Debug, Default)]
pub struct Tracer<A> {
    /// The arithmetic that computes the results.
    pub inner: A,
    /// The operations executed so far, in program order.
    pub ops: Vec<OpRecord>,
}

impl<A: Fp32Arith> Tracer<A> {
    /// A tracer with an empty record over `inner`.
    pub fn new(inner: A) -> Self {
        Tracer {
            inner,
            ops: Vec::new(),
        }
    }

    fn record(&mut self, kind: OpKind, a: u32, b: u32, out: u32) -> u32 {
        self.ops.push(OpRecord { kind, a, b, out });
        out
    }
}

impl<A: Fp32Arith> Fp32Arith for Tracer<A> {
    fn add(&mut self, a: u32, b: u32) -> u32 {
        let out = self.inner.add(a, b);
        self.record(OpKind::Add, a, b, out)
    }
    fn sub(&mut self, a: u32, b: u32) -> u32 {
        let out = self.inner.sub(a, b);
        self.record(OpKind::Sub, a, b, out)
    }
    fn mul(&mut self, a: u32, b: u32) -> u32 {
        let out = self.inner.mul(a, b);
        self.record(OpKind::Mul, a, b, out)
    }
    fn div(&mut self, a: u32, b: u32) -> u32 {
        let out = self.inner.div(a, b);
        self.record(OpKind::Div, a, b, out)
    }
    fn sqrt(&mut self, a: u32) -> u32 {
        let out = self.inner.sqrt(a);
        self.record(OpKind::Sqrt, a, 0, out)
    }
}

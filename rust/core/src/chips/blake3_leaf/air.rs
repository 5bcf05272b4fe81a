use core::borrow::Borrow;
use std::sync::Arc;

use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};

use super::columns::{
    Blake3LeafCols, HalfCols, BYTES, LIMBS, NUM_BLAKE3_LEAF_COLS, NUM_SCHEDULE_COLS,
};
use super::schedule::Schedule;
use super::{g_indices, permute, tag_words, DIGEST_LIMBS, IV, PREFIX_WORDS, PUBLIC_PER_LEAF};
use crate::chips::bus::{BLAKE3_CV, LEAF_WORD};
use crate::chips::byte_xor::{lookup_byte, Flavour};
use crate::error::Result;

/// Proves the BLAKE3 compressions of `k` salted leaves (see the module docs). Built from
/// the public chunk lengths; the verifier builds the same AIR.
#[derive(Clone, Debug)]
pub struct Blake3LeafAir {
    schedule: Arc<Schedule>,
}

impl Blake3LeafAir {
    /// The AIR for chunks of `lens` bytes (each a positive multiple of 4, at most
    /// 64 KiB; 1 to [`super::MAX_LEAVES`] leaves). Other lengths:
    /// [`crate::Error::InvalidInput`].
    pub fn new(lens: &[usize]) -> Result<Self> {
        Ok(Self {
            schedule: Arc::new(Schedule::new(lens)?),
        })
    }

    /// The schedule (rows, roots, lengths).
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// log2 of the trace height.
    pub fn log_height(&self) -> usize {
        self.schedule.log_height
    }

    /// Number of leaves.
    pub fn num_leaves(&self) -> usize {
        self.schedule.roots.len()
    }

    /// The chip's public values for the given digest limbs (one `[u32; 16]` per leaf).
    pub fn public_values<F: Field>(&self, digests: &[[u32; DIGEST_LIMBS]]) -> Vec<F> {
        digests
            .iter()
            .zip(&self.schedule.words)
            .flat_map(|(d, &w)| d.iter().copied().chain([w as u32]))
            .map(F::from_u32)
            .collect()
    }

    fn periodic_at<F: Field>(&self, row: usize) -> Vec<F> {
        let s = &self.schedule;
        let r = &s.rows[row % s.rows.len()];
        r.values()
            .into_iter()
            .map(F::from_u32)
            .chain(
                s.roots
                    .iter()
                    .map(|&root| F::from_bool(root == row % s.rows.len())),
            )
            .collect()
    }
}

impl<F: Field> BaseAir<F> for Blake3LeafAir {
    fn width(&self) -> usize {
        NUM_BLAKE3_LEAF_COLS
    }
    fn num_public_values(&self) -> usize {
        PUBLIC_PER_LEAF * self.num_leaves()
    }
    fn num_periodic_columns(&self) -> usize {
        NUM_SCHEDULE_COLS + self.num_leaves()
    }
    fn periodic_columns(&self) -> Vec<Vec<F>> {
        let s = &self.schedule;
        let flat: Vec<[u32; NUM_SCHEDULE_COLS]> = s.rows.iter().map(|r| r.values()).collect();
        let mut cols: Vec<Vec<F>> = (0..NUM_SCHEDULE_COLS)
            .map(|c| flat.iter().map(|r| F::from_u32(r[c])).collect())
            .collect();
        for &root in &s.roots {
            cols.push((0..s.rows.len()).map(|r| F::from_bool(r == root)).collect());
        }
        cols
    }
    fn periodic_values(&self, row: usize) -> Vec<F> {
        self.periodic_at(row)
    }
    // Rows are independent: open only at zeta.
    fn main_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
    // Degree 3 (the carry polynomials) buys four quotient chunks, which lets the
    // prover pack three byte lookups per LogUp column.
    fn max_constraint_degree(&self) -> Option<usize> {
        Some(3)
    }
}

type Ex<AB> = <AB as AirBuilder>::Expr;

/// A state word: its limbs, and its bytes where they exist (words that are only added
/// before being overwritten have none).
#[derive(Clone)]
struct Word<E> {
    limbs: [E; LIMBS],
    bytes: Option<[E; BYTES]>,
}

fn from_bytes<E: PrimeCharacteristicRing + Clone>(b: [E; BYTES]) -> Word<E> {
    let k = E::from_u32(256);
    Word {
        limbs: [
            b[0].clone() + b[1].clone() * k.clone(),
            b[2].clone() + b[3].clone() * k,
        ],
        bytes: Some(b),
    }
}

fn from_limbs<E>(l: [E; LIMBS]) -> Word<E> {
    Word {
        limbs: l,
        bytes: None,
    }
}

fn constant<E: PrimeCharacteristicRing>(x: u32) -> Word<E> {
    from_bytes(x.to_le_bytes().map(|b| E::from_u8(b)))
}

fn vars<AB: AirBuilder, const N: usize>(v: &[AB::Var; N]) -> [Ex<AB>; N] {
    v.map(Into::into)
}

fn bytes_of<E: Clone>(w: &Word<E>) -> [E; BYTES] {
    w.bytes
        .clone()
        .expect("every word that is xored was written as bytes")
}

/// `sum(ins) = out + 2^16 c0` (low limbs), `sum(ins) + c0 = out + 2^16 c1` (high limbs):
/// `out = sum(ins) mod 2^32` given 16-bit limbs, with `c_i` in `{0, .., ins - 1}`.
fn eval_add<AB: AirBuilder>(
    builder: &mut AB,
    ins: &[&[Ex<AB>; LIMBS]],
    out: &[Ex<AB>; LIMBS],
    carry: &[AB::Var; LIMBS],
) {
    let base = Ex::<AB>::from_u32(1 << 16);
    let lo: Ex<AB> = ins.iter().map(|w| w[0].clone()).sum();
    let hi: Ex<AB> = ins.iter().map(|w| w[1].clone()).sum();
    builder.assert_eq(lo, out[0].clone() + carry[0].into() * base.clone());
    builder.assert_eq(
        hi + carry[0].into(),
        out[1].clone() + carry[1].into() * base,
    );
    for &c in carry {
        let c: Ex<AB> = c.into();
        if ins.len() == 3 {
            // c (c - 1) (c - 2) = 0
            builder.assert_zero(c.clone() * (c.clone() - Ex::<AB>::ONE) * (c - Ex::<AB>::TWO));
        } else {
            builder.assert_bool(c);
        }
    }
}

/// Half a G function on the state `v` at `idx` with message word `m` (see
/// [`HalfCols`]): two additions, an `XOR` lookup per byte of `d ^ a'` (a byte rotation
/// gives `d'`), a `NIB` (`r2 = 12`) or `B7` (`r2 = 7`) lookup per byte of `b ^ c'`, whose
/// split makes `b'` linear:
///
/// ```text
/// (z >>> 12)_i = hi4(z_{i+1}) + 16 lo4(z_{i+2})      (z >>> 7)_i = top1(z_i) + 2 low7(z_{i+1})
/// ```
fn eval_half<AB: InteractionBuilder>(
    builder: &mut AB,
    v: &mut [Word<Ex<AB>>; 16],
    idx: [usize; 4],
    m: &Word<Ex<AB>>,
    second: bool,
    h: &HalfCols<AB::Var>,
) {
    let [ia, ib, ic, id] = idx;
    let k = |x: u32| Ex::<AB>::from_u32(x);
    // a' = a + b + m
    let a1 = from_bytes(vars::<AB, BYTES>(&h.a));
    eval_add(
        builder,
        &[&v[ia].limbs, &v[ib].limbs, &m.limbs],
        &a1.limbs,
        &h.a_carry,
    );
    // z = d ^ a'; d' = z >>> 16 or z >>> 8 (byte rotations)
    let d = bytes_of(&v[id]);
    let a1b = bytes_of(&a1);
    for i in 0..BYTES {
        lookup_byte(
            builder,
            Flavour::Xor,
            [d[i].clone(), a1b[i].clone(), h.d[i].into(), k(0)],
        );
    }
    let shift = if second { 1 } else { 2 };
    let d1 = from_bytes(core::array::from_fn(|i| h.d[(i + shift) % BYTES].into()));
    // c' = c + d'
    let c1 = from_bytes(vars::<AB, BYTES>(&h.c));
    eval_add(builder, &[&v[ic].limbs, &d1.limbs], &c1.limbs, &h.c_carry);
    // z = b ^ c', split; b' = z >>> 12 or z >>> 7
    let b = bytes_of(&v[ib]);
    let c1b = bytes_of(&c1);
    let flavour = if second { Flavour::B7 } else { Flavour::Nib };
    for i in 0..BYTES {
        lookup_byte(
            builder,
            flavour,
            [
                b[i].clone(),
                c1b[i].clone(),
                h.b[i].into(),
                h.b[BYTES + i].into(),
            ],
        );
    }
    let (lo, hi) = (&h.b[..BYTES], &h.b[BYTES..]);
    let b1 = from_bytes(core::array::from_fn(|i| {
        if second {
            // top1(z_i) + 2 low7(z_{i+1})
            hi[i].into() + lo[(i + 1) % BYTES].into() * k(2)
        } else {
            // hi4(z_{i+1}) + 16 lo4(z_{i+2})
            hi[(i + 1) % BYTES].into() + lo[(i + 2) % BYTES].into() * k(16)
        }
    }));
    v[ia] = a1;
    v[id] = d1;
    v[ic] = c1;
    v[ib] = b1;
}

impl<AB: InteractionBuilder> Air<AB> for Blake3LeafAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let row = main.current_slice();
        let local: &Blake3LeafCols<AB::Var> = row.borrow();
        let periodic: Vec<Ex<AB>> = builder
            .periodic_values()
            .iter()
            .map(|&p| p.into())
            .collect();
        let public: Vec<Ex<AB>> = builder.public_values().iter().map(|&p| p.into()).collect();
        let k = |x: u32| Ex::<AB>::from_u32(x);
        let s = local.sched;

        // schedule column c = periodic column c, every row
        for c in 0..NUM_SCHEDULE_COLS {
            builder.assert_eq(row[c], periodic[c].clone());
        }

        // input chaining value: IV where the schedule says so (else received below)
        let cv: Vec<Word<Ex<AB>>> = local
            .cv_lo
            .iter()
            .map(|l| from_limbs(vars::<AB, LIMBS>(l)))
            .chain(local.cv_hi.iter().map(|b| from_bytes(vars::<AB, BYTES>(b))))
            .collect();
        for (w, &iv) in cv.iter().zip(&IV) {
            builder
                .when(s.iv)
                .assert_eq(w.limbs[0].clone(), k(iv & 0xFFFF));
            builder
                .when(s.iv)
                .assert_eq(w.limbs[1].clone(), k(iv >> 16));
        }

        // message: 16-bit limbs (R16 lookups); tag words on a first block; zero past
        // the end of the message: zero_i = real - send_i - parent - first [i < 12]
        let msg: Vec<Word<Ex<AB>>> = local
            .msg
            .iter()
            .map(|l| from_limbs(vars::<AB, LIMBS>(l)))
            .collect();
        for &l in local.msg.iter().flatten() {
            lookup_byte(builder, Flavour::R16, [l.into(), k(0), k(0), k(0)]);
        }
        for (m, t) in msg.iter().zip(tag_words()) {
            builder
                .when(s.first)
                .assert_eq(m.limbs[0].clone(), k(t & 0xFFFF));
            builder
                .when(s.first)
                .assert_eq(m.limbs[1].clone(), k(t >> 16));
        }
        for (i, m) in msg.iter().enumerate() {
            let mut zero = s.real.into() - s.send[i].into() - s.parent.into();
            if i < PREFIX_WORDS {
                zero -= s.first.into();
            }
            builder.when(zero.clone()).assert_zero(m.limbs[0].clone());
            builder.when(zero).assert_zero(m.limbs[1].clone());
        }

        // v = cv || IV[0..4] || counter, 0, block_len, flags (each below 2^8: public
        // schedule values, so their bytes are themselves)
        let mut v: [Word<Ex<AB>>; 16] = core::array::from_fn(|i| match i {
            0..=7 => cv[i].clone(),
            8..=11 => constant(IV[i - 8]),
            _ => {
                let low: Ex<AB> = match i {
                    12 => s.counter.into(),
                    13 => k(0),
                    14 => s.block_len.into(),
                    _ => s.flags.into(),
                };
                from_bytes([low, k(0), k(0), k(0)])
            }
        });

        // seven rounds, permuting the message between
        let mut m: [Word<Ex<AB>>; 16] = core::array::from_fn(|i| msg[i].clone());
        for rd in &local.rounds {
            for (step, (base, second)) in [(0, false), (0, true), (4, false), (4, true)]
                .into_iter()
                .enumerate()
            {
                for (i, h) in rd[step].iter().enumerate() {
                    let j = base + i;
                    let mj = m[2 * j + second as usize].clone();
                    eval_half(builder, &mut v, g_indices(j), &mj, second, h);
                }
            }
            m = permute(&m);
        }

        // output words: out_i = v_i ^ v_{i+8}, byte by byte
        for (i, o) in local.out.iter().enumerate() {
            let (x, y) = (bytes_of(&v[i]), bytes_of(&v[i + 8]));
            for j in 0..BYTES {
                lookup_byte(
                    builder,
                    Flavour::Xor,
                    [x[j].clone(), y[j].clone(), o[j].into(), k(0)],
                );
            }
        }
        let out: Vec<Ex<AB>> = local
            .out
            .iter()
            .flat_map(|o| from_bytes(vars::<AB, BYTES>(o)).limbs)
            .collect();

        // root rows: output = the leaf's public digest
        for (slot, sel) in periodic[NUM_SCHEDULE_COLS..].iter().enumerate() {
            for (j, o) in out.iter().enumerate() {
                let want = public[slot * PUBLIC_PER_LEAF + j].clone();
                builder.assert_zero(sel.clone() * (o.clone() - want));
            }
        }

        // chaining: send the output CV; receive the input CV (non-IV blocks) and the
        // children's CVs (parents' message)
        let with_id = |id: AB::Var, limbs: &[Ex<AB>]| -> Vec<Ex<AB>> {
            core::iter::once(id.into())
                .chain(limbs.iter().cloned())
                .collect()
        };
        BLAKE3_CV.send(
            builder,
            with_id(s.out_id, &out),
            Count::bounded(s.send_out.into(), 1),
        );
        let cv_flat: Vec<Ex<AB>> = cv.iter().flat_map(|w| w.limbs.clone()).collect();
        BLAKE3_CV.receive(
            builder,
            with_id(s.in_id, &cv_flat),
            Count::bounded(s.real.into() - s.iv.into(), 1),
        );
        let msg_flat: Vec<Ex<AB>> = msg.iter().flat_map(|w| w.limbs.clone()).collect();
        BLAKE3_CV.receive(
            builder,
            with_id(s.left_id, &msg_flat[..16]),
            Count::bounded(s.parent.into(), 1),
        );
        BLAKE3_CV.receive(
            builder,
            with_id(s.right_id, &msg_flat[16..]),
            Count::bounded(s.parent.into(), 1),
        );

        // chunk words: [slot, word index, lo16, hi16], word index = wbase + i - 12
        for (i, w) in msg.iter().enumerate() {
            let idx = s.wbase.into() + k(i as u32) - k(PREFIX_WORDS as u32);
            LEAF_WORD.send(
                builder,
                [s.slot.into(), idx, w.limbs[0].clone(), w.limbs[1].clone()],
                Count::bounded(s.send[i].into(), 1),
            );
        }
    }
}

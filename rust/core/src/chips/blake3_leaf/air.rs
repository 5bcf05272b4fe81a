use core::borrow::Borrow;
use std::sync::Arc;

use p3_air::utils::{add2, add3, xor_32_shift};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};

use super::columns::{Blake3LeafCols, StateCols, LIMBS, NUM_BLAKE3_LEAF_COLS, NUM_SCHEDULE_COLS};
use super::schedule::Schedule;
use super::{
    g_indices, permute, tag_words, CV_WORDS, DIGEST_LIMBS, IV, PREFIX_WORDS, PUBLIC_PER_LEAF,
};
use crate::chips::bus::{BLAKE3_CV, LEAF_WORD};
use crate::error::Result;

/// Proves the BLAKE3 compressions of `k` salted leaves (see the module docs). Built from
/// the public chunk lengths; the verifier builds the same AIR.
#[derive(Clone, Debug)]
pub struct Blake3LeafAir {
    schedule: Arc<Schedule>,
}

impl Blake3LeafAir {
    /// The AIR for chunks of `lens` bytes (each a positive multiple of 4, at most
    /// 64 KiB; 1 to [`super::MAX_LEAVES`] leaves). Other lengths: [`crate::Error::InvalidInput`].
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
    fn max_constraint_degree(&self) -> Option<usize> {
        Some(3)
    }
}

type Ex<AB> = <AB as AirBuilder>::Expr;

/// `sum_i x_i 2^i` as a flat sum. (`pack_bits_le` doubles its accumulator, which as a
/// symbolic expression references it twice per bit: bus tuples built that way take
/// 2^16 steps to resolve per limb when the LogUp columns are generated.)
fn pack<AB: AirBuilder>(bits: impl IntoIterator<Item = Ex<AB>>) -> Ex<AB> {
    bits.into_iter()
        .enumerate()
        .map(|(i, b)| b * Ex::<AB>::from_u32(1 << i))
        .sum()
}

/// `[lo16, hi16]` of a word given as bits.
fn limbs<AB: AirBuilder>(bits: &[AB::Var; 32]) -> [Ex<AB>; LIMBS] {
    [
        pack::<AB>(bits[..16].iter().map(|&b| b.into())),
        pack::<AB>(bits[16..].iter().map(|&b| b.into())),
    ]
}

/// `[lo16, hi16]` of a word given as limbs.
fn limb_exprs<AB: AirBuilder>(l: &[AB::Var; LIMBS]) -> [Ex<AB>; LIMBS] {
    [l[0].into(), l[1].into()]
}

/// The `(a, b, c, d)` words of G function `j` (0..4 columns, 4..8 diagonals) in `s`.
type GWords<'a, T> = (&'a [T; LIMBS], &'a [T; 32], &'a [T; LIMBS], &'a [T; 32]);

fn g_words<T>(s: &StateCols<T>, j: usize) -> GWords<'_, T> {
    let [a, b, c, d] = g_indices(j);
    (&s.row0[a], &s.row1[b - 4], &s.row2[c - 8], &s.row3[d - 12])
}

/// Half a G function from `inp` to `out` with message word `m`:
/// `a' = a + b + m`, `d' = (d ^ a') >>> r1`, `c' = c + d'`, `b' = (b ^ c') >>> r2`
/// with `(r1, r2) = (16, 12)` or `(8, 7)`. The xor-rotates are checked as
/// `a' = d ^ (d' <<< r1)` and `c' = b ^ (b' <<< r2)`, which also range-check `a'`, `c'`
/// (limbs) and `d'`, `b'` (booleans), given that the inputs are in range.
fn eval_half_g<AB: AirBuilder>(
    builder: &mut AB,
    inp: GWords<'_, AB::Var>,
    out: GWords<'_, AB::Var>,
    m: &[Ex<AB>; LIMBS],
    second: bool,
) {
    let (r1, r2) = if second { (8, 7) } else { (16, 12) };
    let (a, b, c, d) = inp;
    let (a1, b1, c1, d1) = out;
    add3(builder, a1, a, &limbs::<AB>(b), m);
    xor_32_shift(builder, a1, d, d1, r1);
    add2(builder, c1, c, &limbs::<AB>(d1));
    xor_32_shift(builder, c1, b, b1, r2);
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

        // bits are bits (the round helpers check their own outputs)
        for w in local
            .msg
            .iter()
            .chain(&local.cv_hi)
            .chain(&local.params)
            .chain(&local.out_lo)
        {
            builder.assert_bools(*w);
        }

        // initial state row 2 = IV[0..4]
        for (l, &iv) in local.iv_row.iter().zip(&IV[..4]) {
            builder.assert_eq(l[0], k(iv & 0xFFFF));
            builder.assert_eq(l[1], k(iv >> 16));
        }
        // initial state row 3 = counter (< 2^16), 0, block_len, flags
        let params = local.params.map(|w| limbs::<AB>(&w));
        let expect: [[Ex<AB>; 2]; 4] = [
            [s.counter.into(), k(0)],
            [k(0), k(0)],
            [s.block_len.into(), k(0)],
            [s.flags.into(), k(0)],
        ];
        for (got, want) in params.into_iter().zip(expect) {
            for (g, w) in got.into_iter().zip(want) {
                builder.assert_eq(g, w);
            }
        }

        // input chaining value: IV where the schedule says so (else received below)
        let cv_in: Vec<[Ex<AB>; LIMBS]> = local
            .cv_lo
            .iter()
            .map(limb_exprs::<AB>)
            .chain(local.cv_hi.iter().map(limbs::<AB>))
            .collect();
        for (l, &iv) in cv_in.iter().zip(&IV) {
            builder.when(s.iv).assert_eq(l[0].clone(), k(iv & 0xFFFF));
            builder.when(s.iv).assert_eq(l[1].clone(), k(iv >> 16));
        }

        // message: tag words on a first block; zero past the end of the message:
        // zero_i = real - send_i - parent - first [i < 12]
        let msg: Vec<[Ex<AB>; LIMBS]> = local.msg.iter().map(limbs::<AB>).collect();
        for (m, t) in msg.iter().zip(tag_words()) {
            builder.when(s.first).assert_eq(m[0].clone(), k(t & 0xFFFF));
            builder.when(s.first).assert_eq(m[1].clone(), k(t >> 16));
        }
        for (i, m) in msg.iter().enumerate() {
            let mut zero = s.real.into() - s.send[i].into() - s.parent.into();
            if i < PREFIX_WORDS {
                zero -= s.first.into();
            }
            builder.when(zero.clone()).assert_zero(m[0].clone());
            builder.when(zero).assert_zero(m[1].clone());
        }

        // seven rounds from v = cv || IV[0..4] || params, permuting the message between
        let init = StateCols {
            row0: local.cv_lo,
            row1: local.cv_hi,
            row2: local.iv_row,
            row3: local.params,
        };
        let mut m: [[Ex<AB>; LIMBS]; 16] = core::array::from_fn(|i| msg[i].clone());
        let mut state = &init;
        for rd in &local.rounds {
            let steps = [
                (state, &rd.col_half, 0, false),
                (&rd.col_half, &rd.col_out, 0, true),
                (&rd.col_out, &rd.diag_half, 4, false),
                (&rd.diag_half, &rd.out, 4, true),
            ];
            for (inp, out, base, second) in steps {
                for i in 0..4 {
                    let j = base + i;
                    let mj = &m[2 * j + second as usize];
                    eval_half_g(builder, g_words(inp, j), g_words(out, j), mj, second);
                }
            }
            m = permute(&m);
            state = &rd.out;
        }

        // output words: out_i = v_i ^ v_{i+8}; i < 4 through the bits of row 2,
        // i >= 4 directly from the bits of rows 1 and 3
        for i in 0..4 {
            let l = limbs::<AB>(&local.row2_bits[i]);
            builder.assert_eq(state.row2[i][0], l[0].clone());
            builder.assert_eq(state.row2[i][1], l[1].clone());
            // row0_i = out_i ^ row2_i  <=>  out_i = row0_i ^ row2_i
            xor_32_shift(
                builder,
                &state.row0[i],
                &local.out_lo[i],
                &local.row2_bits[i],
                0,
            );
        }
        let mut out: Vec<Ex<AB>> = Vec::with_capacity(2 * CV_WORDS);
        for w in &local.out_lo {
            out.extend(limbs::<AB>(w));
        }
        for i in 0..4 {
            let x: [Ex<AB>; 32] =
                core::array::from_fn(|b| state.row1[i][b].into().xor(&state.row3[i][b].into()));
            out.push(pack::<AB>(x[..16].iter().cloned()));
            out.push(pack::<AB>(x[16..].iter().cloned()));
        }

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
        let cv_flat: Vec<Ex<AB>> = cv_in.iter().flat_map(|l| l.iter().cloned()).collect();
        BLAKE3_CV.receive(
            builder,
            with_id(s.in_id, &cv_flat),
            Count::bounded(s.real.into() - s.iv.into(), 1),
        );
        let msg_flat: Vec<Ex<AB>> = msg.iter().flat_map(|l| l.iter().cloned()).collect();
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
                [s.slot.into(), idx, w[0].clone(), w[1].clone()],
                Count::bounded(s.send[i].into(), 1),
            );
        }
    }
}

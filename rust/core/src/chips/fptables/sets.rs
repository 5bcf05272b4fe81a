//! Which tuple sets of the 2^16-row table a statement provides.
//!
//! Every set costs the table one multiplicity column and one LogUp fraction column
//! (1 + 4 base columns over 2^16 rows), so a statement provides only the sets its chips
//! look up. The subset is *derived* from the chips' constraints
//! ([`u16_sets_looked_up`]: a symbolic evaluation of every lookup on
//! [`FP_TABLE`]), never hand-listed; a lookup of a set the table does not provide has
//! no matching entry and the LogUp sum does not balance.

use p3_air::symbolic::{AirLayout, BaseLeaf, SymbolicExpr, SymbolicExpression};
use p3_air::{Air, BaseAir};
use p3_field::PrimeField32;
use p3_lookup::InteractionSymbolicBuilder;

use super::content::*;
use super::unary::UnaryFn;
use super::SmallTable;
use crate::chips::bus::FP_TABLE;
use crate::prover::{Challenge, Val};

/// One tuple set of the 2^16-row table, in column order (the fields of
/// [`U16TableCols`](super::U16TableCols)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum U16Set {
    /// `[TAG_FP32_FULL, h, s, e, mh, ovf, cz]`.
    Full,
    /// `[TAG_FP32_FIN, h, s, e, mh]`.
    Fin,
    /// `[TAG_BF16N, h, s, e, sig]`.
    Bf16,
    /// `[TAG_LO16, l, l & 1, l == 0]`.
    Lo16,
    /// `[TAG_VR, 16, h]`.
    Vr16,
    /// `[TAG_VR, m, v]` for `m < 16`.
    VrSmall,
    /// `[TAG_FINPAR, h, h & 1]`.
    FinPar,
    /// `[TAG_HALF, l, ..]`.
    Half,
    /// `[TAG_FP32_NRM, h, ..]`.
    Nrm,
    /// `[TAG_LOZ, l, clz, 2^clz]`.
    Loz,
    /// `[TAG_UNARY, GELU, h, gelu(h)]`.
    Gelu,
    /// `[TAG_UNARY, EXP, h, exp(h)]`.
    Exp,
}

impl U16Set {
    /// Every set, in column order.
    pub const ALL: [U16Set; 12] = [
        U16Set::Full,
        U16Set::Fin,
        U16Set::Bf16,
        U16Set::Lo16,
        U16Set::Vr16,
        U16Set::VrSmall,
        U16Set::FinPar,
        U16Set::Half,
        U16Set::Nrm,
        U16Set::Loz,
        U16Set::Gelu,
        U16Set::Exp,
    ];

    /// The sets a lookup of `tag` (with `key` the tuple element after it, when it is a
    /// constant) may hit; empty for tags of the small tables.
    fn of_lookup(tag: u32, key: Option<u32>) -> U16Sets {
        let one = U16Sets::of;
        match tag {
            TAG_FP32_FULL => one(&[U16Set::Full]),
            TAG_FP32_FIN => one(&[U16Set::Fin]),
            TAG_BF16N => one(&[U16Set::Bf16]),
            TAG_LO16 => one(&[U16Set::Lo16]),
            TAG_VR => match key {
                Some(VR_MAX_BITS) => one(&[U16Set::Vr16]),
                Some(_) => one(&[U16Set::VrSmall]),
                None => one(&[U16Set::Vr16, U16Set::VrSmall]),
            },
            TAG_FINPAR => one(&[U16Set::FinPar]),
            TAG_HALF => one(&[U16Set::Half]),
            TAG_FP32_NRM => one(&[U16Set::Nrm]),
            TAG_LOZ => one(&[U16Set::Loz]),
            TAG_UNARY => match key {
                Some(k) if k == UnaryFn::Gelu as u32 => one(&[U16Set::Gelu]),
                Some(k) if k == UnaryFn::Exp as u32 => one(&[U16Set::Exp]),
                _ => one(&[U16Set::Gelu, U16Set::Exp]),
            },
            _ => U16Sets::NONE,
        }
    }
}

const _: () = assert!(U16Set::ALL.len() == super::NUM_U16_TABLE_COLS);

/// A set of [`U16Set`]s (a bitmask).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct U16Sets(u16);

impl U16Sets {
    /// No set.
    pub const NONE: U16Sets = U16Sets(0);
    /// Every set (the arithmetic statement's table).
    pub const ALL: U16Sets = U16Sets((1 << U16Set::ALL.len()) - 1);

    /// The sets in `sets`.
    pub fn of(sets: &[U16Set]) -> Self {
        sets.iter().fold(Self::NONE, |acc, &s| acc.with(s))
    }

    /// `self` plus `set`.
    pub const fn with(self, set: U16Set) -> Self {
        U16Sets(self.0 | 1 << set as u8)
    }

    /// `self` without `set`.
    pub const fn without(self, set: U16Set) -> Self {
        U16Sets(self.0 & !(1 << set as u8))
    }

    /// The union of two sets.
    pub const fn union(self, other: U16Sets) -> Self {
        U16Sets(self.0 | other.0)
    }

    /// Whether `set` is in.
    pub const fn contains(self, set: U16Set) -> bool {
        self.0 & 1 << set as u8 != 0
    }

    /// Number of sets (= main columns of the table).
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether no set is in.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The sets in column order.
    pub fn iter(self) -> impl Iterator<Item = U16Set> {
        U16Set::ALL.into_iter().filter(move |&s| self.contains(s))
    }

    /// Column of `set` in a table providing `self` (`None` if not provided).
    pub fn column(self, set: U16Set) -> Option<usize> {
        self.iter().position(|s| s == set)
    }
}

fn constant(e: &SymbolicExpression<Val>) -> Option<u32> {
    match e {
        SymbolicExpr::Leaf(BaseLeaf::Constant(c)) => Some(c.as_canonical_u32()),
        _ => None,
    }
}

/// The shared tables a statement's chips look up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TablesUsed {
    /// The sets of the 2^16-row table.
    pub u16: U16Sets,
    /// The small tables, in [`SmallTable::ALL`] order.
    pub small: Vec<SmallTable>,
}

/// The shared tables that `airs` look up: a symbolic evaluation of every query on
/// [`FP_TABLE`] (count weight > 0; table entries have weight 0). A query whose tag is
/// not a constant may hit any table, so it yields every table.
pub fn tables_looked_up<A>(airs: &[A]) -> TablesUsed
where
    A: BaseAir<Val> + Air<InteractionSymbolicBuilder<Val, Challenge>>,
{
    let mut u16 = U16Sets::NONE;
    let mut small = [false; SmallTable::ALL.len()];
    for air in airs {
        let mut b = InteractionSymbolicBuilder::<Val, Challenge>::new(AirLayout::from_air(air));
        air.eval(&mut b);
        for i in b.global_interactions() {
            if i.bus_name != FP_TABLE.name() || i.count_weight == 0 {
                continue;
            }
            let key = i.fields.get(1).and_then(constant);
            let tag = i.fields.first().and_then(constant);
            u16 = u16.union(match tag {
                Some(tag) => U16Set::of_lookup(tag, key),
                None => U16Sets::ALL,
            });
            for (used, t) in small.iter_mut().zip(SmallTable::ALL) {
                *used |= tag.is_none_or(|tag| tag == t.tag());
            }
        }
    }
    TablesUsed {
        u16,
        small: SmallTable::ALL
            .into_iter()
            .zip(small)
            .filter_map(|(t, used)| used.then_some(t))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmask_ops() {
        let s = U16Sets::of(&[U16Set::Fin, U16Set::Loz]);
        assert_eq!(s.len(), 2);
        assert_eq!(s.column(U16Set::Loz), Some(1));
        assert_eq!(s.column(U16Set::Full), None);
        assert_eq!(
            s.without(U16Set::Fin).iter().collect::<Vec<_>>(),
            [U16Set::Loz]
        );
        assert_eq!(U16Sets::ALL.len(), U16Set::ALL.len());
        assert_eq!(U16Sets::ALL.column(U16Set::Exp), Some(11));
    }
}

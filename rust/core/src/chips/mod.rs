//! AIR chips, one directory per chip (columns, air, trace), in the zkVM-precompile
//! pattern: operands travel on LogUp buses declared in [`bus`], shared lookup tables
//! (such as [`range16`]) carry a multiplicity column.

pub mod adamw_update;
pub mod addcore;
pub mod bf16_mac;
pub mod bf16_mul;
pub mod bf16_unary;
pub mod blake3_leaf;
pub mod bus;
pub mod byte_xor;
pub mod fp32_add;
pub mod fp32_div;
pub mod fp32_mul;
pub mod fp32_sqrt;
pub mod fp32_to_bf16;
pub mod fptables;
pub mod opio;
pub mod range16;
pub mod sgd_update;
#[cfg(test)]
pub(crate) mod testing;
pub mod update;

/// Declares an enum over several AIRs that delegates [`p3_air::BaseAir`] and
/// [`p3_air::Air`] to its variants, so one `prove_batch` call can mix chips.
#[macro_export]
macro_rules! air_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $var:ident($ty:ty)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        $vis enum $name { $($(#[$vmeta])* $var($ty)),+ }

        impl<F: p3_field::Field> p3_air::BaseAir<F> for $name {
            fn width(&self) -> usize {
                match self { $(Self::$var(a) => <$ty as p3_air::BaseAir<F>>::width(a)),+ }
            }
            fn preprocessed_trace(&self) -> Option<p3_matrix::dense::RowMajorMatrix<F>> {
                match self { $(Self::$var(a) => <$ty as p3_air::BaseAir<F>>::preprocessed_trace(a)),+ }
            }
            fn preprocessed_width(&self) -> usize {
                match self { $(Self::$var(a) => <$ty as p3_air::BaseAir<F>>::preprocessed_width(a)),+ }
            }
            fn num_public_values(&self) -> usize {
                match self { $(Self::$var(a) => <$ty as p3_air::BaseAir<F>>::num_public_values(a)),+ }
            }
            fn num_periodic_columns(&self) -> usize {
                match self { $(Self::$var(a) => <$ty as p3_air::BaseAir<F>>::num_periodic_columns(a)),+ }
            }
            fn periodic_columns(&self) -> Vec<Vec<F>> {
                match self { $(Self::$var(a) => <$ty as p3_air::BaseAir<F>>::periodic_columns(a)),+ }
            }
            fn periodic_values(&self, row_index: usize) -> Vec<F> {
                match self { $(Self::$var(a) => <$ty as p3_air::BaseAir<F>>::periodic_values(a, row_index)),+ }
            }
            fn main_next_row_columns(&self) -> Vec<usize> {
                match self { $(Self::$var(a) => <$ty as p3_air::BaseAir<F>>::main_next_row_columns(a)),+ }
            }
            fn preprocessed_next_row_columns(&self) -> Vec<usize> {
                match self { $(Self::$var(a) => <$ty as p3_air::BaseAir<F>>::preprocessed_next_row_columns(a)),+ }
            }
        }

        impl<AB: p3_air::AirBuilder> p3_air::Air<AB> for $name
        where
            AB::F: p3_field::Field,
            $($ty: p3_air::Air<AB>),+
        {
            fn eval(&self, builder: &mut AB) {
                match self { $(Self::$var(a) => a.eval(builder)),+ }
            }
        }
    };
}

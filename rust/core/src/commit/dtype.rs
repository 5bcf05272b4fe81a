//! Element types a committed tensor may have. A tensor is committed over its raw
//! little-endian bytes; the dtype is recorded in the tensor entry (by its tag) so the
//! same bytes under two dtypes give two different entries.

use crate::error::{Error, Result};

macro_rules! dtypes {
    ($($variant:ident => $tag:literal, $size:literal, $st:literal, $doc:literal;)*) => {
        /// Element type of a committed tensor.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum DType {
            $(#[doc = $doc] $variant,)*
        }

        impl DType {
            /// Every supported dtype, in a fixed order.
            pub const ALL: &'static [DType] = &[$(DType::$variant),*];

            /// The tag hashed into tensor entries and used by the Python layer (`"bf16"`).
            pub const fn tag(self) -> &'static str {
                match self { $(DType::$variant => $tag,)* }
            }

            /// Size of one element in bytes (always a power of two).
            pub const fn size(self) -> usize {
                match self { $(DType::$variant => $size,)* }
            }

            /// The dtype's name in a safetensors header (`"BF16"`).
            pub const fn safetensors_name(self) -> &'static str {
                match self { $(DType::$variant => $st,)* }
            }
        }
    };
}

dtypes! {
    Bool => "bool", 1, "BOOL", "Boolean, one byte (0 or 1).";
    U8 => "u8", 1, "U8", "Unsigned 8-bit integer.";
    I8 => "i8", 1, "I8", "Signed 8-bit integer.";
    U16 => "u16", 2, "U16", "Unsigned 16-bit integer.";
    I16 => "i16", 2, "I16", "Signed 16-bit integer.";
    U32 => "u32", 4, "U32", "Unsigned 32-bit integer.";
    I32 => "i32", 4, "I32", "Signed 32-bit integer.";
    U64 => "u64", 8, "U64", "Unsigned 64-bit integer.";
    I64 => "i64", 8, "I64", "Signed 64-bit integer.";
    F8E4M3 => "f8_e4m3", 1, "F8_E4M3", "FP8 E4M3 (torch `float8_e4m3fn`).";
    F8E5M2 => "f8_e5m2", 1, "F8_E5M2", "FP8 E5M2 (torch `float8_e5m2`).";
    F16 => "f16", 2, "F16", "IEEE binary16.";
    BF16 => "bf16", 2, "BF16", "bfloat16: the top 16 bits of binary32.";
    F32 => "f32", 4, "F32", "IEEE binary32.";
    F64 => "f64", 8, "F64", "IEEE binary64.";
}

impl DType {
    /// Parses a tag (`"bf16"`), rejecting unknown ones.
    pub fn from_tag(tag: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|d| d.tag() == tag)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unsupported dtype {tag:?} (supported: {})",
                    Self::ALL
                        .iter()
                        .map(|d| d.tag())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    /// Parses a safetensors dtype name (`"BF16"`), rejecting unknown ones.
    pub fn from_safetensors(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|d| d.safetensors_name() == name)
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

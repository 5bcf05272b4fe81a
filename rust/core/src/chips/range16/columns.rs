use core::borrow::{Borrow, BorrowMut};
use core::mem::size_of;

/// Main columns of the range table.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Range16Cols<T> {
    /// How many lookups hit the value in the preprocessed column of this row.
    pub multiplicity: T,
}

/// Width of [`Range16Cols`].
pub const NUM_RANGE16_COLS: usize = size_of::<Range16Cols<u8>>();

impl<T> Borrow<Range16Cols<T>> for [T] {
    fn borrow(&self) -> &Range16Cols<T> {
        debug_assert_eq!(self.len(), NUM_RANGE16_COLS);
        let (prefix, cols, suffix) = unsafe { self.align_to::<Range16Cols<T>>() };
        debug_assert!(prefix.is_empty() && suffix.is_empty());
        &cols[0]
    }
}

impl<T> BorrowMut<Range16Cols<T>> for [T] {
    fn borrow_mut(&mut self) -> &mut Range16Cols<T> {
        debug_assert_eq!(self.len(), NUM_RANGE16_COLS);
        let (prefix, cols, suffix) = unsafe { self.align_to_mut::<Range16Cols<T>>() };
        debug_assert!(prefix.is_empty() && suffix.is_empty());
        &mut cols[0]
    }
}

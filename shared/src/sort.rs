//! One sort for the whole browser bundle. Each `sort_unstable_by` compiles a pattern-defeating
//! quicksort for its element type and comparator, about 3 KB of wasm apiece; these sort a list of
//! positions with the comparison behind a reference, so that the sort is compiled once.

use std::cmp::Ordering;

/// `items` ordered by `compare`; equal items in no particular order.
pub fn sort_by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_positions(&mut order, &|a, b| compare(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .map(|position| slots[position].take().expect("each position once")),
    );
}

/// `items` in ascending order.
pub fn sort<T: Ord>(items: &mut Vec<T>) {
    sort_by(items, T::cmp);
}

fn sort_positions(order: &mut [usize], compare: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_unstable_by(|&a, &b| compare(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_the_standard_sort_and_keeps_every_item() {
        // A deterministic shuffle with duplicates, long enough for the quicksort's partitions.
        let mut items: Vec<(u32, String)> = (0..500u32)
            .map(|i| ((i * 7919) % 61, format!("item {}", (i * 104_729) % 500)))
            .collect();
        let mut expected = items.clone();
        expected.sort();
        sort(&mut items);
        assert_eq!(items, expected);

        let mut by_second = expected.clone();
        sort_by(&mut by_second, |a, b| b.1.cmp(&a.1));
        assert!(by_second.windows(2).all(|w| w[0].1 >= w[1].1));
        let mut again = by_second;
        again.sort();
        assert_eq!(again, expected);

        let mut empty: Vec<String> = Vec::new();
        sort(&mut empty);
        assert!(empty.is_empty());
    }
}

//! The compact order index: growth, hash collisions, numbers added twice, the untagged table.

use super::*;

fn order(amount: i64) -> BookOrder {
    BookOrder { status: OrderStatus::Success, amount, fee: 0, refunded: 0, paid_at: None, seen: Cell::new(false) }
}

#[test]
fn the_table_grows_and_stays_at_most_half_full() {
    let mut b = BookOrders::default();
    for i in 0..10_000 {
        b.insert(&format!("P{i}"), order(i));
        assert!(b.table.len() >= b.len() * 2, "{} entries in {} slots", b.len(), b.table.len());
    }
    assert_eq!(b.table.iter().filter(|&&v| v != 0).count(), 10_000);
    for i in (0..10_000).rev() {
        assert_eq!(b.get(&format!("P{i}")).map(|o| o.amount), Some(i));
    }
    for no in ["", "P", "P10000", "P-1", "p1", "P01"] {
        assert!(b.get(no).is_none(), "{no:?}");
    }
    assert_eq!(b.names.len(), b.iter().map(|(n, _)| n.len()).sum::<usize>(), "each number once in the arena");
}

#[test]
fn numbers_with_the_same_hash_are_told_apart_by_their_bytes() {
    let mut b = BookOrders::default();
    b.grow_for(8, 0);
    let h = hash_of("P1");
    for (k, no) in ["P1", "P2", "P3"].into_iter().enumerate() {
        let i = b.append(no, order(k as i64));
        assert_eq!(b.put(h, i), None, "{no} is indexed beside the others");
    }
    assert_eq!([b.find("P1", h), b.find("P2", h), b.find("P3", h), b.find("P4", h)], [Some(0), Some(1), Some(2), None]);
    let again = b.append("P2", order(9));
    assert_eq!(b.put(h, again), Some(1), "the same number is found, not indexed twice");
}

#[test]
fn a_table_past_2_to_the_24_slots_keeps_positions_only_and_finds_all_the_same() {
    assert_eq!(tag_and_mask(0xAB, TAGGED_UP_TO), (0xAB00_0000, 0x00FF_FFFF));
    assert_eq!(tag_and_mask(0xAB, TAGGED_UP_TO + 1), (0, u32::MAX));
    let mut b = BookOrders { table: vec![0; TAGGED_UP_TO + 1], ..Default::default() };
    for i in 0..1000 {
        b.insert(&format!("P{i}"), order(i));
    }
    assert_eq!(b.table.len(), TAGGED_UP_TO + 1, "no growth needed");
    assert!(b.table.iter().filter(|&&v| v != 0).all(|&v| v <= 1000), "positions only");
    assert!((0..1000).all(|i| b.get(&format!("P{i}")).map(|o| o.amount) == Some(i)));
    assert!(b.get("P1000").is_none());
}

#[test]
fn a_number_three_times_in_bulk_keeps_its_first_place_and_last_values() {
    let mut b = BookOrders::default();
    let mut bulk = b.bulk(0);
    for (no, amount) in [("P1", 1), ("P2", 2), ("P1", 3), ("P3", 4), ("P1", 5)] {
        bulk.push(no, order(amount));
    }
    bulk.finish();
    let all: Vec<(&str, i64)> = b.iter().map(|(n, o)| (n, o.amount)).collect();
    assert_eq!(all, [("P1", 5), ("P2", 2), ("P3", 4)]);
    assert_eq!((b.get("P3").map(|o| o.amount), b.get("P4")), (Some(4), None));
    // Inserting after a bulk replaces in place or appends.
    b.insert("P2", order(7));
    b.insert("P4", order(8));
    let all: Vec<(&str, i64)> = b.iter().map(|(n, o)| (n, o.amount)).collect();
    assert_eq!(all, [("P1", 5), ("P2", 7), ("P3", 4), ("P4", 8)]);
}

#[test]
fn an_empty_book_finds_nothing() {
    let b = BookOrders::default();
    assert!(b.is_empty() && b.get("P1").is_none() && b.iter().next().is_none());
    let mut b = BookOrders::default();
    b.bulk(10).finish();
    assert!(b.is_empty() && b.get("").is_none());
}

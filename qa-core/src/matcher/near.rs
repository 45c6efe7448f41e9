//! `near`: chains that use one occurrence of each item, in position order, with at most
//! `within` normalized characters between one item's end and the next one's start.

use super::Hit;
use crate::normalize::Normalized;

/// The budget of a `near` search ran out (see `Limits::max_near_steps`).
#[derive(Debug)]
pub(crate) struct OutOfSteps;

/// Finds, for each occurrence that can start a chain, every chain from it, and pushes one match
/// per distinct end: every chain is a match (a rule's `except` is applied to each before a rule's
/// overlapping matches are merged into one, so chains from one start are not merged here). `occ` holds (span, item) pairs; `k` is the number of items (at most
/// `NEAR_MAX_ITEMS`, so a set of items fits a `u64`). Every occurrence looked at from a chain is
/// one step; past `max_steps`, the search stops with an error rather than a partial answer.
pub(crate) fn chains(
    occ: &[(Hit, usize)],
    k: usize,
    within: usize,
    norm: &Normalized,
    max_steps: usize,
    out: &mut Vec<Hit>,
) -> Result<(), OutOfSteps> {
    // the character index of every start and end, in one pass over the text
    let mut offsets: Vec<usize> = occ
        .iter()
        .flat_map(|(s, _)| [s.start as usize, s.end as usize])
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let chars = norm.char_indices(&offsets);
    let char_of = |byte: u32| chars[offsets.partition_point(|&o| o < byte as usize)];
    let mut occ: Vec<(usize, usize, Hit, usize)> = occ
        .iter()
        .map(|&(s, item)| (char_of(s.start), char_of(s.end), s, item))
        .collect();
    occ.sort_unstable_by_key(|o| (o.0, o.1, o.3));
    occ.dedup();
    let bit = |item: usize| 1u64.checked_shl(item as u32).unwrap_or(0);
    let full: u64 = if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
    let mut steps: usize = 0;
    // depth-first search from every start occurrence; (index, items, end char, end byte)
    let mut stack: Vec<(usize, u64, usize, u32)> = Vec::new();
    let mut ends: Vec<u32> = Vec::new();
    for i in 0..occ.len() {
        stack.clear();
        ends.clear();
        stack.push((i, bit(occ[i].3), occ[i].1, occ[i].2.end));
        while let Some((j, mask, end_char, end_byte)) = stack.pop() {
            if mask == full {
                ends.push(end_byte);
                continue;
            }
            for (l, o) in occ.iter().enumerate().skip(j + 1) {
                if o.0 > end_char.saturating_add(within) {
                    break;
                }
                steps += 1;
                if steps > max_steps {
                    return Err(OutOfSteps);
                }
                if mask & bit(o.3) != 0 {
                    continue;
                }
                stack.push((l, mask | bit(o.3), end_char.max(o.1), end_byte.max(o.2.end)));
            }
        }
        ends.sort_unstable();
        ends.dedup();
        out.extend(ends.iter().map(|&end| Hit {
            start: occ[i].2.start,
            end,
        }));
    }
    Ok(())
}

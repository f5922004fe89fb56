//! Times the Rust aho-corasick crate (DFA, ASCII case-insensitive, standard
//! semantics) over the corpus and pattern files that
//! earshot's cmd/matchbench writes, on one thread, and prints one JSON object.
//!
//! Usage: earshot-peers-rust CORPUS PATTERNS PASSES
//!   CORPUS   posts as [u32 little-endian length][bytes]... (lower-cased text)
//!   PATTERNS one literal per line (lower-cased)
//!   PASSES   number of timed passes over the corpus
//!
//! It scans with find_overlapping_iter (every match, what a listening engine
//! needs) and with find_iter (non-overlapping), interleaved, and reports the
//! wall-clock and thread CPU time of every pass.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::time::Instant;

fn die(msg: String) -> ! {
    eprintln!("earshot-peers-rust: {msg}");
    std::process::exit(2);
}

fn read_corpus(path: &str) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap_or_else(|e| die(format!("cannot read {path}: {e}")));
    let mut posts = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if i + 4 > data.len() {
            die(format!("{path}: truncated length at byte {i}"));
        }
        let n = u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]) as usize;
        i += 4;
        if i + n > data.len() {
            die(format!("{path}: truncated post at byte {i}"));
        }
        posts.push(data[i..i + n].to_vec());
        i += n;
    }
    posts
}

fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in s.lines() {
        if let Some(rest) = line.strip_prefix(field) {
            return rest
                .trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .unwrap_or(0);
        }
    }
    0
}

/// CPU time this thread has run, in ns (first field of schedstat); 0 when
/// the kernel does not provide it.
fn thread_cpu_ns() -> u128 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|f| f.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        die("usage: earshot-peers-rust CORPUS PATTERNS PASSES".to_string());
    }
    let posts = read_corpus(&args[1]);
    let pats_text = std::fs::read_to_string(&args[2])
        .unwrap_or_else(|e| die(format!("cannot read {}: {e}", args[2])));
    let patterns: Vec<&str> = pats_text.lines().filter(|l| !l.is_empty()).collect();
    let passes: usize = args[3]
        .parse()
        .unwrap_or_else(|e| die(format!("bad PASSES {:?}: {e}", args[3])));
    let bytes: usize = posts.iter().map(|p| p.len()).sum();

    let rss_before = status_kb("VmRSS");
    let t0 = Instant::now();
    let ac = AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::DFA))
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&patterns)
        .unwrap_or_else(|e| die(format!("cannot build automaton: {e}")));
    let build_ns = t0.elapsed().as_nanos();
    let rss_after = status_kb("VmRSS");

    // Two ways to scan: every (overlapping) match, which is what a
    // listening engine needs, and the default non-overlapping find_iter.
    let count = |overlapping: bool, hay: &[u8]| -> u64 {
        if overlapping {
            ac.find_overlapping_iter(hay).count() as u64
        } else {
            ac.find_iter(hay).count() as u64
        }
    };
    let mut modes = Vec::new();
    for overlapping in [true, false] {
        // Warm-up pass with the match counts.
        let (mut matches, mut matched_posts) = (0u64, 0u64);
        for p in &posts {
            let n = count(overlapping, p);
            matches += n;
            matched_posts += (n > 0) as u64;
        }
        modes.push((overlapping, matches, matched_posts, Vec::new(), Vec::new()));
    }
    // Timed passes, the two modes interleaved.
    for _ in 0..passes {
        for (overlapping, matches, _, pass_ns, pass_cpu_ns) in modes.iter_mut() {
            let c = thread_cpu_ns();
            let t = Instant::now();
            let mut m = 0u64;
            for p in &posts {
                m += count(*overlapping, p);
            }
            pass_ns.push(t.elapsed().as_nanos());
            pass_cpu_ns.push(thread_cpu_ns() - c);
            if m != *matches {
                die(format!("match count changed between passes: {m} != {matches}"));
            }
        }
    }
    let list = |v: &[u128]| v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(",");
    let scans: Vec<String> = modes
        .iter()
        .map(|(overlapping, matches, matched_posts, pass_ns, pass_cpu_ns)| {
            format!(
                "{{\"overlapping\":{overlapping},\"matches\":{matches},\"matched_posts\":{matched_posts},\"pass_ns\":[{}],\"pass_cpu_ns\":[{}]}}",
                list(pass_ns),
                list(pass_cpu_ns)
            )
        })
        .collect();
    println!(
        "{{\"patterns\":{},\"posts\":{},\"bytes\":{},\"build_ns\":{},\"memory_usage\":{},\"rss_growth_kb\":{},\"max_rss_kb\":{},\"scans\":[{}]}}",
        patterns.len(),
        posts.len(),
        bytes,
        build_ns,
        ac.memory_usage(),
        rss_after.saturating_sub(rss_before),
        status_kb("VmHWM"),
        scans.join(",")
    );
}

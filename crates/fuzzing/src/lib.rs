//! Support for frontdesk's stable-Rust fuzz harnesses (`tests/fuzz_*.rs` in the crates that
//! read untrusted input). The harnesses are `proptest` properties that run as ordinary short
//! tests in `cargo test`; the same harness runs a long campaign when `FRONTDESK_FUZZ_CASES` is
//! set (the server README has the commands).
//!
//! Every harness caps its input size (`MAX_INPUT_BYTES`), each case's time (`check_time`) and
//! each case's memory (`MeteredAlloc`, installed as the test binary's global allocator), so a
//! huge length field in an input shows up as a failed property, not an out-of-memory abort.

pub use proptest;

use proptest::test_runner::{Config, RngSeed, TestCaseError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Environment variable that sets the number of cases of every harness (long runs).
pub const CASES_ENV: &str = "FRONTDESK_FUZZ_CASES";
/// Environment variable with the random seed (a number); CI uses `DEFAULT_SEED`, so a short
/// run is the same run every time and a red CI is a reproducible finding.
pub const SEED_ENV: &str = "FRONTDESK_FUZZ_SEED";
pub const DEFAULT_SEED: u64 = 25;
/// Largest input a harness generates: far above real requests (64 KiB body limit) and
/// knowledge pages, small enough that a case stays fast.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;
/// The time a single case may take before it counts as a finding (a quadratic path, a loop).
pub const CASE_TIME_LIMIT: Duration = Duration::from_secs(2);
/// Memory a single case may allocate above what it held when it started, beyond a multiple
/// of its input: enough for every parser's honest work, far below what a trusted length
/// field would claim.
pub const CASE_MEMORY_BASE: usize = 64 << 20;
pub const CASE_MEMORY_PER_INPUT_BYTE: usize = 256;
/// One allocation this large is refused (the process then aborts with the allocator's
/// message): no input of `MAX_INPUT_BYTES` justifies it.
pub const REFUSED_ALLOCATION: usize = 2 << 30;

/// Cases per harness: `default` in CI, or `FRONTDESK_FUZZ_CASES` for a long run.
pub fn cases(default: u32) -> u32 {
    std::env::var(CASES_ENV)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The proptest configuration every harness uses: no failure files in the source tree (a
/// finding becomes a named regression test instead), a bounded shrink.
pub fn config(default_cases: u32) -> Config {
    warm_up_backtraces();
    let seed = std::env::var(SEED_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_SEED);
    Config {
        cases: cases(default_cases),
        failure_persistence: None,
        max_shrink_iters: 4096,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    }
}

/// A string strategy for the regular expression `pattern`, compiled once. proptest's `&str`
/// strategy compiles its pattern again for every string it generates (a `\PC` class builds its
/// Unicode tables each time), which was most of a case's time in the harnesses that build an
/// input from a few hundred pieces; this one generates the same strings from the same random
/// numbers, so a seed still names the same inputs.
pub fn regex(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
    proptest::string::string_regex(pattern)
        .unwrap_or_else(|e| panic!("strategy pattern {pattern:?}: {e}"))
}

thread_local! {
    static SCRATCH: tempfile::TempDir = tempfile::tempdir().expect("a scratch folder for fuzz cases");
}

/// This thread's scratch folder for the files a case writes: made on first use and removed
/// when the thread ends (each test runs on its own thread). Every case writes its files here
/// under the same names (`write_case_file`), so a long run does not make and remove a folder
/// per input: on the build machine's ext4 that took about 0.15 ms a case with a quiet disk and
/// about 3 ms while other builds used it, far more than the code under test. That code reads
/// the file as it would from a fresh folder.
pub fn scratch_dir() -> PathBuf {
    SCRATCH.with(|d| d.path().to_path_buf())
}

/// Writes `bytes` as the file `name` in this thread's scratch folder and returns its path: a
/// new file each time, as in a fresh folder. The previous case's file is removed first, not
/// truncated: ext4 writes a file that was truncated and written again back to disk when it is
/// closed (its guard for programs that replace a file that way), 1.5 to 3 ms per file on the
/// build machine, where a new file costs about 20 µs.
pub fn write_case_file(name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let path = scratch_dir().join(name);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::write(&path, bytes)?;
    Ok(path)
}

/// With `RUST_BACKTRACE` set, an error that carries a backtrace (candle's do) loads the test
/// binary's debug information the first time one is printed: a few hundred MB, once, kept as
/// a cache. Loading it before the first case keeps that one-off out of every case's memory.
fn warm_up_backtraces() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let bt = std::backtrace::Backtrace::capture();
        if bt.status() == std::backtrace::BacktraceStatus::Captured {
            let _ = bt.to_string();
        }
    });
}

/// Fails the case when it ran longer than `CASE_TIME_LIMIT`.
pub fn check_time(started: Instant, what: &str) -> Result<(), TestCaseError> {
    let took = started.elapsed();
    if took > CASE_TIME_LIMIT {
        return Err(TestCaseError::fail(format!(
            "{what} took {took:?} (limit {CASE_TIME_LIMIT:?})"
        )));
    }
    Ok(())
}

/// Fails the case when it allocated more than its budget for `input_len` bytes of input.
pub fn check_memory(peak: usize, input_len: usize, what: &str) -> Result<(), TestCaseError> {
    let budget = CASE_MEMORY_BASE + CASE_MEMORY_PER_INPUT_BYTE * input_len;
    if peak > budget {
        return Err(TestCaseError::fail(format!(
            "{what} allocated {peak} bytes at its peak for {input_len} bytes of input (budget {budget})"
        )));
    }
    Ok(())
}

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

/// Runs `f` and returns its result with the most bytes this thread held at once above what
/// it held at the start (needs `MeteredAlloc` as the global allocator).
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let r = f();
    let peak = PEAK.with(Cell::get);
    (r, usize::try_from(peak - start).unwrap_or(0))
}

fn account(delta: i64) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|p| {
            if now > p.get() {
                p.set(now)
            }
        });
    });
}

/// The system allocator with a per-thread meter (for `measure`) and a refusal of single
/// allocations of `REFUSED_ALLOCATION` bytes or more. Install it in a harness binary:
/// `#[global_allocator] static ALLOC: MeteredAlloc = MeteredAlloc;`
pub struct MeteredAlloc;

// SAFETY: every call is forwarded to `System` with the same layout; the meter only reads and
// writes thread-local counters that have no destructor.
unsafe impl GlobalAlloc for MeteredAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= REFUSED_ALLOCATION {
            return std::ptr::null_mut();
        }
        account(layout.size() as i64);
        // SAFETY: same layout, caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= REFUSED_ALLOCATION {
            return std::ptr::null_mut();
        }
        account(layout.size() as i64);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        account(-(layout.size() as i64));
        // SAFETY: `ptr` came from this allocator (so from `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= REFUSED_ALLOCATION {
            return std::ptr::null_mut();
        }
        account(new_size as i64 - layout.size() as i64);
        // SAFETY: `ptr` came from `System` with `layout`; caller upholds the contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static ALLOC: MeteredAlloc = MeteredAlloc;

    #[test]
    fn the_meter_sees_a_large_allocation_and_the_budget_rejects_it() {
        let (v, peak) = measure(|| vec![1u8; 100 << 20]);
        assert!(peak >= 100 << 20, "{peak}");
        drop(v);
        assert!(check_memory(peak, 10, "a 100 MB buffer").is_err());
        let (_, small) = measure(|| vec![0u8; 1000].len());
        assert!(check_memory(small, 10, "a small buffer").is_ok());
    }

    #[test]
    fn a_compiled_pattern_generates_what_the_str_strategy_generates() {
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;
        for pattern in ["\\PC{0,24}", "[a-z_]{1,10}", "FRONTDESK_[A-Z_]{0,20}"] {
            let compiled = regex(pattern);
            let mut a = TestRunner::new(config(1));
            let mut b = TestRunner::new(config(1));
            for _ in 0..500 {
                let x = pattern.new_tree(&mut a).unwrap().current();
                let y = compiled.new_tree(&mut b).unwrap().current();
                assert_eq!(x, y, "{pattern}");
            }
        }
    }

    #[test]
    fn the_case_count_comes_from_the_environment_when_set() {
        // Not set in CI: the default applies.
        if std::env::var_os(CASES_ENV).is_none() {
            assert_eq!(cases(17), 17);
        }
        assert!(check_time(Instant::now() - Duration::from_secs(3), "x").is_err());
    }
}

//! The contents of a stackwatch directory as owned, serializable values:
//! what the parsers in `stackwatch-core` read, kept for rendering.

use serde::Serialize;

/// One function's statistics (or the `(all)` row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FunctionStats {
    /// Function name, or `(all)`.
    pub name: String,
    /// On-stack hits.
    pub hits: u64,
    /// Deepest use at entry, bytes.
    pub max_used: u64,
    /// Fewest bytes left at entry.
    pub min_remaining: u64,
    /// Hits that left fewer bytes than the threshold.
    pub below_threshold: u64,
    /// Per configured budget (same order as [`Summary::budgets`]): hits that
    /// would have overflowed it.
    pub over_budget: Vec<u64>,
}

/// Module-wide counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Hits not on the task stack (IRQ stacks).
    pub off_stack: u64,
    /// Hits on functions that found no free slot.
    pub dropped: u64,
    /// New maxima whose chain was not stored.
    pub trace_busy: u64,
    /// Threshold warnings printed.
    pub warnings: u64,
    /// Threshold warnings not printed (rate limit).
    pub warnings_suppressed: u64,
}

/// The `summary` file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// THREAD_SIZE of the kernel.
    pub thread_size: u64,
    /// Threshold in remaining bytes (0: off).
    pub threshold: u64,
    /// Whether probes were counting.
    pub enabled: bool,
    /// Configured what-if budgets, bytes.
    pub budgets: Vec<u64>,
    /// Functions, deepest first.
    pub functions: Vec<FunctionStats>,
    /// The `(all)` row.
    pub all: FunctionStats,
    /// Module counters.
    pub counters: Counters,
}

impl Summary {
    /// The statistics of `name`, if it was hit.
    pub fn function(&self, name: &str) -> Option<&FunctionStats> {
        self.functions.iter().find(|f| f.name == name)
    }
}

/// A source position of a frame, from DWARF.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceLine {
    /// Function (the inlined one for inlined frames).
    pub function: Option<String>,
    /// Source file.
    pub file: Option<String>,
    /// Line.
    pub line: Option<u32>,
    /// Column.
    pub column: Option<u32>,
    /// True if this function was inlined into the next entry.
    pub inlined: bool,
}

/// One frame of a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// Stack bytes of the frame.
    pub size: u64,
    /// The symbol as the kernel printed it.
    pub symbol: String,
    /// Function name.
    pub function: String,
    /// Offset into the function.
    pub offset: Option<u64>,
    /// Size of the function.
    pub function_size: Option<u64>,
    /// Module, for module functions.
    pub module: Option<String>,
    /// Source positions, innermost inlined function first (empty unless
    /// symbolized).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<SourceLine>,
}

/// A call chain: the deepest one seen for a function, or overall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chain {
    /// The probed function (frame 0).
    pub function: String,
    /// Used bytes when captured.
    pub used: u64,
    /// Bytes left then.
    pub remaining: u64,
    /// Task id.
    pub pid: u64,
    /// Task name.
    pub comm: String,
    /// Frames, innermost (the probed function) first.
    pub frames: Vec<Frame>,
}

/// The `max_trace` file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MaxTrace {
    /// THREAD_SIZE of the kernel.
    pub thread_size: u64,
    /// The deepest chain, if any was recorded.
    pub chain: Option<Chain>,
}

/// One row of the histogram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistogramRow {
    /// Function name, or `(all)`.
    pub name: String,
    /// Hits per bucket.
    pub counts: Vec<u64>,
}

/// The `histogram` file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Histogram {
    /// Bucket width, bytes.
    pub bucket_width: u64,
    /// Lower bound of each bucket, bytes.
    pub bounds: Vec<u64>,
    /// Rows, functions then `(all)`.
    pub rows: Vec<HistogramRow>,
}

/// An attached probe spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttachedProbe {
    /// Symbol or glob.
    pub spec: String,
    /// `kprobe` or `fprobe`.
    pub mechanism: String,
    /// Functions covered.
    pub functions: u64,
    /// Hits.
    pub hits: u64,
    /// Hits off the task stack.
    pub off_stack: u64,
    /// Hits the mechanism missed.
    pub missed: u64,
}

/// A name that could not be attached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedProbe {
    /// The name.
    pub name: String,
    /// Errno name.
    pub errno_name: String,
    /// Errno value (negative).
    pub errno: i64,
}

/// The `probes` file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Probes {
    /// Attached specs.
    pub attached: Vec<AttachedProbe>,
    /// Names and globs waiting for a module that has them (`spec`,
    /// `kprobe`/`fprobe`).
    pub pending: Vec<(String, String)>,
    /// Skipped names.
    pub skipped: Vec<SkippedProbe>,
}

/// One row of the `budgets` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetTotal {
    /// Budget, bytes.
    pub budget: u64,
    /// Hits that would have overflowed it.
    pub over: u64,
}

/// Everything read from one directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// Where it was read from.
    pub source: String,
    /// `uname -r` of the kernel, if the snapshot recorded it.
    pub osrelease: Option<String>,
    /// The summary (always present).
    pub summary: Summary,
    /// Per-function chains, deepest function first.
    pub traces: Option<Vec<Chain>>,
    /// The deepest chain overall.
    pub max_trace: Option<MaxTrace>,
    /// Depth histograms.
    pub histogram: Option<Histogram>,
    /// Attached and skipped probes.
    pub probes: Option<Probes>,
    /// Totals per budget.
    pub budgets: Option<Vec<BudgetTotal>>,
    /// Every live thread's deepest point, read off the thread stacks.
    pub tasks: Option<Tasks>,
}

impl Snapshot {
    /// Every recorded chain: the per-function chains (deepest function
    /// first), or, without a `traces` file, the deepest chain overall.
    pub fn recorded_chains(&self) -> Vec<&Chain> {
        match (&self.traces, &self.max_trace) {
            (Some(t), _) if !t.is_empty() => t.iter().collect(),
            (_, Some(m)) => m.chain.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The stored chain of `function`, if any.
    pub fn chain(&self, function: &str) -> Option<&Chain> {
        self.traces
            .as_ref()?
            .iter()
            .find(|c| c.function == function)
    }
}

/// One thread of the `tasks` file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ThreadUse {
    /// Thread id.
    pub pid: i32,
    /// `comm`.
    pub comm: String,
    /// Deepest point its stack reached since it started, bytes.
    pub used: u64,
}

/// A thread's deepest point with the return addresses found just above it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeepestPoint {
    /// The thread.
    pub thread: ThreadUse,
    /// Return addresses, innermost first, as the kernel symbolized them
    /// (stale stack words: a heuristic chain).
    pub frames: Vec<String>,
}

/// The `tasks` file: the deepest threads, deepest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tasks {
    /// Threads scanned.
    pub threads: u64,
    /// The deepest of them.
    pub rows: Vec<ThreadUse>,
    /// The deepest few, with the frames above their deepest point.
    pub points: Vec<DeepestPoint>,
}

/// Percentage of `part` in `whole` (0 if `whole` is 0).
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

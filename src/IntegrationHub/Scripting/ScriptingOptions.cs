using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Scripting;

/// <summary>
/// Limits for Source Scripts, section <c>Scripting</c>. Every limit is on by default: a script is user code and one
/// endless loop, memory bomb or runaway recursion must fail its own run, never the node. The time limit is not here:
/// it is each scenario's <c>TimeoutSeconds</c>.
/// </summary>
internal sealed class ScriptingOptions
{
    public const string SectionName = "Scripting";

    /// <summary>
    /// Bytes a script may hold during one run. Default 268,435,456 (256 MiB); range 1 MiB to 16 GiB. Jint counts what the
    /// executing thread allocates, garbage included; before stopping a script over the limit the sandbox collects and
    /// measures again, so only what the script holds stops it, not what it made and dropped (docs/scripts.md, Limits).
    /// </summary>
    [Range(1L << 20, 1L << 34)]
    public long MemoryLimitBytes { get; set; } = 256L << 20;

    /// <summary>Statements a script may execute in one run. Default 10,000,000; range 1,000 to 2,147,483,647.</summary>
    [Range(1_000, int.MaxValue)]
    public int MaxStatements { get; set; } = 10_000_000;

    /// <summary>
    /// How deep script functions may call each other. Default 500; range 1 to 10,000. Jint's stack guard also turns
    /// a native stack overflow into a RangeError, so a high value fails the run instead of the process.
    /// </summary>
    [Range(1, 10_000)]
    public int RecursionLimit { get; set; } = 500;

    /// <summary>
    /// Scripts this node executes at the same moment. Default: one per processor. A script holds its thread while it
    /// runs (Jint cannot yield), so more than the processors can serve would only take threads from the web server;
    /// runs past this number wait for a turn without holding a thread. Range 1 to 1024.
    /// </summary>
    [Range(1, 1024)]
    public int MaxConcurrentScripts { get; set; } = Environment.ProcessorCount;

    /// <summary>Log lines a script may write to its run's log; later lines are dropped. Default 1,000; range 0 to 100,000.</summary>
    [Range(0, 100_000)]
    public int MaxLogLines { get; set; } = 1_000;

    /// <summary>Characters kept of one log line; the rest is cut. Default 4,096; range 80 to 1,048,576.</summary>
    [Range(80, 1 << 20)]
    public int MaxLogLineLength { get; set; } = 4_096;

    /// <summary>
    /// Parsed scripts kept in memory, one per scenario (its latest version). Default 1,000; range 1 to 1,000,000.
    /// A miss only costs a parse.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PreparedScriptCacheSize { get; set; } = 1_000;
}

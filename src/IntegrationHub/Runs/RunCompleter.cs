using IntegrationHub.Data;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Runs;

/// <summary>An attempt's outcome to record, by the node that holds the run's lease.</summary>
internal sealed record RunCompletion(Run Run, RunOutcome Outcome, string Owner);

/// <summary>
/// Records run outcomes by group commit, as <see cref="RunQueue"/> enqueues: runs that end meanwhile are recorded
/// (with their storage changes) in one transaction, and each worker is answered after the commit. Short runs end by
/// the hundred per second; one transaction each would keep SQLite's single writer, or PostgreSQL's WAL flushes, busy
/// with them and leave the trigger path waiting.
/// </summary>
internal sealed class RunCompleter : IAsyncDisposable
{
    private readonly GroupCommit<RunCompletion, RunStatus?> _writer;

    public RunCompleter(RunStore store, IOptions<RunsOptions> options, TimeProvider time, ILogger<RunCompleter> logger) =>
        _writer = new GroupCommit<RunCompletion, RunStatus?>(
            batch => store.CompleteAsync(batch, time.GetUtcNow(), CancellationToken.None), options.Value.MaxEnqueueBatch, "run outcomes", logger);

    /// <summary>Records <paramref name="completion"/>; returns the status recorded once committed, or null when the lease was lost.</summary>
    public Task<RunStatus?> CompleteAsync(RunCompletion completion) => _writer.CommitAsync(completion, CancellationToken.None);

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}

using System.Threading.Channels;
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
internal sealed partial class RunCompleter : IAsyncDisposable
{
    private readonly RunStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<RunCompleter> _logger;
    private readonly int _maxBatch;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public RunCompleter(RunStore store, IOptions<RunsOptions> options, TimeProvider time, ILogger<RunCompleter> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _maxBatch = options.Value.MaxEnqueueBatch;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Records <paramref name="completion"/>; returns the status recorded once committed, or null when the lease was lost.</summary>
    public async Task<RunStatus?> CompleteAsync(RunCompletion completion)
    {
        var pending = new Pending(completion, new TaskCompletionSource<RunStatus?>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The run completer is shutting down.");
        }
        return await pending.Result.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _pending.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await CommitAsync(batch);
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                // One bad outcome (a storage value the database refuses, say) must not fail the others: one by one.
                LogBatchFailed(_logger, batch.Count, ex);
                foreach (var pending in batch)
                {
                    try
                    {
                        await CommitAsync([pending]);
                    }
                    catch (Exception single)
                    {
                        pending.Result.TrySetException(single);
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Result.TrySetException(ex);
            }
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        var statuses = await _store.CompleteAsync([.. batch.Select(p => p.Completion)], _time.GetUtcNow(), CancellationToken.None);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Result.TrySetResult(statuses[i]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {Count} run outcomes in one transaction failed; recording them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    private sealed record Pending(RunCompletion Completion, TaskCompletionSource<RunStatus?> Result);
}

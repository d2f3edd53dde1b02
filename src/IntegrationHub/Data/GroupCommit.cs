using System.Threading.Channels;

namespace IntegrationHub.Data;

/// <summary>
/// Group commit: callers hand in items, one loop takes whatever arrived meanwhile (up to a batch) and commits it in
/// one transaction, and each caller is answered only after that commit. One commit then carries hundreds of items,
/// which is what makes durable writes cheap. A group that fails is committed again item by item, so one bad item
/// (say, of a scenario deleted a moment ago) fails alone; unless the database is unreachable or full, which fails them all.
/// </summary>
/// <typeparam name="TItem">What callers hand in.</typeparam>
/// <typeparam name="TResult">What each caller gets back once its item is committed.</typeparam>
internal sealed partial class GroupCommit<TItem, TResult> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TItem>, Task<TResult[]>> _commit;
    private readonly int _maxBatch;
    private readonly string _what;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    /// <param name="commit">Commits a group in one transaction and returns each item's result, in order.</param>
    /// <param name="what">The items' name for the log, plural ("runs").</param>
    public GroupCommit(Func<IReadOnlyList<TItem>, Task<TResult[]>> commit, int maxBatch, string what, ILogger logger)
    {
        _commit = commit;
        _maxBatch = maxBatch;
        _what = what;
        _logger = logger;
        _loop = Task.Run(CommitLoopAsync);
    }

    /// <summary>Returns <paramref name="item"/>'s result once its group has committed.</summary>
    /// <remarks>A cancelled caller stops waiting; its item may still commit, as if the caller had gone away after the commit.</remarks>
    public async Task<TResult> CommitAsync(TItem item, CancellationToken cancellationToken)
    {
        var pending = new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException($"The writer of {_what} is shutting down.");
        }
        return await pending.Result.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops taking items and waits for the groups already handed in.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop;
    }

    private async Task CommitLoopAsync()
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
                await CommitGroupAsync(batch);
            }
            catch (Exception ex) when (batch.Count > 1 && DatabaseErrors.Classify(ex) is DatabaseTrouble.Unreachable or DatabaseTrouble.DiskFull)
            {
                // The database's trouble, not an item's: one by one, each would wait out the same connection timeout (a
                // group of 512 for hours, its callers with it) and fail the same way.
                foreach (var pending in batch)
                {
                    pending.Result.TrySetException(ex);
                }
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                LogGroupFailed(_logger, batch.Count, _what, ex);
                foreach (var pending in batch)
                {
                    try
                    {
                        await CommitGroupAsync([pending]);
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

    private async Task CommitGroupAsync(List<Pending> batch)
    {
        var results = await _commit([.. batch.Select(p => p.Item)]);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Result.TrySetResult(results[i]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing {Count} {What} in one transaction failed; committing them one by one")]
    private static partial void LogGroupFailed(ILogger logger, int count, string what, Exception exception);

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult> Result);
}

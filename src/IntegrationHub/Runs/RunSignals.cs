using System.Collections.Concurrent;
using System.Threading.Channels;

namespace IntegrationHub.Runs;

/// <summary>
/// In-process wake-ups: the queue tells the workers that runs arrived (so they claim within milliseconds instead of on
/// the next poll), the workers tell waiters that a run ended, and cancellations and deleted scenarios tell the workers to stop runs.
/// </summary>
internal sealed class RunSignals
{
    // Capacity one, extra writes dropped: a burst of enqueues wakes the worker once, and one claim takes them all.
    private readonly Channel<bool> _work = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _waiters = new();

    /// <summary>Runs may be claimable: new ones arrived, or a run ended and freed its scenario's slot.</summary>
    public void WorkAvailable() => _work.Writer.TryWrite(true);

    /// <summary>Waits for <see cref="WorkAvailable"/> or until <paramref name="timeout"/> passes.</summary>
    public async Task WaitForWorkAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_work.Reader.TryRead(out _))
        {
            return;
        }
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        try
        {
            await _work.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval passed: look anyway, a run may have become available by time (retry backoff).
        }
    }

    /// <summary>Raised with the id of a Running run a user cancelled; the worker executing it stops it.</summary>
    public event Action<Guid>? CancelRequested;

    public void RequestCancel(Guid runId) => CancelRequested?.Invoke(runId);

    /// <summary>Raised with the id of a deleted scenario; the workers stop its runs, which were deleted with it.</summary>
    public event Action<Guid>? ScenarioDeleted;

    public void DeletedScenario(Guid scenarioId) => ScenarioDeleted?.Invoke(scenarioId);

    /// <summary>A task that completes when this node records the end of <paramref name="runId"/>.</summary>
    public Task RunEnded(Guid runId) =>
        _waiters.GetOrAdd(runId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Stops tracking a run nobody waits for any more.</summary>
    public void ForgetWaiter(Guid runId) => _waiters.TryRemove(runId, out _);

    public void Ended(Guid runId)
    {
        if (_waiters.TryRemove(runId, out var waiter))
        {
            waiter.TrySetResult();
        }
    }
}

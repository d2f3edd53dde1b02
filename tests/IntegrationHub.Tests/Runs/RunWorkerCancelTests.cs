using IntegrationHub.Runs;

namespace IntegrationHub.Tests.Runs;

public sealed class RunWorkerCancelTests
{
    /// <summary>
    /// The lease loop cancels a run's lease while the run may be ending and disposing it. When the disposal lands while
    /// the cancellation runs on the thread pool, the cancellation's task faults; that fault ended the loop's round, so
    /// the other runs' leases went unrenewed and expired leases unswept for a period (seen once in a 10-minute soak on
    /// PostgreSQL). The race is narrow: across this many tries (about a second) it happened 5 to 13 times without the fix.
    /// </summary>
    [Fact]
    public async Task CancelUnlessEnded_WhileTheRunEndsAndDisposesItsTokens_NeverFails()
    {
        using var abort = new CancellationTokenSource();
        var failures = 0;
        for (var i = 0; i < 500_000; i++)
        {
            // As a run's tokens are made: the lease linked to the node's abort, the execution's token linked to the lease.
            var lease = CancellationTokenSource.CreateLinkedTokenSource(abort.Token);
            var execution = CancellationTokenSource.CreateLinkedTokenSource(lease.Token);
            var runEnds = Task.Run(() =>
            {
                execution.Dispose();
                lease.Dispose();
            });
            try
            {
                await RunWorker.CancelUnlessEndedAsync(lease);
            }
            catch (ObjectDisposedException)
            {
                failures++;
            }
            await runEnds;
        }

        Assert.Equal(0, failures);
    }
}

using IntegrationHub.Data;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Tests.Runs;

/// <summary>
/// The hub's context factory, except that once held, the contexts it is asked for wait until released: a worker's
/// scenario loads (<see cref="IntegrationHub.Runs.ScenarioSnapshots"/>) held at the point a test needs them.
/// </summary>
internal sealed class HeldContextFactory(IDbContextFactory<HubDbContext> inner) : IDbContextFactory<HubDbContext>
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _released;

    /// <summary>Completes when a context was asked for while held.</summary>
    public Task Entered => _entered.Task;

    public void Hold() => _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _released?.TrySetResult();

    /// <summary>Lets the held requests for a context fail with <paramref name="exception"/>.</summary>
    public void Fail(Exception exception) => _released?.TrySetException(exception);

    public HubDbContext CreateDbContext() => inner.CreateDbContext();

    public async Task<HubDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default)
    {
        if (_released is { } released)
        {
            _entered.TrySetResult();
            await released.Task.WaitAsync(cancellationToken);
        }
        return await inner.CreateDbContextAsync(cancellationToken);
    }
}

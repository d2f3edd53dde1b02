using IntegrationHub.Data;
using IntegrationHub.Runs;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tests.Runs;

public sealed class RunQueueTests
{
    [Theory, AllDatabases]
    public async Task Enqueue_RunsToSucceededOnce(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var queue = hub.Services.GetRequiredService<RunQueue>();

        var runId = await RunsTestData.EnqueueAsync(hub, scenario);
        var run = await queue.WaitForCompletionAsync(runId, TimeSpan.FromSeconds(60), CancellationToken.None);

        Assert.NotNull(run);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(TriggerKind.Manual, run.Trigger);
        Assert.Equal(1, run.Attempts);
        Assert.NotNull(run.StartedAt);
        Assert.NotNull(run.FinishedAt);
        Assert.Null(run.LeaseExpiresAt);
        Assert.Equal("[]", run.Log);
    }

    [Theory, AllDatabases]
    public async Task Enqueue_ReturnsOnlyAfterTheRunIsStored(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);

        var ids = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => RunsTestData.EnqueueAsync(hub, scenario, $"{{\"n\":{i}}}")));

        var runs = await RunsTestData.GetRunsAsync(hub, scenario.Id);
        Assert.Equal(ids.Order(), runs.Select(r => r.Id).Order());
        Assert.All(runs, r => Assert.Equal(RunStatus.Queued, r.Status));
        Assert.All(runs, r => Assert.Equal(scenario.MaxAttempts, r.MaxAttempts));
    }

    [Theory, AllDatabases]
    public async Task Enqueue_PastMaxQueuedRuns_ReturnsQueueFull(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxQueuedRuns = 3);
        var other = await RunsTestData.CreateScenarioAsync(hub, s => s.MaxQueuedRuns = 3);
        var queue = hub.Services.GetRequiredService<RunQueue>();

        // Concurrent calls land in one group-commit batch: the limit must hold inside the batch too.
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => queue.EnqueueAsync(RunsTestData.ManualRun(scenario), CancellationToken.None)));
        var otherResult = await queue.EnqueueAsync(RunsTestData.ManualRun(other), CancellationToken.None);

        Assert.Equal(3, results.OfType<EnqueueResult.Queued>().Count());
        Assert.Equal(2, results.OfType<EnqueueResult.QueueFull>().Count());
        Assert.IsType<EnqueueResult.Queued>(otherResult);
        Assert.Equal(3, (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Count);
    }

    [Theory, AllDatabases]
    public async Task Enqueue_WithRepeatedIdempotencyKey_ReturnsTheFirstRun(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        var other = await RunsTestData.CreateScenarioAsync(hub);
        var queue = hub.Services.GetRequiredService<RunQueue>();

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            queue.EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-42"), CancellationToken.None)));
        var later = await queue.EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-42"), CancellationToken.None);
        var otherKey = await queue.EnqueueAsync(RunsTestData.ManualRun(scenario, idempotencyKey: "order-43"), CancellationToken.None);
        var otherScenario = await queue.EnqueueAsync(RunsTestData.ManualRun(other, idempotencyKey: "order-42"), CancellationToken.None);

        var first = Assert.Single(concurrent.OfType<EnqueueResult.Queued>()).RunId;
        Assert.All(concurrent.OfType<EnqueueResult.Duplicate>(), d => Assert.Equal(first, d.RunId));
        Assert.Equal(new EnqueueResult.Duplicate(first), later);
        Assert.IsType<EnqueueResult.Queued>(otherKey);
        Assert.IsType<EnqueueResult.Queued>(otherScenario);
        Assert.Equal(2, (await RunsTestData.GetRunsAsync(hub, scenario.Id)).Count);
    }
}

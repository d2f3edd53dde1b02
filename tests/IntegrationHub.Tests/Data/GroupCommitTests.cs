using System.Net.Sockets;
using IntegrationHub.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace IntegrationHub.Tests.Data;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task ItemsArrivingDuringACommit_AreCommittedTogether_AndAFailingGroupIsRetriedItemByItem()
    {
        var firstCommitMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var groups = new List<int[]>();
        await using var writer = new GroupCommit<int, string>(async items =>
        {
            lock (groups)
            {
                groups.Add([.. items]);
            }
            if (items.Contains(0))
            {
                await firstCommitMayEnd.Task;
            }
            // 13 stands for an item the database refuses: the whole transaction fails with it.
            return items.Contains(13) ? throw new InvalidOperationException("refused 13") : [.. items.Select(i => $"committed {i}")];
        }, maxBatch: 100, "numbers", NullLogger.Instance);

        var first = writer.CommitAsync(0, CancellationToken.None);
        while (groups.Count == 0)
        {
            await Task.Delay(10);
        }
        var later = Enumerable.Range(10, 5).Select(i => writer.CommitAsync(i, CancellationToken.None)).ToList();
        firstCommitMayEnd.SetResult();

        Assert.Equal("committed 0", await first);
        Assert.Equal(["committed 10", "committed 11", "committed 12"], await Task.WhenAll(later.Take(3)));
        Assert.Equal("refused 13", (await Assert.ThrowsAsync<InvalidOperationException>(() => later[3])).Message);
        Assert.Equal("committed 14", await later[4]);
        // While 0 committed, 10 to 14 queued up and went as one group; it failed, so each went again on its own.
        Assert.Equal([[0], [10, 11, 12, 13, 14], [10], [11], [12], [13], [14]], groups);
    }

    // Retried one by one while the database was down, a group of 512 triggers waited out 512 connection timeouts in a
    // row, and every caller with it, to fail the same way.
    [Fact]
    public async Task AGroupFailingBecauseTheDatabaseIsUnreachable_FailsAsOne_WithoutItemByItemRetries()
    {
        var firstCommitMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var groups = new List<int[]>();
        await using var writer = new GroupCommit<int, string>(async items =>
        {
            lock (groups)
            {
                groups.Add([.. items]);
            }
            if (items.Contains(0))
            {
                await firstCommitMayEnd.Task;
                return ["committed 0"];
            }
            // What Npgsql throws when the server cannot be reached.
            throw new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));
        }, maxBatch: 100, "numbers", NullLogger.Instance);

        var first = writer.CommitAsync(0, CancellationToken.None);
        while (groups.Count == 0)
        {
            await Task.Delay(10);
        }
        var later = Enumerable.Range(10, 5).Select(i => writer.CommitAsync(i, CancellationToken.None)).ToList();
        firstCommitMayEnd.SetResult();

        Assert.Equal("committed 0", await first);
        foreach (var item in later)
        {
            await Assert.ThrowsAsync<NpgsqlException>(() => item);
        }
        Assert.Equal([[0], [10, 11, 12, 13, 14]], groups);
    }
}

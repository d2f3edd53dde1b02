using Microsoft.Extensions.Hosting;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>A host that has started, for a background service a test starts on its own.</summary>
internal sealed class StartedLifetime : IHostApplicationLifetime
{
    public CancellationToken ApplicationStarted { get; } = new(canceled: true);

    public CancellationToken ApplicationStopping => CancellationToken.None;

    public CancellationToken ApplicationStopped => CancellationToken.None;

    public void StopApplication()
    {
    }
}

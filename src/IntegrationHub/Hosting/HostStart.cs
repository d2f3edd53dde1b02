namespace IntegrationHub.Hosting;

/// <summary>
/// Lets a background loop that writes to the database wait until the host has started. The host starts hosted services
/// before Kestrel binds its addresses: a node that then failed to start (a port in use) had already claimed runs, which
/// it left Running until their leases expired, each with an attempt used up, and a service manager restarting it in a
/// loop failed runs whose scripts never ran. A start that fails now leaves the database as it found it.
/// </summary>
internal static class HostStart
{
    /// <summary>
    /// Waits until <paramref name="lifetime"/> says the host started; false when it stops first (a failed start, or a
    /// shutdown during the start), and the loop should not begin.
    /// </summary>
    public static async Task<bool> WaitForStartAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
                return true;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return false;
            }
        }
    }
}

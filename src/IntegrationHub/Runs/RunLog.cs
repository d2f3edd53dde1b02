using IntegrationHub.Connectors;

namespace IntegrationHub.Runs;

/// <summary>
/// The log of a run while it executes. The executor and the script write into it as they go; the worker publishes it
/// now and then while the run is still running (so the run page shows a live log) and records it with the outcome.
/// Writers and the publisher are on different threads, hence the lock. Connectors write into it too (a retried call),
/// from their HTTP client's threads.
/// </summary>
internal sealed class RunLog(TimeProvider time) : IConnectorLog
{
    private readonly Lock _lock = new();
    private readonly List<RunLogLine> _lines = [];

    /// <summary>How many lines were written so far: the publisher compares it with what it published last.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _lines.Count;
            }
        }
    }

    public void Info(string message) => Write(RunLogLevels.Info, message);

    public void Warn(string message) => Write(RunLogLevels.Warn, message);

    public void Error(string message) => Write(RunLogLevels.Error, message);

    public void Write(string level, string message) => Write(new RunLogLine(time.GetUtcNow(), level, message));

    public void Write(RunLogLine line)
    {
        lock (_lock)
        {
            _lines.Add(line);
        }
    }

    /// <summary>The lines written so far, copied: later writes do not change what was returned.</summary>
    public RunLogLine[] Lines()
    {
        lock (_lock)
        {
            return [.. _lines];
        }
    }
}

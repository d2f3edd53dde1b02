namespace IntegrationHub.Hosting;

/// <summary>
/// The failures in a row of a background loop (a scheduler tick, a reconnection), so that an outage is logged as it
/// goes on rather than once per attempt. A PostgreSQL outage wrote about 140 lines a second: every loop logged every
/// attempt's full stack trace. With this, the loop logs the first failure with its exception, then one short line at
/// the 2nd, 4th, 8th... failure and every 64th after that, and one line when it works again.
/// </summary>
internal sealed class FailureStreak
{
    /// <summary>Failures since the last success.</summary>
    public int Count { get; private set; }

    /// <summary>Counts a failure.</summary>
    public void Fail() => Count++;

    /// <summary>Whether the failure just counted is the first of the streak: log it with its exception.</summary>
    public bool IsFirst => Count == 1;

    /// <summary>Whether the failure just counted is worth a short line (the first has its own).</summary>
    public bool IsWorthALine => Count > 1 && ((Count & (Count - 1)) == 0 || Count % 64 == 0);

    /// <summary>Ends the streak; returns how many failures it had, 0 when there was none.</summary>
    public int Succeed()
    {
        var count = Count;
        Count = 0;
        return count;
    }
}

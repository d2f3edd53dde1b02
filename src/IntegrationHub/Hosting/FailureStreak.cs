namespace IntegrationHub.Hosting;

/// <summary>
/// The failures in a row of a background loop (a scheduler tick, a reconnection), so that an outage is logged as it
/// goes on rather than once per attempt. A PostgreSQL outage wrote about 140 lines a second: every loop logged every
/// attempt's full stack trace. With this, the loop logs the first failure with its exception, then one short line at
/// the 2nd, 4th, 8th... failure and every 64th after that, and one line when it works again.
/// </summary>
/// <param name="logFirst">Logs the first failure, with its exception.</param>
/// <param name="logAgain">Logs a later failure with the count and the reason.</param>
/// <param name="logRecovered">Logs the success that ends a streak, with its count.</param>
internal sealed class FailureStreak(Action<Exception> logFirst, Action<int, string> logAgain, Action<int> logRecovered)
{
    /// <summary>Failures since the last success.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Counts a failure and logs it as its place in the streak asks: the first with its exception, then the 2nd, 4th,
    /// 8th... and every 64th as a line with the count and the reason, the others not at all.
    /// </summary>
    public void Fail(Exception exception)
    {
        Count++;
        if (Count == 1)
        {
            logFirst(exception);
        }
        else if ((Count & (Count - 1)) == 0 || Count % 64 == 0)
        {
            logAgain(Count, exception.GetBaseException().Message);
        }
    }

    /// <summary>Ends the streak, logging that it ended if there was one.</summary>
    public void Succeed()
    {
        if (Count > 0)
        {
            logRecovered(Count);
            Count = 0;
        }
    }
}

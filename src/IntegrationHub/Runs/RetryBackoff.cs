namespace IntegrationHub.Runs;

/// <summary>When a failed run gets its next attempt: exponential backoff, capped.</summary>
internal static class RetryBackoff
{
    /// <summary>The wait after <paramref name="attemptsMade"/> attempts: base, 2×base, 4×base, ... up to <paramref name="max"/>.</summary>
    public static TimeSpan Delay(int attemptsMade, TimeSpan baseDelay, TimeSpan max)
    {
        // Capped exponent: 2^30 × any sensible base already exceeds any sensible cap, and larger shifts would overflow.
        var exponent = Math.Clamp(attemptsMade - 1, 0, 30);
        var ticks = baseDelay.Ticks * (double)(1L << exponent);
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }
}

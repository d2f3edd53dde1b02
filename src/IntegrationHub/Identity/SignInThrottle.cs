using Microsoft.Extensions.Caching.Memory;

namespace IntegrationHub.Identity;

/// <summary>
/// Slows password guessing: after <see cref="MaximumFailures"/> wrong passwords for one email within
/// <see cref="Window"/>, that email cannot sign in on this node until the window has passed. Counted per node, in memory:
/// an attacker spreading guesses over N nodes gets N times the attempts, still far too few to guess a password.
/// </summary>
internal sealed class SignInThrottle(IMemoryCache cache, TimeProvider time)
{
    /// <summary>Wrong passwords allowed per email and window.</summary>
    public const int MaximumFailures = 10;

    /// <summary>How long failures are remembered, counted from the first one.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    /// <summary>When the email may try again, or null when it may try now.</summary>
    public DateTimeOffset? LockedUntil(string normalizedEmail)
    {
        if (cache.TryGetValue(CacheKey(normalizedEmail), out Failures? failures) && failures is not null)
        {
            var until = failures.FirstAt + Window;
            if (time.GetUtcNow() < until)
            {
                return failures.Count >= MaximumFailures ? until : null;
            }
            cache.Remove(CacheKey(normalizedEmail));
        }
        return null;
    }

    public void RecordFailure(string normalizedEmail)
    {
        var now = time.GetUtcNow();
        var failures = cache.GetOrCreate(CacheKey(normalizedEmail), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = Window;
            return new Failures(now);
        })!;
        if (now >= failures.FirstAt + Window)
        {
            failures = new Failures(now);
            cache.Set(CacheKey(normalizedEmail), failures, Window);
        }
        Interlocked.Increment(ref failures.Count);
    }

    public void Reset(string normalizedEmail) => cache.Remove(CacheKey(normalizedEmail));

    private static string CacheKey(string normalizedEmail) => "sign-in-failures:" + normalizedEmail;

    private sealed class Failures(DateTimeOffset firstAt)
    {
        public DateTimeOffset FirstAt { get; } = firstAt;
#pragma warning disable CA1051 // A field, so that Interlocked can count concurrent failures without a lock.
        public int Count;
#pragma warning restore CA1051
    }
}

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

    // Attempts are rare and a password hash takes far longer than this lock is held.
    private readonly Lock _gate = new();

    /// <summary>When the email may try again, or null when it may try now.</summary>
    public DateTimeOffset? LockedUntil(string normalizedEmail)
    {
        lock (_gate)
        {
            var failures = Current(normalizedEmail);
            return failures?.Count >= MaximumFailures ? failures.FirstAt + Window : null;
        }
    }

    /// <summary>
    /// Reserves an attempt for the email, counted as a failure until <see cref="Reset"/> (the password was right);
    /// false when the email is locked out. Counted before the password is checked, so that guesses sent at once cannot
    /// all pass the check before the first of them is counted.
    /// </summary>
    public bool TryBeginAttempt(string normalizedEmail)
    {
        lock (_gate)
        {
            var failures = Current(normalizedEmail);
            if (failures is null)
            {
                failures = new Failures(time.GetUtcNow());
                cache.Set(CacheKey(normalizedEmail), failures, Window);
            }
            if (failures.Count >= MaximumFailures)
            {
                return false;
            }
            failures.Count++;
            return true;
        }
    }

    public void Reset(string normalizedEmail) => cache.Remove(CacheKey(normalizedEmail));

    /// <summary>The email's failures in the current window; null when there are none.</summary>
    private Failures? Current(string normalizedEmail) =>
        cache.TryGetValue(CacheKey(normalizedEmail), out Failures? failures) && failures is not null && time.GetUtcNow() < failures.FirstAt + Window
            ? failures
            : null;

    private static string CacheKey(string normalizedEmail) => "sign-in-failures:" + normalizedEmail;

    private sealed class Failures(DateTimeOffset firstAt)
    {
        public DateTimeOffset FirstAt { get; } = firstAt;

        public int Count { get; set; }
    }
}

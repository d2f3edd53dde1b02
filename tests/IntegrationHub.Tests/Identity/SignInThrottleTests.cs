using IntegrationHub.Identity;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Tests.Identity;

public sealed class SignInThrottleTests
{
    [Fact]
    public void AfterMaximumFailures_EmailIsLockedUntilTheWindowPasses()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var cache = new MemoryCache(new MemoryCacheOptions { Clock = new FakeClock(time) });
        var throttle = new SignInThrottle(cache, time);
        for (var i = 0; i < SignInThrottle.MaximumFailures - 1; i++)
        {
            Assert.True(throttle.TryBeginAttempt("A@B.TEST"));
        }
        Assert.Null(throttle.LockedUntil("A@B.TEST"));

        Assert.True(throttle.TryBeginAttempt("A@B.TEST"));

        Assert.Equal(time.GetUtcNow() + SignInThrottle.Window, throttle.LockedUntil("A@B.TEST"));
        Assert.False(throttle.TryBeginAttempt("A@B.TEST"));
        Assert.Null(throttle.LockedUntil("OTHER@B.TEST"));
        time.Advance(SignInThrottle.Window);
        Assert.Null(throttle.LockedUntil("A@B.TEST"));
        Assert.True(throttle.TryBeginAttempt("A@B.TEST"));
    }

    [Fact]
    public async Task AttemptsAtOnce_PassTheCheck_NoMoreOftenThanFailuresAreAllowed()
    {
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var throttle = new SignInThrottle(cache, TimeProvider.System);

        var begun = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => throttle.TryBeginAttempt("A@B.TEST"))));

        Assert.Equal(SignInThrottle.MaximumFailures, begun.Count(b => b));
    }

    [Fact]
    public void Reset_AfterSuccessfulSignIn_ForgetsEarlierFailures()
    {
        var time = new FakeTimeProvider();
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var throttle = new SignInThrottle(cache, time);
        for (var i = 0; i < SignInThrottle.MaximumFailures - 1; i++)
        {
            Assert.True(throttle.TryBeginAttempt("A@B.TEST"));
        }

        throttle.Reset("A@B.TEST");
        Assert.True(throttle.TryBeginAttempt("A@B.TEST"));

        Assert.Null(throttle.LockedUntil("A@B.TEST"));
    }

#pragma warning disable CS0618 // ISystemClock is what MemoryCacheOptions.Clock still takes.
    private sealed class FakeClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
#pragma warning restore CS0618
}

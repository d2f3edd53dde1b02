using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>A log entry as a test sees it.</summary>
internal sealed record CapturedLog(string Category, LogLevel Level, string Message, Exception? Exception);

/// <summary>Keeps every entry logged through it: a logger of its own, or a provider added to a hub's logger factory.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyList<CapturedLog> Entries => [.. _entries];

    public ILogger<T> LoggerFor<T>() => new Logger<T>(new CaptureFactory(this));

    public ILogger CreateLogger(string categoryName) => new CaptureLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CaptureLogger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture._entries.Enqueue(new CapturedLog(category, logLevel, formatter(state, exception), exception));
    }

    private sealed class CaptureFactory(LogCapture capture) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => capture.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}

using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using IntegrationHub.Data;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Hosting;

/// <summary>
/// How the hub ends when it cannot start for a reason its user can fix (a wrong setting, a port in use, a database it
/// cannot reach or write): one message on stderr naming the setting or the cause, with what to do, and exit code 1. A
/// stack trace of a few dozen lines there hid the one line that mattered, and exit code 134 (an abort) read as a crash.
/// Anything else is a surprise and keeps its stack trace.
/// </summary>
internal static partial class StartupFailure
{
    /// <summary>
    /// Whether this process is the hub itself (<c>dotnet IntegrationHub.dll</c>, <c>dotnet run</c>). A test or the
    /// benchmark hosting the hub in its own process gets the exception instead, as any other.
    /// </summary>
    public static bool IsHubProcess { get; } = Assembly.GetEntryAssembly() == typeof(StartupFailure).Assembly;

    /// <summary>The host logs a failed start with the exception's stack trace, before the exception reaches <see cref="Report"/>.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    private static volatile bool s_hostStarted;

    /// <summary>
    /// Whether <paramref name="exception"/> is an expected start-up failure of the hub process, and if so the message
    /// that says what went wrong and what to do.
    /// </summary>
    public static bool IsExpected(Exception exception, out string message)
    {
        message = IsHubProcess ? Describe(exception) ?? "" : "";
        return message.Length > 0;
    }

    /// <summary>Prints <paramref name="message"/> to stderr; returns the process's exit code.</summary>
    public static int Report(string message)
    {
        Console.Error.WriteLine($"IntegrationHub could not start: {message}");
        return 1;
    }

    /// <summary>
    /// Keeps the host's own "Hosting failed to start" entry, whose stack trace repeats an expected failure that
    /// <see cref="Report"/> says in one line, out of the log until the host has started: its category logs only
    /// <c>Critical</c> entries till then. A surprise still leaves its stack trace on stderr (the exception is not
    /// caught), and after the start the category logs at the level configured for it, as before.
    /// </summary>
    public static WebApplicationBuilder QuietHostStartFailures(this WebApplicationBuilder builder)
    {
        if (IsHubProcess)
        {
            builder.Services.PostConfigure<LoggerFilterOptions>(options =>
            {
                // A rule of its own would replace the configured level ("Default", "Microsoft"...), so it takes that level on.
                var configured = options.Rules
                    .Where(rule => rule.ProviderName is null && (rule.CategoryName is null || HostCategory.StartsWith(rule.CategoryName, StringComparison.OrdinalIgnoreCase)))
                    .OrderByDescending(rule => rule.CategoryName?.Length ?? -1)
                    .FirstOrDefault()?.LogLevel ?? options.MinLevel;
                options.Rules.Add(new LoggerFilterRule(null, HostCategory, configured, (_, _, level) => s_hostStarted || level >= LogLevel.Critical));
            });
        }
        return builder;
    }

    /// <summary>Ends <see cref="QuietHostStartFailures"/>' quiet spell once the host has started.</summary>
    public static WebApplication LogHostFailuresOnceStarted(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() => s_hostStarted = true);
        return app;
    }

    /// <summary>The message for an expected failure, or null for a surprise.</summary>
    internal static string? Describe(Exception exception)
    {
        switch (exception)
        {
            case StartupException:
                return exception.Message;
            case OptionsValidationException validation:
                return string.Join(" ", validation.Failures.Select(failure => NameTheKey(validation.OptionsType, failure)));
            case AggregateException aggregate when aggregate.InnerExceptions.All(e => e is OptionsValidationException):
                return string.Join(" ", aggregate.InnerExceptions.Select(Describe));
            // The configuration binder: a value that does not convert to the option's type, e.g. Database:Provider=Mysql.
            // Its message names the key; the inner one says why, and for an enum this adds which values it takes.
            case InvalidOperationException { InnerException: { } inner } when exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal):
                return $"{exception.Message} {inner.Message}{ValidValues(exception.Message)}";
            // A settings file that is not JSON: its message names the file, the inner one the line and position.
            case InvalidDataException { InnerException: { } inner } when exception.Message.StartsWith("Failed to load configuration from file", StringComparison.Ordinal):
                return $"{exception.Message} {inner.Message.TrimEnd('.')}. Correct the file, or remove it to start with the defaults.";
            case IOException { InnerException: AddressInUseException }:
                return $"{exception.Message} Another process listens there: stop it, or give the hub another address "
                    + "with Urls (ASPNETCORE_URLS, --urls).";
            // Kestrel binding an address of Urls that is not this machine's: the socket's error names no address.
            case SocketException { SocketErrorCode: SocketError.AddressNotAvailable }:
                return $"an address in Urls (ASPNETCORE_URLS, --urls) is not one of this machine's ({exception.Message}). Listen on one "
                    + "of its addresses, on 0.0.0.0 (every IPv4 address) or on localhost.";
        }
        return DatabaseErrors.Classify(exception) switch
        {
            DatabaseTrouble.Unreachable => $"the database cannot be reached or opened ({exception.GetBaseException().Message.TrimEnd('.')}). "
                + "Check Database:Provider and ConnectionStrings:Hub, that the database server runs, and that the hub's user may write to an "
                + "SQLite file's folder.",
            DatabaseTrouble.DiskFull => $"the database's disk is full ({exception.GetBaseException().Message.TrimEnd('.')}). "
                + "Free space on the disk that holds the database (the SQLite file's folder, or the PostgreSQL server's data directory).",
            DatabaseTrouble.Contended => $"the database was busy with another process's work ({exception.GetBaseException().Message.TrimEnd('.')}). "
                + "An SQLite file serves one hub: give each hub a file of its own, or share a PostgreSQL database.",
            _ => null,
        };
    }

    /// <summary>
    /// The values an enum option takes, for the binder's "Oracle is not a valid value for DatabaseProvider", which does
    /// not say them; empty when the message names no enum of the hub's.
    /// </summary>
    private static string ValidValues(string binderMessage)
    {
        var match = BinderTargetType().Match(binderMessage);
        var type = match.Success ? typeof(StartupFailure).Assembly.GetType(match.Groups["type"].Value) : null;
        return type is { IsEnum: true } ? $" Valid values: {string.Join(", ", Enum.GetNames(type))} (case-insensitive)." : "";
    }

    [GeneratedRegex(@" to type '(?<type>[^']+)'")]
    private static partial Regex BinderTargetType();

    /// <summary>
    /// Data annotations name the option's member and its class ("DataAnnotation validation failed for 'RunsOptions'
    /// members: 'Concurrency' ..."); users set a key (<c>Runs:Concurrency</c>), so the message names that.
    /// </summary>
    private static string NameTheKey(Type optionsType, string failure)
    {
        var match = DataAnnotationFailure().Match(failure);
        if (!match.Success)
        {
            return failure;
        }
        var section = optionsType.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string;
        var key = section is null ? match.Groups["member"].Value : $"{section}:{match.Groups["member"].Value}";
        return $"{key}: {match.Groups["error"].Value.TrimEnd('.')}.";
    }

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '(?<member>[^']*)' with the error: '(?<error>.*)'\.$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();
}
